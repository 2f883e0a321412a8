// Routing and the guards in front of every page; the login and log-out.
#include "web/console.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "state/address.hpp"
#include "state/keyed_hash.hpp"
#include "web/html.hpp"
#include "web/password.hpp"
#include "web/static_files.hpp"

namespace pushback::web {

namespace {

constexpr const char* session_cookie = "pb_session";
constexpr const char* login_cookie = "pb_login";  // the login form's CSRF token (double submit)

}  // namespace

Console::Console(cli::Review review, NowFunction now)
    : review_(std::move(review)),
      now_(std::move(now)),
      sessions_(review_.config->web.session_lifetime.count()),
      limiter_(review_.config->web.login_attempts, review_.config->web.login_window.count()),
      links_(LinkSigner::from_state_dir(review_.config->state.dir)),
      used_links_(review_.config->state.dir + "/web-used-links") {}

state::Store* Console::store() { return cli::open_store(review_, "web"); }

Console::Window Console::week_window() const {
  const auto& windows = review_.config->state.windows;
  constexpr std::chrono::seconds week = std::chrono::days(7);
  std::size_t index = windows.empty() ? 0 : windows.size() - 1;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (windows[i] >= week) {
      index = i;
      break;
    }
  }
  if (index < windows.size() && windows[index] == week) return {index, "This week"};
  auto seconds = index < windows.size() ? windows[index].count() : 0;
  return {index, seconds % 86400 == 0 ? fmt::format("Last {} days", seconds / 86400)
                                      : fmt::format("Last {} hours", seconds / 3600)};
}

Computed<state::TopReport> Console::top_report() {
  auto* s = store();
  if (!s) return {};
  // The shortest pause between rankings (background_value.hpp stretches it on a large store).
  constexpr auto interval = std::chrono::seconds(10);
  constexpr std::size_t entries = 50;
  if (!top_) top_ = std::make_unique<BackgroundValue<state::TopReport>>([s] { return s->top(entries); }, interval);
  return top_->get(std::chrono::seconds(20));
}

Computed<std::vector<state::TopEntry>> Console::targeted_staff() {
  if (!staff_) {
    staff_ = std::make_unique<BackgroundValue<std::vector<state::TopEntry>>>(
        [this] {
          // The store counts outreach per recipient by keyed hash only.
          auto* s = store();
          if (!s) return std::vector<state::TopEntry>{};
          const std::int64_t today = state::day_number(state::TimePoint(std::chrono::seconds(now_())));
          auto staff = s->most_targeted(today - 6, today, 50).value_or(std::vector<state::TopEntry>{});
          if (review_.config->web.staff_names == "address") {
            // Names where the console knows them: the recipients of the mail held now.
            std::map<std::string, std::string> names;
            for (const auto& held : cli::list_ours(review_, "web").ours) {
              for (const auto& recipient : held.entry.recipients) names.emplace(recipient_hash(recipient), recipient);
            }
            for (auto& entry : staff) {
              if (auto name = names.find(entry.name); name != names.end()) entry.name = name->second;
            }
          }
          // A hash shown as the campaign pages show recipients: its first ten hex digits.
          for (auto& entry : staff) {
            if (entry.name.find('@') == std::string::npos) entry.name = entry.name.substr(0, 10);
          }
          return staff;
        },
        std::chrono::seconds(10));
  }
  return staff_->get(std::chrono::seconds(20));
}

std::string Console::recipient_hash(const std::string& address) {
  static thread_local std::optional<state::KeyedHasher> hasher;
  if (!hasher) hasher.emplace(state::KeyedHasher::from_state_dir(review_.config->state.dir));
  return state::to_hex(hasher->hash(state::HashKind::recipient, state::normalise_address(address)));
}

std::string Console::cookie_attributes() const {
  // Secure only behind TLS: over plain loopback HTTP the browser would drop the cookie.
  bool tls = review_.config->web.public_url.starts_with("https://");
  return fmt::format("; Path=/; HttpOnly; SameSite=Strict{}", tls ? "; Secure" : "");
}

std::optional<Console::Admin> Console::admin_of(const Request& request) {
  auto cookie = request.cookies.find(session_cookie);
  if (cookie == request.cookies.end()) return std::nullopt;
  auto session = sessions_.find(cookie->second, now_());
  if (!session) return std::nullopt;
  return Admin{cookie->second, *session};
}

std::optional<Console::Admin> Console::admin_for_change(const Request& request, Response& refusal) {
  auto admin = admin_of(request);
  if (!admin) {
    refusal = redirect("/login");
    return std::nullopt;
  }
  if (!csrf_matches(admin->session, request.field("csrf"))) {
    refusal = plain(403, "refused: the form's CSRF token is missing or wrong; reload the page and try again\n");
    cli::audit(fmt::format("web: refused a {} {} without a valid CSRF token, {}", request.method, request.path,
                           admin->session.who));
    return std::nullopt;
  }
  return admin;
}

