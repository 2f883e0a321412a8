// What the HTML of a message points at: images (for tracking pixels) and links
// (for link-tracking and meeting-booking hosts). Filled by the HTML-to-text
// step, read by the sequence-tooling markers.
#pragma once

#include <string>
#include <vector>

namespace pushback::scoring {

struct ImageRef {
  std::string src;   // as written in the src attribute
  int width = -1;    // from width= or CSS; -1 when not given
  int height = -1;
  bool hidden = false;  // display:none, visibility:hidden, opacity:0
};

struct HtmlRefs {
  std::vector<ImageRef> images;
  std::vector<std::string> links;  // href values of <a> elements
};

}  // namespace pushback::scoring
