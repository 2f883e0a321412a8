// Escaping and the page frame. The style sheet is inline and small: the
// console must work offline and behind a proxy that serves nothing else.
#include "web/html.hpp"

#include <fmt/format.h>

namespace pushback::web {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (char raw : text) {
    auto c = static_cast<unsigned char>(raw);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

namespace {

constexpr std::string_view style = R"(
body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.8rem;align-items:center}
header a{color:#fff;text-decoration:none;padding:.2rem .4rem;border-radius:3px}header a.active{background:#3d4a63}
header form{margin-left:auto}main{padding:1rem;max-width:72rem;margin:auto}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e2e5ea;vertical-align:top;overflow-wrap:break-word}
th{white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}
.card{background:#fff;padding:.8rem;border-radius:6px;box-shadow:0 1px 2px #0002}.full{grid-column:1/-1}
.error{color:#a40000}.note{color:#555}button,input,select{font-size:1rem;padding:.3rem .5rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;padding:.6rem}
@media (max-width:40rem){.wide{display:none}main{padding:.5rem}table{display:block;overflow-x:auto}}
)";

}  // namespace

std::string rankings_notice(std::int64_t computed_at, bool available) {
  if (computed_at == 0) return R"(<p class="note">The rankings are still being computed: reload in a moment.</p>)";
  if (!available) return R"(<p class="error">The state store was unavailable at the last ranking.</p>)";
  return {};
}

std::string csrf_input(std::string_view token) {
  return fmt::format(R"(<input type="hidden" name="csrf" value="{}">)", escape(token));
}

std::string render_page(const PageFrame& frame, std::string_view body) {
  std::string nav;
  if (frame.signed_in) {
    for (auto [id, label] : {std::pair{"overview", "Overview"}, std::pair{"campaigns", "Campaigns"},
                             std::pair{"quarantine", "Quarantine"}}) {
      nav += fmt::format(R"(<a href="/{}"{}>{}</a>)", id, frame.active == id ? R"( class="active")" : "", label);
    }
    nav += fmt::format(R"(<form method="post" action="/logout">{}<button>Log out</button></form>)",
                       csrf_input(frame.csrf_token));
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{} - Pushback</title><style>{}</style>{}</head>\n"
      "<body><header><strong>Pushback</strong>{}</header><main>\n<h1>{}</h1>\n{}\n</main></body></html>\n",
      escape(frame.title), style,
      frame.with_charts ? R"(<script src="/static/chart.js"></script><script src="/static/console.js" defer></script>)"
                        : R"(<script src="/static/console.js" defer></script>)",
      nav, escape(frame.title), body);
}

}  // namespace pushback::web
