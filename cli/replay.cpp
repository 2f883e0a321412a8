// `pushback replay`: feeds an archive, in Date order, through the same
// analyse -> observe -> decide path as the milter, with a fresh state, so an
// admin can see what Pushback would have done to their own mail.
#include <fmt/format.h>
#include <gmime/gmime.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli/analysis_json.hpp"
#include "cli/commands.hpp"
#include "cli/mail_sources.hpp"
#include "cli/replay_feedback.hpp"
#include "config/load.hpp"
#include "milter/address.hpp"
#include "milter/runtime.hpp"
#include "milter/state_bridge.hpp"
#include "scoring/header_text.hpp"
#include "scoring/raw_message.hpp"
#include "state/address.hpp"

namespace pushback::cli {

namespace {

struct Item {
  std::size_t position = 0;
  std::string source;
  scoring::Message message;
  state::TimePoint time{};
};

void ensure_gmime() {
  static std::once_flag ready;
  std::call_once(ready, [] { g_mime_init(); });
}

state::TimePoint parse_date(const scoring::Message& message) {
  const auto* date = message.find_header("Date");
  if (!date) return {};
  GDateTime* parsed = g_mime_utils_header_decode_date(date->value.c_str());
  if (!parsed) return {};
  auto seconds = g_date_time_to_unix(parsed);
  g_date_time_unref(parsed);
  return state::TimePoint{std::chrono::seconds(seconds)};
}

// Addresses of an address-list header (To, Cc), through GMime's parser.
std::vector<std::string> addresses_of(const scoring::Message& message, const char* name) {
  std::vector<std::string> out;
  const auto* header = message.find_header(name);
  if (!header) return out;
  InternetAddressList* list = internet_address_list_parse(nullptr, header->value.c_str());
  if (!list) return out;
  for (int i = 0; i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      out.emplace_back(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)));
    }
  }
  g_object_unref(list);
  return out;
}

// The envelope as an archive keeps it: X-Envelope-From/-To when present, else
// the From, To and Cc headers.
void fill_envelope(scoring::Message& message) {
  auto& envelope = message.envelope;
  if (const auto* from = message.find_header("X-Envelope-From")) {
    envelope.mail_from = milter::strip_angle_brackets(scoring::sanitise_header_value(from->value));
  } else if (auto from_header = addresses_of(message, "From"); !from_header.empty()) {
    envelope.mail_from = from_header.front();
  }
  for (const auto& header : message.headers) {
    if (scoring::iequals(header.name, "X-Envelope-To")) {
      for (auto& address : addresses_of(message, "X-Envelope-To")) envelope.recipients.push_back(address);
      break;
    }
  }
  if (envelope.recipients.empty()) {
    for (const char* name : {"To", "Cc"}) {
      for (auto& address : addresses_of(message, name)) envelope.recipients.push_back(address);
    }
  }
}

}  // namespace

