// HTML to text through libxml2's HTML parser: what a reader sees, with block elements as line
// breaks, the start of quoted history marked, and the images and links noted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "scoring/html_refs.hpp"

namespace pushback::scoring {

struct HtmlText {
  std::string text;                          // UTF-8, '\n' between blocks
  std::size_t quote_at = std::string::npos;  // offset in text where quoted history starts
  HtmlRefs refs;
  bool depth_hit = false;                    // content deeper than max_depth was dropped
};

// script, style, head and the like are dropped. Quoted history starts at the
// first blockquote, div.gmail_quote, div#appendonsend, div#divRplyFwdMsg,
// .moz-cite-prefix or .yahoo_quoted. Elements are followed without recursion
// and no deeper than max_depth; invalid UTF-8 becomes U+FFFD.
HtmlText html_to_text(std::string_view html, std::size_t max_depth);

}  // namespace pushback::scoring
