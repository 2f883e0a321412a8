// Collects one message per transaction within the configured caps and, at end
// of message, runs the analysis and applies the result.
#include "milter/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "milter/address.hpp"
#include "milter/state_bridge.hpp"
#include "state/address.hpp"
#include "scoring/analyse.hpp"
#include "scoring/header_text.hpp"
#include "scoring/organisation.hpp"

namespace pushback::milter {

namespace {


std::string macro_or(Mta& mta, std::string_view name, std::string fallback = {}) {
  auto value = mta.macro(name);
  return value ? *value : std::move(fallback);
}

// libmilter ignores a reply text with a lone '%'; CR and LF would break the reply.
std::string escape_reply_text(std::string_view text) {
  std::string out;
  for (char c : scoring::sanitise_header_value(text)) {
    out.push_back(c);
    if (c == '%') out.push_back('%');
  }
  return out;
}

}  // namespace

Session::Session(std::shared_ptr<const Runtime> runtime, const Services& services)
    : runtime_(std::move(runtime)),
      config_(runtime_->config.get()),
      metrics_(services.metrics),
      store_(services.store),
      clock_(services.clock),
      sealer_(services.sealer),
      daily_(services.daily),
      targets_(services.targets) {
  metrics_.connections_open.add(1);
}

Session::~Session() { metrics_.connections_open.add(-1); }

Status Session::on_connect(std::string_view client_addr) {
  connect_addr_ = normalise_client_addr(client_addr);
  return quiet(no_reply_.connect);
}

Status Session::on_mail_from(Mta& mta, std::string_view sender) {
  reset_message();
  message_.envelope.mail_from = strip_angle_brackets(sender);
  message_.envelope.auth_user = macro_or(mta, "{auth_authen}");
  message_.envelope.daemon_name = macro_or(mta, "{daemon_name}");
  return failed_ ? failure_status() : quiet(no_reply_.mail);
}

Status Session::on_rcpt_to(Mta& mta, std::string_view recipient) {
  if (message_.envelope.queue_id.empty()) message_.envelope.queue_id = macro_or(mta, "i");
  std::string address = strip_angle_brackets(recipient);
  if (auto refusal = refuse_recipient(mta, address)) return *refusal;
  if (static_cast<std::int64_t>(message_.envelope.recipients.size()) < config_->milter.max_recipients) {
    message_.envelope.recipients.push_back(std::move(address));
  } else {
    message_.headers_truncated = true;
    note_cap("milter.max_recipients");
  }
  return Status::proceed;
}

std::optional<Status> Session::refuse_recipient(Mta& mta, const std::string& recipient) {
  const auto& policy = config_->policy;
  if (!store_ || policy.refuse_at_rcpt_streak <= 0 || policy.mode == config::Mode::monitor) return std::nullopt;
  // Only what the allowlists and the direction look at, for this recipient.
  scoring::Envelope single;
  single.mail_from = message_.envelope.mail_from;
  single.auth_user = message_.envelope.auth_user;
  single.recipients = {recipient};
  single.client_addr = normalise_client_addr(macro_or(mta, "{client_addr}", connect_addr_));
  if (!scoring::allowlisted_reason(single, false, policy).empty()) return std::nullopt;
  if (is_outbound(single, config_->direction)) return std::nullopt;
  const std::string sender = state::normalise_address(message_.envelope.mail_from);
  // Every streak of the sender and its campaign known to be short: nothing to ask.
  if (auto ceiling = store_->streak_ceiling(sender);
      ceiling && *ceiling < static_cast<std::uint32_t>(policy.refuse_at_rcpt_streak)) {
    metrics_.rcpt_checks.with({"bound"}).add();
    return std::nullopt;
  }
  metrics_.rcpt_checks.with({"store"}).add();
  auto started = std::chrono::steady_clock::now();
  // A new mailbox of a campaign is known by the brand of its domain.
  scoring::Organisation organisation;
  if (const auto* identity = config_->analysis.campaign_identity.get()) {
    organisation = scoring::organisation_of(scoring::domain_of(message_.envelope.mail_from), *identity);
  }
  auto snapshot = store_->peek(sender, state::normalise_address(recipient),
                               organisation.brand, organisation.name);
  metrics_.store_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!snapshot.available) {
    metrics_.store_errors.with({"peek"}).add();
    return std::nullopt;
  }
  // The campaign's streak over all its mailboxes counts when it is higher.
  const bool by_campaign = snapshot.campaign_streak > snapshot.streak;
  const std::uint32_t streak = std::max(snapshot.streak, snapshot.campaign_streak);
  if (snapshot.allowlisted || snapshot.dialogue || snapshot.campaign_dialogue ||
      streak < static_cast<std::uint32_t>(policy.refuse_at_rcpt_streak)) {
    return std::nullopt;
  }
  std::string text = policy.rcpt_reject_text;
  if (auto at = text.find("{streak}"); at != std::string::npos) text.replace(at, 8, std::to_string(streak));
  mta.set_reply("550", "5.7.1", escape_reply_text(text));
  metrics_.messages.with({"inbound", "rcpt_refused"}).add();
  const auto refused_at = clock_ ? clock_->now() : state::SystemClock().now();
  if (daily_) daily_->add(state::DailyEvent::refused, refused_at);
  if (targets_) targets_->add_one(recipient, refused_at);
  spdlog::info("{}: from=<{}> refused recipient <{}> at RCPT: {} unanswered messages{}", log_id(),
               message_.envelope.mail_from, recipient, streak,
               by_campaign ? fmt::format(" from {} addresses of its campaign", snapshot.campaign_senders) : "");
  return Status::reject;
}