int replay(const ReplayOptions& options) {
  auto loaded = options.config_path.empty() ? milter::make_runtime(config::default_config())
                                            : milter::load_runtime(options.config_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "pushback: %s\n", error.c_str());
    return 78;
  }
  const auto& runtime = *loaded.runtime;
  const auto& config = *runtime.config;
  ensure_gmime();
  RecordedFeedback recorded;
  if (!options.feedback_path.empty()) {
    recorded = load_recorded_feedback(options.feedback_path);
    for (const auto& error : recorded.errors) std::fprintf(stderr, "pushback replay: %s\n", error.c_str());
    if (!recorded.errors.empty()) return 65;
  }
  std::size_t feedback_applied = 0;

  std::vector<Item> items;
  bool complete = for_each_message(
      options.paths,
      [&](MailItem&& mail) {
        Item item;
        item.position = items.size() + 1;
        item.source = std::move(mail.name);
        item.message = scoring::parse_raw_message(mail.raw);
        fill_envelope(item.message);
        item.time = parse_date(item.message);
        items.push_back(std::move(item));
      },
      [](const std::string& warning) { std::fprintf(stderr, "pushback replay: %s\n", warning.c_str()); });
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.time < b.time; });

  // A fresh, private state for this run.
  namespace fs = std::filesystem;
  fs::path state_dir = fs::temp_directory_path() / fmt::format("pushback-replay-{}", getpid());
  fs::create_directories(state_dir);
  auto settings = milter::store_settings(config.state);
  settings.backend = state::BackendKind::lmdb;
  settings.state_dir = state_dir.string();
  settings.durability = state::Durability::periodic;
  settings.snapshot_decisions = false;  // a throwaway store: nothing to keep
  auto clock = std::make_shared<state::FakeClock>();
  std::map<std::string, std::size_t> verdicts;
  {
    auto store = state::open_store(settings, clock);
    for (auto& item : items) {
      if (item.time != state::TimePoint{}) clock->set(item.time);
      auto& message = item.message;
      scoring::Analysis analysis = runtime.analyzer->analyse(message);
      // In an archive, mail from our own domains was sent by our users.
      std::string domain = state::domain_of(message.envelope.mail_from);
      const auto& internal = config.direction.internal_domains;
      bool outbound = std::find(internal.begin(), internal.end(), domain) != internal.end();
      auto history = store->observe(
          milter::observation_of(message, analysis, outbound, clock->now(), config.analysis.campaign_identity.get()));
      auto verdict = scoring::decide(message, analysis, milter::facts_of(history, clock->now()), config);
      std::string verdict_name = outbound ? "outbound" : std::string(scoring::to_string(verdict.computed));
      ++verdicts[verdict_name];
      const auto* id = message.find_header("Message-ID");
      std::string message_id = id ? scoring::sanitise_header_value(id->value) : "";
      // Recorded feedback on this message: applied now, so later messages see it.
      std::string feedback;
      if (auto ids = id ? state::message_ids(id->value) : std::vector<std::string>{}; !ids.empty() && !outbound) {
        if (auto found = recorded.by_message_id.find(ids.front()); found != recorded.by_message_id.end()) {
          state::Feedback decision;
          decision.kind = found->second;
          decision.sender = state::normalise_address(message.envelope.mail_from);
          for (const auto& r : message.envelope.recipients) decision.recipients.push_back(state::normalise_address(r));
          decision.template_known = history.cluster.known;
          decision.template_id = static_cast<std::uint32_t>(history.cluster.id & 0xffffffffu);
          decision.time = clock->now();
          if (store->record_feedback(decision)) {
            feedback = found->second == state::FeedbackKind::ham ? "ham" : "outreach";
            ++feedback_applied;
          }
        }
      }
      if (options.json) {
        nlohmann::json out = {{"position", item.position},
                              {"source", item.source},
                              {"message_id", message_id},
                              {"sender", message.envelope.mail_from},
                              {"recipients", message.envelope.recipients.size()},
                              {"direction", outbound ? "outbound" : "inbound"},
                              {"verdict", verdict_name},
                              {"forced", verdict.forced},
                              {"score", verdict.score},
                              {"symbols", symbols_to_json(verdict.symbols)}};
        // The template cluster and campaign the store put the message in, so
        // that matching and linking can be checked from outside.
        out["template_cluster"] = history.cluster.known ? nlohmann::json(hex64(history.cluster.id)) : nlohmann::json(nullptr);
        out["template_similarity"] = history.cluster.known ? history.cluster.similarity : 0.0;
        out["campaign"] = history.campaign.known ? nlohmann::json(history.campaign.id) : nlohmann::json(nullptr);
        out["campaign_linked_by"] = history.campaign.linked_by;
        out["cold_pitch"] = analysis.cold_pitch ? nlohmann::json(*analysis.cold_pitch) : nlohmann::json(nullptr);
        if (!feedback.empty()) out["feedback"] = feedback;
        std::puts(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else {
        fmt::print("{:>6} {:<10} {:>6} {} {}\n", item.position, verdict_name, scoring::format_score(verdict.score),
                   message_id, verdict.symbols.empty() ? "" : scoring::format_report(verdict.symbols, 200));
      }
    }
  }
  std::error_code ignored;
  fs::remove_all(state_dir, ignored);
  std::fflush(stdout);
  std::string summary;
  for (const auto& [name, count] : verdicts) summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", count, name);
  std::fprintf(stderr, "%zu message(s) replayed: %s\n", items.size(), summary.c_str());
  if (!options.feedback_path.empty()) std::fprintf(stderr, "%zu recorded feedback decision(s) applied\n", feedback_applied);
  return complete ? 0 : 1;
}

}  // namespace pushback::cli
