// Sequence-tooling markers: sales-platform headers, open-tracking pixels,
// link-tracking redirects and meeting-booking links, found in a message's
// headers and in the images and links of its HTML. Trusts nothing in the
// message: every list it walks has a named limit.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/data_files.hpp"
#include "scoring/html_refs.hpp"
#include "scoring/message.hpp"

namespace pushback::scoring {

// Headers, images and links looked at per message; the rest is ignored (a
// sequence tool puts its marks early, a hostile message gets bounded work).
inline constexpr std::size_t max_marker_headers = 1000;
inline constexpr std::size_t max_marker_images = 256;
inline constexpr std::size_t max_marker_links = 512;
inline constexpr std::size_t max_marker_url_bytes = 4096;

enum class MarkerKind { platform_header, tracking_pixel, link_tracking, booking_link };

std::string_view to_string(MarkerKind kind);

struct MarkerFinding {
  MarkerKind kind = MarkerKind::platform_header;
  std::string id;        // the data file entry, or "generic_pixel"
  std::string platform;  // empty for the generic pixel rule
  double weight = 0;
  std::string reason;    // e.g. "X-HS-Cid header (HubSpot)", "1x1 image from t.yesware.com (Yesware)"
};

// The host (lower case, no port or user) and path of an http(s) or
// protocol-relative URL; empty host when it is neither.
struct UrlParts {
  std::string host;
  std::string path;
};
UrlParts split_url(std::string_view url);

class MarkerMatcher;

struct MarkerMatcherBuild {
  std::shared_ptr<const MarkerMatcher> matcher;  // null when there are errors
  std::vector<std::string> errors;
  bool ok() const { return matcher != nullptr; }
};

class MarkerMatcher {
 public:
  static MarkerMatcherBuild build(config::OutreachMarkers markers);

  ~MarkerMatcher();
  MarkerMatcher(const MarkerMatcher&) = delete;
  MarkerMatcher& operator=(const MarkerMatcher&) = delete;

  // Every entry is reported at most once per call. Thread-safe.
  std::vector<MarkerFinding> match(const Message& message, const HtmlRefs& refs) const;
  std::vector<MarkerFinding> match_headers(const std::vector<Header>& headers) const;
  std::vector<MarkerFinding> match_refs(const HtmlRefs& refs) const;

  const config::OutreachMarkers& markers() const { return markers_; }

 private:
  struct Compiled;
  explicit MarkerMatcher(config::OutreachMarkers markers);

  config::OutreachMarkers markers_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace pushback::scoring
