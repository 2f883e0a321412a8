// Digest mails: built from the seal-verified facts of each held message
// (sender, subject, time, symbols), escaped for HTML, sent through sendmail
// with an argument vector.
#include "cli/digest.hpp"

#include <fmt/format.h>
#include <sys/random.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "quarantine/command.hpp"
#include "scoring/header_text.hpp"
#include "scoring/message.hpp"
#include "state/address.hpp"
#include "web/release_link.hpp"

namespace pushback::cli {

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string when(std::int64_t seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, format, &tm);
  return buffer;
}

std::string random_hex() {
  std::uint64_t value = 0;
  if (::getrandom(&value, sizeof value, 0) != sizeof value) value = static_cast<std::uint64_t>(std::time(nullptr));
  return fmt::format("{:016x}", value);
}

std::string why(const quarantine::HeldMessage& held) {
  return fmt::format(
      "score {}: {}", held.verdict.score,
      held.verdict.symbols.empty() ? std::string("-") : fmt::format("{}", fmt::join(held.verdict.symbols, ", ")));
}

bool internal(const config::Config& config, const std::string& address) {
  const auto& domains = config.direction.internal_domains;
  return std::find(domains.begin(), domains.end(), state::domain_of(address)) != domains.end();
}

}  // namespace

std::vector<DigestMail> build_digests(const config::Config& config, const std::vector<quarantine::HeldMessage>& held,
                                      std::int64_t now) {
  std::int64_t since = now - config.quarantine.digest_period.count();
  std::map<std::string, std::vector<const quarantine::HeldMessage*>> by_recipient;
  for (const auto& message : held) {
    if (message.entry.arrival_time < since) continue;
    for (const auto& recipient : message.entry.recipients) {
      std::string address = scoring::to_lower(recipient);
      if (internal(config, address)) by_recipient[address].push_back(&message);
    }
  }
  std::string from = config.quarantine.digest_sender.empty() ? "postmaster" : config.quarantine.digest_sender;
  std::string contact = scoring::sanitise_header_value(config.quarantine.release_contact);
  // Release links need the state secret; without it (or without a public
  // URL) the digest still goes out, with the ask-the-admin line only.
  std::optional<web::LinkSigner> links;
  if (!config.web.public_url.empty()) {
    try {
      links.emplace(web::LinkSigner::from_state_dir(config.state.dir));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "pushback quarantine digest: no release links: %s\n", e.what());
    }
  }
  std::string base = config.web.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::vector<DigestMail> out;
  for (const auto& [recipient, messages] : by_recipient) {
    std::string text = fmt::format("Pushback held {} message(s) for you since {}.\r\n\r\n", messages.size(),
                                   when(since, "%Y-%m-%d %H:%M UTC"));
    std::string html = fmt::format(
        "<html><body><p>Pushback held {} message(s) for you since {}.</p>\r\n<table>\r\n"
        "<tr><th>When</th><th>From</th><th>Subject</th><th>Why</th><th>Queue id</th></tr>\r\n",
        messages.size(), html_escape(when(since, "%Y-%m-%d %H:%M UTC")));
    for (const auto* message : messages) {
      std::string sender = scoring::sanitise_header_value(message->entry.sender.empty() ? "<>" : message->entry.sender);
      std::string subject = message->subject.empty() ? "(no subject)" : message->subject;
      std::string at = when(message->entry.arrival_time, "%Y-%m-%d %H:%M UTC");
      std::string link;
      if (links) {
        link = base + "/release/" +
               links->issue(message->entry.queue_id, state::normalise_address(recipient),
                            now + config.web.link_lifetime.count());
      }
      text += fmt::format("- {}  from {}\r\n  Subject: {}\r\n  Why: {}\r\n  Queue id: {}\r\n{}\r\n", at, sender,
                          subject, why(*message), message->entry.queue_id,
                          link.empty() ? "" : "  Release it: " + link + "\r\n");
      html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>\r\n", html_escape(at),
                          html_escape(sender), html_escape(subject), html_escape(why(*message)),
                          html_escape(message->entry.queue_id),
                          link.empty() ? "" : fmt::format(" <a href=\"{}\">Release it</a>", html_escape(link)));
    }
    auto lifetime = config.web.link_lifetime.count();
    std::string lasts = lifetime >= 2 * 86400 ? fmt::format("{} days", lifetime / 86400)
                        : lifetime >= 7200    ? fmt::format("{} hours", lifetime / 3600)
                                              : fmt::format("{} minutes", lifetime / 60);
    text += links ? fmt::format("Each link works once, for {}. Or ask {} and quote the queue id.\r\n", lasts, contact)
                  : fmt::format("To have a message delivered, ask {} and quote its queue id.\r\n", contact);
    html +=
        fmt::format("</table>\r\n<p>To have a message delivered, ask {} and quote its queue id.</p></body></html>\r\n",
                    html_escape(contact));
    std::string boundary = "pushback-digest-" + random_hex();
    std::string domain = state::domain_of(from).empty() ? "localhost" : state::domain_of(from);
    std::string mail = fmt::format(
        "From: {}\r\nTo: {}\r\nSubject: Pushback: {} message(s) held for you\r\nDate: {}\r\n"
        "Message-ID: <digest.{}@{}>\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=\"{}\"\r\n\r\n"
        "--{}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n"
        "--{}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n--{}--\r\n",
        from, recipient, messages.size(), when(now, "%a, %d %b %Y %H:%M:%S +0000"), random_hex(), domain, boundary,
        boundary, text, boundary, html, boundary);
    out.push_back({recipient, std::move(mail)});
  }
  return out;
}

int digest(const config::Config& config, const std::vector<quarantine::HeldMessage>& held, bool send,
           std::int64_t now) {
  auto mails = build_digests(config, held, now);
  if (send && config.quarantine.digest_sender.empty()) {
    // Off by default: the daily timer runs this and must not fail for it.
    std::fputs("pushback quarantine digest: nothing sent: the digest is off until quarantine.digest_sender is set\n",
               stderr);
    return 0;
  }
  int status = 0;
  for (const auto& mail : mails) {
    if (!send) {
      std::printf("=== digest for %s\n%s\n", mail.recipient.c_str(), mail.message.c_str());
      continue;
    }
    std::vector<std::string> argv{config.quarantine.command_dir + "/sendmail"};
    // Both sendmail commands take -C: Postfix's a configuration directory, Sendmail's its .cf file.
    const std::string& alternate =
        config.quarantine.mta == "sendmail" ? config.quarantine.sendmail_config : config.quarantine.postfix_config_dir;
    if (!alternate.empty()) argv.insert(argv.end(), {"-C", alternate});
    argv.insert(argv.end(), {"-i", "-f", config.quarantine.digest_sender, "--", mail.recipient});
    auto result = quarantine::run_command(argv, mail.message);
    if (!result.ok()) {
      std::fprintf(stderr, "pushback quarantine digest: %s: %s exited with status %d: %s\n", mail.recipient.c_str(),
                   argv.front().c_str(), result.exit_status,
                   result.error.empty() ? result.err.c_str() : result.error.c_str());
      status = 1;
      continue;
    }
    std::printf("digest sent to %s\n", mail.recipient.c_str());
  }
  std::fprintf(stderr, "%zu digest(s) %s\n", mails.size(), send ? "handled" : "printed (use --send to send them)");
  return status;
}

}  // namespace pushback::cli
