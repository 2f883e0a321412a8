// Marker matching: header names by case-insensitive comparison, values and
// host families by precompiled RE2, hosts by suffix on label boundaries.
#include "scoring/markers.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <set>

namespace pushback::scoring {

namespace {

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

std::unique_ptr<RE2> compile(const std::string& pattern, std::vector<std::string>& errors, const std::string& id) {
  if (pattern.empty()) return nullptr;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) errors.push_back(fmt::format("{}: {}", id, re->error()));
  return re;
}

// "t.yesware.com" matches host "t.yesware.com" and "x.t.yesware.com", never
// "nott.yesware.com".
bool host_within(std::string_view host, std::string_view domain) {
  if (host.size() < domain.size() || host.substr(host.size() - domain.size()) != domain) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

bool is_tiny(const ImageRef& image, const config::GenericPixelRule& rule) {
  return image.width >= 0 && image.height >= 0 && image.width <= rule.max_width && image.height <= rule.max_height;
}

// Gmail's image proxy keeps the original address after '#'.
std::string_view unwrap_proxy(std::string_view url) {
  auto at = url.find("#http");
  return at == std::string_view::npos ? url : url.substr(at + 1);
}

}  // namespace

std::string_view to_string(MarkerKind kind) {
  switch (kind) {
    case MarkerKind::platform_header: return "platform_header";
    case MarkerKind::tracking_pixel: return "tracking_pixel";
    case MarkerKind::link_tracking: return "link_tracking";
    case MarkerKind::booking_link: return "booking_link";
  }
  return "unknown";
}

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  if (url.size() > max_marker_url_bytes) url = url.substr(0, max_marker_url_bytes);
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  std::string scheme_part = lower_ascii(url.substr(0, std::min<std::size_t>(url.size(), 8)));
  if (scheme_part.rfind("https://", 0) == 0) url.remove_prefix(8);
  else if (scheme_part.rfind("http://", 0) == 0) url.remove_prefix(7);
  else if (url.substr(0, 2) == "//") url.remove_prefix(2);
  else return parts;
  auto authority_end = url.find_first_of("/?#\\");
  std::string_view authority = url.substr(0, authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (auto colon = authority.find(':'); colon != std::string_view::npos) authority = authority.substr(0, colon);
  while (!authority.empty() && authority.back() == '.') authority.remove_suffix(1);
  parts.host = lower_ascii(authority);
  if (authority_end != std::string_view::npos && url[authority_end] == '/') {
    std::string_view rest = url.substr(authority_end);
    parts.path.assign(rest.data(), std::min(rest.size(), rest.find_first_of("?#")));
  } else {
    parts.path.push_back('/');
  }
  return parts;
}

struct MarkerMatcher::Compiled {
  std::vector<std::unique_ptr<RE2>> header_values;  // by header index, null: any value
  std::vector<std::unique_ptr<RE2>> pixel_hosts;    // by entry index, null: plain host
  std::vector<std::unique_ptr<RE2>> link_hosts;
  std::vector<std::unique_ptr<RE2>> booking_hosts;
};

MarkerMatcher::MarkerMatcher(config::OutreachMarkers markers)
    : markers_(std::move(markers)), compiled_(std::make_unique<Compiled>()) {}

MarkerMatcher::~MarkerMatcher() = default;

MarkerMatcherBuild MarkerMatcher::build(config::OutreachMarkers markers) {
  MarkerMatcherBuild result;
  std::shared_ptr<MarkerMatcher> matcher(new MarkerMatcher(std::move(markers)));
  auto& compiled = *matcher->compiled_;
  const auto& m = matcher->markers_;
  for (const auto& header : m.headers) {
    compiled.header_values.push_back(compile(header.value_pattern, result.errors, header.id));
  }
  auto hosts = [&](const std::vector<config::HostMarker>& list, std::vector<std::unique_ptr<RE2>>& out) {
    for (const auto& entry : list) out.push_back(compile(entry.host_pattern, result.errors, entry.id));
  };
  hosts(m.pixels, compiled.pixel_hosts);
  hosts(m.links, compiled.link_hosts);
  hosts(m.bookings, compiled.booking_hosts);
  if (result.errors.empty()) result.matcher = std::move(matcher);
  return result;
}

std::vector<MarkerFinding> MarkerMatcher::match(const Message& message, const HtmlRefs& refs) const {
  auto findings = match_headers(message.headers);
  auto more = match_refs(refs);
  findings.insert(findings.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return findings;
}

std::vector<MarkerFinding> MarkerMatcher::match_headers(const std::vector<Header>& headers) const {
  std::vector<MarkerFinding> findings;
  const auto& list = markers_.headers;
  std::vector<char> seen(list.size(), 0);
  std::size_t count = std::min(headers.size(), max_marker_headers);
  for (std::size_t h = 0; h < count; ++h) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (seen[i] || !iequals(headers[h].name, list[i].header)) continue;
      const RE2* value = compiled_->header_values[i].get();
      if (value != nullptr && !RE2::PartialMatch(headers[h].value, *value)) continue;
      seen[i] = 1;
      findings.push_back({MarkerKind::platform_header, list[i].id, list[i].platform, list[i].weight,
                          fmt::format("{} header ({})", list[i].header, list[i].platform)});
    }
  }
  return findings;
}