Response Console::handle(const Request& request) {
  const auto& path = request.path;
  bool get = request.method == "GET" || request.method == "HEAD";
  bool post = request.method == "POST";
  if (!get && !post) return plain(405, "only GET and POST\n");

  if (path.starts_with("/static/")) return get ? static_file(path) : plain(405, "only GET\n");
  if (path == "/favicon.ico") return plain(404, "no icon\n");
  if (path.starts_with("/release/")) {
    std::string_view token = std::string_view(path).substr(9);
    return get ? release_page(request, token) : release_by_link(request, token);
  }
  if (path == "/login") return get ? login_page(request) : login(request);
  if (path == "/logout") return post ? logout(request) : plain(405, "log out with the button (a POST)\n");

  if (post) {
    Response refusal;
    auto admin = admin_for_change(request, refusal);
    if (!admin) return refusal;
    if (path == "/quarantine/action") return quarantine_action(*admin, request);
    if (path == "/campaign/action") return campaign_action(*admin, request);
    return plain(404, "no such action\n");
  }
  auto admin = admin_of(request);
  if (!admin) return redirect("/login");
  if (path == "/" ) return redirect("/overview");
  if (path == "/overview") return overview(*admin, request);
  if (path == "/campaigns") return campaigns(*admin);
  if (path == "/campaign") return campaign(*admin, request);
  if (path == "/quarantine") return quarantine_list(*admin, request);
  if (path == "/quarantine/show") return quarantine_show(*admin, request);
  return plain(404, "no such page\n");
}

Response Console::login_page(const Request& request, const std::string& error, int status) {
  // The token already in the browser is kept: a second tab, or the browser's
  // own request for /favicon.ico, must not invalidate the form on screen.
  auto existing = request.cookies.find(login_cookie);
  bool reuse = existing != request.cookies.end() && existing->second.size() == 32 &&
               existing->second.find_first_not_of("0123456789abcdef") == std::string::npos;
  std::string token = reuse ? existing->second : random_token(16);
  std::string body = fmt::format(
      R"(<form method="post" action="/login" class="card">{}{}<p><label>Admin password<br>)"
      R"(<input type="password" name="password" autocomplete="current-password" autofocus required></label></p>)"
      R"(<p><button>Log in</button></p></form>)",
      error.empty() ? "" : fmt::format(R"(<p class="error">{}</p>)", escape(error)), csrf_input(token));
  Response response;
  response.status = status;
  response.body = render_page({.title = "Log in"}, body);
  response.headers.emplace_back("Set-Cookie", fmt::format("{}={}{}", login_cookie, token, cookie_attributes()));
  return response;
}

Response Console::login(const Request& request) {
  auto now = now_();
  auto sent_token = request.field("csrf");
  auto cookie = request.cookies.find(login_cookie);
  if (cookie == request.cookies.end() || sent_token.empty() || cookie->second != sent_token) {
    return login_page(request, "The login form expired: try again.", 403);
  }
  if (auto wait = limiter_.wait_seconds(request.client, now); wait > 0) {
    cli::audit(fmt::format("web: login refused for {}: too many failed attempts", request.client));
    auto response = login_page(request, fmt::format("Too many failed logins: try again in {} s.", wait), 429);
    response.headers.emplace_back("Retry-After", std::to_string(wait));
    return response;
  }
  std::string error;
  auto stored = read_password_file(review_.config->web.password_file, error);
  if (!stored) {
    cli::audit("web: login impossible: " + error);
    return login_page(request, "No admin password is set: run `pushback web passwd`.", 503);
  }
  if (!verify_password(*stored, request.field("password"))) {
    limiter_.failed(request.client, now);
    cli::audit(fmt::format("web: failed login from {}", request.client));
    return login_page(request, "Wrong password.", 401);
  }
  limiter_.succeeded(request.client);
  std::string who = fmt::format("admin from {}", request.client);
  std::string id = sessions_.open(who, now);
  cli::audit(fmt::format("web: login: {}", who));
  auto response = redirect("/overview");
  response.headers.emplace_back(
      "Set-Cookie", fmt::format("{}={}{}; Max-Age={}", session_cookie, id, cookie_attributes(),
                                review_.config->web.session_lifetime.count()));
  return response;
}

Response Console::logout(const Request& request) {
  Response refusal;
  auto admin = admin_for_change(request, refusal);
  if (!admin) return refusal;
  sessions_.close(admin->session_id);
  cli::audit(fmt::format("web: logout: {}", admin->session.who));
  auto response = redirect("/login");
  response.headers.emplace_back("Set-Cookie", fmt::format("{}={}; Max-Age=0", session_cookie, cookie_attributes()));
  return response;
}

}  // namespace pushback::web
