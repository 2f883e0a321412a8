// The console application: routes each request to its page, and guards them:
// admin pages need a live session, state-changing requests a POST with the
// session's CSRF token, and the release page a valid, unused signed link.
// Pages read the store and drive the same review code as `pushback
// quarantine` (cli/review.hpp), so both log and teach alike.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/review.hpp"
#include "web/release_link.hpp"
#include "web/request.hpp"
#include "web/sessions.hpp"
#include "web/background_value.hpp"
#include "state/store.hpp"
#include "state/store.hpp"

namespace pushback::web {

using NowFunction = std::function<std::int64_t()>;

// A campaign's name, "brand (0000002a)", linked to its page through one of
// its mailboxes when one is known; HTML.
std::string campaign_cell(const state::CampaignSummary& campaign);

class Console {
 public:
  // `review` carries the configuration, the MTA queue and the seal key; the
  // store is opened on first use. Throws std::runtime_error when the link key
  // (the state directory's secret) cannot be read.
  Console(cli::Review review, NowFunction now);

  Response handle(const Request& request);

 private:
  struct Admin {
    std::string session_id;
    Session session;
  };

  std::optional<Admin> admin_of(const Request& request);
  // The admin of a POST whose CSRF token matches; nullopt otherwise.
  std::optional<Admin> admin_for_change(const Request& request, Response& refusal);
  std::string cookie_attributes() const;

  Response login_page(const Request& request, const std::string& error = {}, int status = 200);
  Response login(const Request& request);
  Response logout(const Request& request);

  Response overview(const Admin& admin, const Request& request);
  // The two daily charts of the overview over the last `days` days (HTML).
  std::string daily_charts(int days);
  Response campaigns(const Admin& admin);
  Response campaign(const Admin& admin, const Request& request);
  Response campaign_action(const Admin& admin, const Request& request);
  Response quarantine_list(const Admin& admin, const Request& request);
  Response quarantine_show(const Admin& admin, const Request& request);
  Response quarantine_action(const Admin& admin, const Request& request);

  Response release_page(const Request& request, std::string_view token);
  Response release_by_link(const Request& request, std::string_view token);

  // The store, opened on first use; null when it cannot be.
  state::Store* store();
  // The state window the pages call "this week": 7 days when configured,
  // else the shortest longer one, else the longest; and its label.
  struct Window {
    std::size_t index = 0;
    std::string label;
  };
  Window week_window() const;
  // The store's rankings, from their thread (started with the store).
  Computed<state::TopReport> top_report();
  // Whom outreach (tagged, held or refused) reached most in the last seven
  // days, from the store's counts, on its thread: keyed hashes, or the
  // addresses the hold queue names when web.staff_names = "address".
  Computed<std::vector<state::TopEntry>> targeted_staff();
  // The keyed hash (hex) the store names a recipient by.
  std::string recipient_hash(const std::string& address);

  cli::Review review_;
  NowFunction now_;
  SessionTable sessions_;
  LoginLimiter limiter_;
  LinkSigner links_;
  UsedLinks used_links_;
  std::unique_ptr<BackgroundValue<state::TopReport>> top_;
  std::unique_ptr<BackgroundValue<std::vector<state::TopEntry>>> staff_;
};

}  // namespace pushback::web
