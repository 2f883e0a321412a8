// HTML output for the console: escaping of every text that came from mail or
// the store, and the page frame (one small style sheet, a viewport that fits
// a phone and a desktop window).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pushback::web {

// Text safe inside an element or a quoted attribute: & < > " ' are escaped.
std::string escape(std::string_view text);

// Text safe as one query-string or path component (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

struct PageFrame {
  std::string title;
  bool signed_in = false;     // show the admin navigation and the log-out form
  std::string csrf_token;     // for the log-out form
  std::string active;         // "overview", "campaigns", "quarantine"
  bool with_charts = false;   // load Chart.js
};

// The whole document around `body` (already HTML).
std::string render_page(const PageFrame& frame, std::string_view body);

// What a page says about rankings from the ranking thread: "" when they are
// there; that they are still being computed (the first after start on a large
// store), or that the store was unavailable when they were.
std::string rankings_notice(std::int64_t computed_at, bool available);

// A hidden input carrying the CSRF token, for every state-changing form.
std::string csrf_input(std::string_view token);

}  // namespace pushback::web