namespace {

// Index of the first entry whose host (and path prefix) the URL matches.
std::optional<std::size_t> find_host(const UrlParts& url, const std::vector<config::HostMarker>& list,
                                     const std::vector<std::unique_ptr<RE2>>& patterns) {
  if (url.host.empty()) return std::nullopt;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    bool host_ok = patterns[i] ? RE2::FullMatch(url.host, *patterns[i]) : host_within(url.host, entry.host);
    if (!host_ok) continue;
    if (!entry.path_prefix.empty() && url.path.rfind(entry.path_prefix, 0) != 0) continue;
    return i;
  }
  return std::nullopt;
}

std::string image_shape(const ImageRef& image, bool tiny) {
  if (tiny) return fmt::format("{}x{} image", image.width, image.height);
  return image.hidden ? "hidden image" : "image";
}

}  // namespace

std::vector<MarkerFinding> MarkerMatcher::match_refs(const HtmlRefs& refs) const {
  std::vector<MarkerFinding> findings;
  std::set<std::string_view> seen;
  const auto& rule = markers_.generic_pixel;
  bool generic_seen = false;

  std::size_t images = std::min(refs.images.size(), max_marker_images);
  for (std::size_t n = 0; n < images; ++n) {
    const auto& image = refs.images[n];
    UrlParts url = split_url(unwrap_proxy(image.src));
    bool tiny = is_tiny(image, rule);
    if (auto i = find_host(url, markers_.pixels, compiled_->pixel_hosts)) {
      const auto& entry = markers_.pixels[*i];
      if (seen.insert(entry.id).second) {
        findings.push_back({MarkerKind::tracking_pixel, entry.id, entry.platform, entry.weight,
                            fmt::format("{} from {} ({})", image_shape(image, tiny), url.host, entry.platform)});
      }
      continue;
    }
    // Only remote images track opens; inline (cid:, data:) ones do not.
    if (!rule.enabled || generic_seen || url.host.empty()) continue;
    if (tiny || (rule.hidden_counts && image.hidden)) {
      generic_seen = true;
      findings.push_back({MarkerKind::tracking_pixel, "generic_pixel", "", rule.weight,
                          fmt::format("{} from {}", image_shape(image, tiny), url.host)});
    }
  }

  std::size_t links = std::min(refs.links.size(), max_marker_links);
  for (std::size_t n = 0; n < links; ++n) {
    UrlParts url = split_url(refs.links[n]);
    if (url.host.empty()) continue;
    if (auto i = find_host(url, markers_.links, compiled_->link_hosts)) {
      const auto& entry = markers_.links[*i];
      if (seen.insert(entry.id).second) {
        findings.push_back({MarkerKind::link_tracking, entry.id, entry.platform, entry.weight,
                            fmt::format("link through {} ({})", url.host, entry.platform)});
      }
    }
    if (auto i = find_host(url, markers_.bookings, compiled_->booking_hosts)) {
      const auto& entry = markers_.bookings[*i];
      if (seen.insert(entry.id).second) {
        findings.push_back({MarkerKind::booking_link, entry.id, entry.platform, entry.weight,
                            fmt::format("booking link to {} ({})", url.host, entry.platform)});
      }
    }
  }
  return findings;
}

}  // namespace pushback::scoring