Status Session::on_header(std::string_view name, std::string_view value) {
  if (scoring::is_own_header(name)) {
    auto& entry = forged_headers_[scoring::to_lower(name)];
    entry.first = std::string(name);
    ++entry.second;
  }
  ++header_count_;
  if (header_count_ > config_->milter.max_header_count) {
    message_.headers_truncated = true;
    note_cap("milter.max_header_count");
  } else {
    auto cap = static_cast<std::size_t>(config_->milter.max_header_bytes);
    if (value.size() > cap) {
      value = value.substr(0, cap);
      message_.headers_truncated = true;
      note_cap("milter.max_header_bytes");
    }
    message_.headers.push_back({std::string(name), std::string(value)});
  }
  return quiet(no_reply_.header);
}

Status Session::on_body_chunk(std::string_view chunk) {
  auto cap = static_cast<std::size_t>(config_->milter.max_body_bytes);
  std::size_t room = cap - std::min(cap, message_.body.size());
  message_.body.append(chunk.substr(0, std::min(room, chunk.size())));
  if (chunk.size() > room) {
    message_.body_truncated = true;
    note_cap("milter.max_body_bytes");
    // Nothing more is kept (and, where the body is answered, sent); end of
    // message still comes.
    if (no_reply_.body) return Status::no_reply;
    return no_reply_.skip_supported ? Status::skip : Status::proceed;
  }
  return quiet(no_reply_.body);
}

void Session::remove_forged_headers(Mta& mta) {
  for (const auto& [key, entry] : forged_headers_) {
    const auto& [name, count] = entry;
    for (int index = count; index >= 1; --index) {  // highest first keeps indexes valid
      mta.delete_header(name, index);
    }
    spdlog::info("{}: removed {} inbound {} header(s)", log_id(), count, name);
  }
}

