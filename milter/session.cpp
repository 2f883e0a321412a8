// Collects one message per transaction within the configured caps and, at end
// of message, runs the analysis and applies the result.
#include "milter/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "milter/address.hpp"
#include "scoring/analyse.hpp"
#include "scoring/header_text.hpp"

namespace pushback::milter {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string macro_or(Mta& mta, std::string_view name, std::string fallback = {}) {
  auto value = mta.macro(name);
  return value ? *value : std::move(fallback);
}

}  // namespace

Session::Session(std::shared_ptr<const Runtime> runtime, metrics::PushbackMetrics& metrics)
    : runtime_(std::move(runtime)), config_(runtime_->config.get()), metrics_(metrics) {
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
  if (static_cast<std::int64_t>(message_.envelope.recipients.size()) < config_->milter.max_recipients) {
    message_.envelope.recipients.push_back(strip_angle_brackets(recipient));
  } else {
    message_.headers_truncated = true;
  }
  return Status::proceed;
}

Status Session::on_header(std::string_view name, std::string_view value) {
  if (scoring::is_own_header(name)) {
    auto& entry = forged_headers_[lower(name)];
    entry.first = std::string(name);
    ++entry.second;
  }
  ++header_count_;
  if (header_count_ > config_->milter.max_header_count) {
    message_.headers_truncated = true;
  } else {
    auto cap = static_cast<std::size_t>(config_->milter.max_header_bytes);
    if (value.size() > cap) {
      value = value.substr(0, cap);
      message_.headers_truncated = true;
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
    // Nothing more is read; end of message still comes.
    return no_reply_.skip_supported ? Status::skip : Status::proceed;
  }
  return Status::proceed;
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
  double score = scoring::total_score(analysis.symbols);
  mta.add_header("X-Pushback-Score", scoring::format_score(score));
  if (config_->headers.add_report) {
    auto report = scoring::format_report(analysis.symbols,
                                         static_cast<std::size_t>(config_->headers.max_report_length));
    if (report.empty()) report = "none";
    mta.add_header("X-Pushback-Report", scoring::fold_header_value("X-Pushback-Report", report));
  }

  auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  metrics_.analysis_seconds.observe(elapsed.count() / 1000);
  metrics_.messages.with({"inbound", "pass"}).add();
  for (const auto& symbol : analysis.symbols) metrics_.symbols.with({symbol.name}).add();
  for (const auto& limit : analysis.limits_hit) metrics_.limits_hit.with({limit}).add();
  spdlog::info("{}: from=<{}> rcpts={} score={} verdict=pass symbols={} limits={} time={:.2f}ms", log_id(),
               message_.envelope.mail_from, message_.envelope.recipients.size(), scoring::format_score(score),
               analysis.symbols.size(), analysis.limits_hit.empty() ? "none" : fmt::format("{}", fmt::join(analysis.limits_hit, ",")),
               elapsed.count());
  reset_message();
  return Status::proceed;
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
  failed_ = false;
}

}  // namespace pushback::milter
