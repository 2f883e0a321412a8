// One SMTP connection as the milter sees it: the connection's facts, the message
// being collected, and what to do at each protocol step. Knows nothing of
// libmilter; callbacks.cpp feeds it and maps its Status back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "metrics/pushback_metrics.hpp"
#include "milter/mta.hpp"
#include "milter/runtime.hpp"
#include "scoring/decide.hpp"
#include "scoring/message.hpp"
#include "quarantine/seal.hpp"
#include "state/store.hpp"

namespace pushback::milter {

// Protocol steps for which the MTA agreed not to wait for our reply.
struct NoReplySteps {
  bool connect = false;
  bool mail = false;
  bool header = false;
  bool body = false;
  bool skip_supported = false;  // SMFIS_SKIP after a body chunk (only where the body is answered)
};

// What every session shares: the daemon's metrics and, when state is kept,
// the store and its clock.
struct Services {
  metrics::PushbackMetrics& metrics;
  state::Store* store = nullptr;
  const state::Clock* clock = nullptr;
  // The daemon listens on a unix socket: the MTA's writes cannot stall in
  // Nagle's buffer there, so events that need no answer are not asked for one.
  bool unix_socket = false;
  // Seals the verdict headers of inbound mail (X-Pushback-Seal); null: no seal.
  const quarantine::Sealer* sealer = nullptr;
  // Messages per day by verdict, for the console's charts; null: not counted.
  state::DailyTally* daily = nullptr;
  state::TargetTally* targets = nullptr;  // outreach per recipient, for the console
};

class Session {
 public:
  Session(std::shared_ptr<const Runtime> runtime, const Services& services);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void set_no_reply_steps(NoReplySteps steps) { no_reply_ = steps; }
  const NoReplySteps& no_reply_steps() const { return no_reply_; }

  Status on_connect(std::string_view client_addr);
  Status on_mail_from(Mta& mta, std::string_view sender);
  Status on_rcpt_to(Mta& mta, std::string_view recipient);
  Status on_header(std::string_view name, std::string_view value);
  Status on_body_chunk(std::string_view chunk);
  Status on_end_of_message(Mta& mta);
  void on_abort();

  // An internal error happened in this message: the configured failure action
  // applies at the next step that can answer. Returns that action.
  Status fail(Mta* mta, std::string_view stage, std::string_view what);

  // The status a callback returns when it has nothing to say at `step`.
  Status quiet(bool no_reply) const { return no_reply ? Status::no_reply : Status::proceed; }

  const config::Config& config() const { return *runtime_->config; }
  const scoring::Message& message() const { return message_; }

 private:
  void reset_message();
  // At RCPT: the refusal of one recipient whose pair is over the limit, if any.
  std::optional<Status> refuse_recipient(Mta& mta, const std::string& recipient);
  std::string log_id() const;  // the queue id, or NOQUEUE before the MTA assigned one
  Status failure_status() const;
  void remove_forged_headers(Mta& mta);
  // Headers, quarantine and reply code for a verdict; returns the callback status.
  Status apply(Mta& mta, const scoring::Verdict& verdict, const std::string& history_line);
  // X-Pushback-Seal over the verdict, the template and the envelope sender.
  void add_seal(Mta& mta, const scoring::Verdict& verdict, const state::TemplateFacts& cluster, state::TimePoint now);

  std::shared_ptr<const Runtime> runtime_;  // pinned for the whole connection
  const config::Config* config_;           // runtime_->config, for brevity
  metrics::PushbackMetrics& metrics_;
  state::Store* store_;
  const state::Clock* clock_;
  const quarantine::Sealer* sealer_;
  state::DailyTally* daily_;
  state::TargetTally* targets_;
  NoReplySteps no_reply_;
  std::string connect_addr_;
  scoring::Message message_;
  // Inbound copies of our own headers, by lower-cased name: how many, and the
  // name as written, so they can be deleted by index at end of message.
  std::map<std::string, std::pair<std::string, int>> forged_headers_;
  std::int64_t header_count_ = 0;
  // The milter caps this message went over ("milter.max_body_bytes", ...), each
  // once, named in the log line beside the analysis limits.
  std::vector<std::string_view> caps_hit_;
  void note_cap(std::string_view name);
  bool failed_ = false;
};

}  // namespace pushback::milter