Status Session::on_end_of_message(Mta& mta) {
  auto started = std::chrono::steady_clock::now();
  if (auto id = mta.macro("i")) message_.envelope.queue_id = *id;
  message_.envelope.client_addr = normalise_client_addr(macro_or(mta, "{client_addr}", connect_addr_));
  if (failed_) {
    Status status = failure_status();
    reset_message();
    return status;
  }

  remove_forged_headers(mta);
  scoring::Analysis analysis = runtime_->analyzer->analyse(message_);
  if (analysis.model_failed) {
    spdlog::error("{}: the cold-pitch model failed on this message; judged without COLD_PITCH", log_id());
  }
  bool outbound = is_outbound(message_.envelope, config_->direction);

  scoring::HistoryFacts facts;
  std::string history_line;
  state::TemplateFacts cluster;
  auto now = clock_ ? clock_->now() : state::SystemClock().now();
  if (store_) {
    auto store_started = std::chrono::steady_clock::now();
    state::History history =
        store_->observe(observation_of(message_, analysis, outbound, now, config_->analysis.campaign_identity.get()));
    metrics_.store_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - store_started).count());
    if (history.outcome == state::Outcome::unavailable) {
      metrics_.store_errors.with({"observe"}).add();
      if (config_->state.on_unavailable == config::FailureAction::tempfail) {
        spdlog::warn("{}: state store unavailable; message tempfailed (state.on_unavailable)", log_id());
        mta.set_reply("451", "4.7.1", "state store unavailable, try again later");
        reset_message();
        return Status::tempfail;
      }
    }
    facts = facts_of(history, now);
    history_line = describe_history(history);
    cluster = history.cluster;
  }

  scoring::Verdict verdict = scoring::decide(message_, analysis, facts, *config_);
  Status status = outbound ? Status::proceed : apply(mta, verdict, history_line);
  if (!outbound && daily_) {
    // What was done, not what the score asked for (monitor mode passes everything); a tempfail is not counted.
    using scoring::Action;
    switch (verdict.action) {
      case Action::pass: daily_->add(state::DailyEvent::pass, now); break;
      case Action::tag: daily_->add(state::DailyEvent::tag, now); break;
      case Action::quarantine: daily_->add(state::DailyEvent::held, now); break;
      case Action::reject: daily_->add(state::DailyEvent::refused, now); break;
      case Action::tempfail: break;
    }
  }
  if (!outbound && targets_ && verdict.action != scoring::Action::pass && verdict.action != scoring::Action::tempfail) {
    targets_->add(message_.envelope.recipients, now);
  }
  if (!outbound) add_seal(mta, verdict, cluster, now);

  auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  metrics_.analysis_seconds.observe(elapsed.count() / 1000);
  metrics_.messages.with({outbound ? "outbound" : "inbound", std::string(scoring::to_string(verdict.computed))}).add();
  for (const auto& symbol : verdict.symbols) metrics_.symbols.with({symbol.name}).add();
  for (const auto& limit : analysis.limits_hit) metrics_.limits_hit.with({limit}).add();
  std::string limits = fmt::format("{}", fmt::join(analysis.limits_hit, ","));
  for (auto cap : caps_hit_) limits += (limits.empty() ? "" : ",") + std::string(cap);
  spdlog::info("{}: from=<{}> rcpts={} direction={} template={:016x} score={} verdict={}{}{} symbols={} limits={} "
               "time={:.2f}ms",
               log_id(), message_.envelope.mail_from, message_.envelope.recipients.size(),
               outbound ? "outbound" : "inbound", analysis.text.fingerprint.skeleton_hash,
               scoring::format_score(verdict.score), scoring::to_string(verdict.computed),
               verdict.monitor ? " (monitor)" : "", verdict.forced.empty() ? "" : " (" + verdict.forced + ")",
               verdict.symbols.empty() ? "none" : scoring::format_report(verdict.symbols, 300),
               limits.empty() ? "none" : limits, elapsed.count());
  reset_message();
  return status;
}

