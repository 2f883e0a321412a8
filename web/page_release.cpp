// The recipient's release page, reached from a digest link. A GET only
// shows what would be released and asks to confirm; the POST releases. The
// link must verify, be unexpired and unused, and name a message Pushback
// holds for that very recipient.
#include <fmt/format.h>

#include <algorithm>

#include "state/address.hpp"
#include "web/console.hpp"
#include "web/html.hpp"

namespace pushback::web {

namespace {

constexpr const char* release_cookie = "pb_release";  // the confirmation form's token (double submit)

Response refused(int status, std::string_view why) {
  Response response;
  response.status = status;
  response.body = render_page({.title = "Release refused"}, fmt::format(R"(<p class="error">{}</p>)", escape(why)));
  return response;
}

struct LinkTarget {
  std::optional<quarantine::HeldMessage> held;
  LinkClaim claim;
  Response refusal;
};

// Checks the link and finds its message; on failure `refusal` says why.
LinkTarget resolve(cli::Review& review, const LinkSigner& links, const UsedLinks& used, std::string_view token,
                          std::int64_t now, const std::string& client) {
  LinkTarget target;
  auto check = links.verify(token, now, target.claim);
  if (check != LinkCheck::valid) {
    cli::audit(fmt::format("web: release link refused ({}) from {}", to_string(check), client));
    target.refusal = check == LinkCheck::expired
                         ? refused(410, "This release link has expired. Ask your mail administrator.")
                         : refused(403, "This is not a valid release link.");
    return target;
  }
  if (used.used(target.claim.nonce)) {
    cli::audit(fmt::format("web: release link refused (already used) for {} by {} from {}", target.claim.queue_id,
                           target.claim.recipient, client));
    target.refusal = refused(410, "This release link was already used.");
    return target;
  }
  auto listing = cli::list_ours(review, "web");
  for (auto& held : listing.ours) {
    if (held.entry.queue_id != target.claim.queue_id) continue;
    bool addressed = std::any_of(held.entry.recipients.begin(), held.entry.recipients.end(), [&](const auto& r) {
      return state::normalise_address(r) == target.claim.recipient;
    });
    if (!addressed) {
      cli::audit(fmt::format("web: release link refused (not a recipient) for {} by {} from {}", held.entry.queue_id,
                             target.claim.recipient, client));
      target.refusal = refused(403, "This message was not held for you.");
      return target;
    }
    target.held = std::move(held);
    return target;
  }
  target.refusal = refused(404, "This message is no longer held: it was released or deleted already.");
  return target;
}

}  // namespace

Response Console::release_page(const Request& request, std::string_view token) {
  auto target = resolve(review_, links_, used_links_, token, now_(), request.client);
  if (!target.held) return target.refusal;
  const auto& held = *target.held;
  std::string confirm = random_token(16);
  std::string body = fmt::format(
      R"(<div class="card"><p>Pushback held this message for <strong>{}</strong>:</p><table>)"
      R"(<tr><th>From</th><td>{}</td></tr><tr><th>Subject</th><td>{}</td></tr><tr><th>Why</th><td>score {}: {}</td></tr></table>)"
      R"(<form method="post" action="/release/{}">{}<p><button>Deliver it to my inbox</button></p></form>)"
      R"(<p class="note">Releasing it also tells Pushback that mail like this is welcome.</p></div>)",
      escape(target.claim.recipient), escape(held.entry.sender.empty() ? "<>" : held.entry.sender),
      escape(held.subject.empty() ? "(no subject)" : held.subject), escape(held.verdict.score),
      escape(fmt::format("{}", fmt::join(held.verdict.symbols, " "))), escape(token), csrf_input(confirm));
  Response response;
  response.body = render_page({.title = "Release a held message"}, body);
  response.headers.emplace_back("Set-Cookie", fmt::format("{}={}{}", release_cookie, confirm, cookie_attributes()));
  return response;
}

Response Console::release_by_link(const Request& request, std::string_view token) {
  auto cookie = request.cookies.find(release_cookie);
  if (cookie == request.cookies.end() || request.field("csrf").empty() || cookie->second != request.field("csrf")) {
    return refused(403, "Confirm the release from the link's page.");
  }
  auto now = now_();
  auto target = resolve(review_, links_, used_links_, token, now, request.client);
  if (!target.held) return target.refusal;
  std::string who = fmt::format("recipient {} by link from {}", target.claim.recipient, request.client);
  auto decision = cli::release_or_delete_held(review_, *target.held, true, store(), who, "released from the digest");
  if (!decision.done) return refused(503, "The message could not be released now: " + decision.message);
  // Written after the release, so a failed one leaves the link usable; the
  // message is no longer held, so the link could not release it twice anyway.
  if (!used_links_.mark(target.claim, now)) cli::audit("web: could not record a used release link in the state directory");
  std::string body = R"(<p class="card">Released: the message is on its way to your inbox.</p>)";
  return {.body = render_page({.title = "Released"}, body)};
}

}  // namespace pushback::web