Status Session::apply(Mta& mta, const scoring::Verdict& verdict, const std::string& history_line) {
  using scoring::Action;
  std::string verdict_text(scoring::to_string(verdict.computed));
  if (verdict.monitor) verdict_text += "; monitor mode, not enforced";
  if (!verdict.forced.empty()) verdict_text += "; " + verdict.forced;
  if (verdict.list_mail && verdict.computed == Action::tag) verdict_text += "; list mail";
  if (verdict.automated && verdict.computed == Action::tag) verdict_text += "; automated mail";
  mta.add_header("X-Pushback-Score", scoring::format_score(verdict.score));
  mta.add_header("X-Pushback-Verdict", scoring::fold_header_value("X-Pushback-Verdict", scoring::sanitise_header_value(verdict_text)));
  if (config_->headers.add_report) {
    auto report = scoring::format_report(verdict.symbols, static_cast<std::size_t>(config_->headers.max_report_length));
    mta.add_header("X-Pushback-Report", scoring::fold_header_value("X-Pushback-Report", report.empty() ? "none" : report));
    if (!history_line.empty()) {
      mta.add_header("X-Pushback-History", scoring::fold_header_value("X-Pushback-History", history_line));
    }
  }
  if (verdict.action >= Action::tag && !config_->policy.subject_tag.empty()) {
    const auto* subject = message_.find_header("Subject");
    std::string tagged = config_->policy.subject_tag + " " + (subject ? subject->value : std::string());
    if (subject) {
      mta.change_header("Subject", 1, scoring::sanitise_header_value(tagged));
    } else {
      mta.add_header("Subject", scoring::sanitise_header_value(tagged));
    }
  }
  switch (verdict.action) {
    case Action::quarantine: {
      std::string reason = "Pushback: score " + scoring::format_score(verdict.score) + " " +
                           scoring::format_report(verdict.symbols, 200);
      mta.quarantine(scoring::sanitise_header_value(reason));
      spdlog::info("{}: quarantined: {}", log_id(), reason);
      return Status::proceed;
    }
    case Action::reject:
      mta.set_reply("550", "5.7.1", escape_reply_text(verdict.reply_text));
      return Status::reject;
    case Action::tempfail:
      mta.set_reply("451", "4.7.1", escape_reply_text(verdict.reply_text));
      return Status::tempfail;
    default:
      return Status::proceed;
  }
}

void Session::add_seal(Mta& mta, const scoring::Verdict& verdict, const state::TemplateFacts& cluster,
                       state::TimePoint now) {
  if (!sealer_) return;
  quarantine::SealFacts seal;
  seal.time = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  seal.action = std::string(scoring::to_string(verdict.computed));
  seal.score = scoring::format_score(verdict.score);
  seal.template_known = cluster.known;
  seal.template_id = static_cast<std::uint32_t>(cluster.id & 0xffffffffu);
  for (const auto& symbol : verdict.symbols) seal.symbols.push_back(symbol.name);
  mta.add_header(quarantine::seal_header,
                 sealer_->seal(seal, state::normalise_address(message_.envelope.mail_from)));
}

void Session::on_abort() { reset_message(); }

std::string Session::log_id() const {
  return message_.envelope.queue_id.empty() ? "NOQUEUE" : message_.envelope.queue_id;
}

Status Session::fail(Mta* mta, std::string_view stage, std::string_view what) {
  if (!failed_) {  // once per message
    metrics_.internal_errors.add();
    if (message_.envelope.queue_id.empty() && mta) message_.envelope.queue_id = macro_or(*mta, "i");
    spdlog::error("{}: internal error in {}: {}; message will be {}", log_id(), stage, what,
                  config_->milter.on_error == config::FailureAction::tempfail ? "tempfailed" : "accepted");
  }
  failed_ = true;
  return failure_status();
}

Status Session::failure_status() const {
  return config_->milter.on_error == config::FailureAction::tempfail ? Status::tempfail : Status::accept;
}

void Session::reset_message() {
  message_ = scoring::Message{};
  forged_headers_.clear();
  header_count_ = 0;
  caps_hit_.clear();
  failed_ = false;
}

void Session::note_cap(std::string_view name) {
  if (std::find(caps_hit_.begin(), caps_hit_.end(), name) == caps_hit_.end()) caps_hit_.push_back(name);
}

}  // namespace pushback::milter
