// Reads the data files an admin can extend: the follow-up phrase lexicon and
// the sales-engagement markers. Errors name file, line and key, like the
// configuration; unknown keys and invalid regular expressions are errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.hpp"

namespace pushback::config {

// Weights in both files say how specific a piece of evidence is: 1.0 is
// unmistakable sequence tooling, 0.1 is something colleagues also write. The
// decision layer scales them by the configured symbol weights.
inline constexpr double max_data_weight = 1.0;

// One follow-up phrasing: `pattern` is an RE2 regular expression over folded
// text (NFKC, case folded, white space runs as one space), so it is lower case
// and uses single spaces. `example` is a sentence that must hit it.
struct PhraseEntry {
  std::string id;        // unique in the file, e.g. "en.bump_top_of_inbox"
  double weight = 0;     // 0 to max_data_weight
  std::string language;  // ISO 639-1 code, e.g. "en", "de"
  std::string pattern;
  std::string example;
  std::uint32_t line = 0;  // where the entry starts, for later messages
};

struct PhraseLexicon {
  std::string source;  // the file it came from
  std::vector<PhraseEntry> phrases;
};

// A header that a sales-engagement platform adds. `header` is compared
// without regard to case; `value_pattern`, when not empty, is an RE2
// expression that must occur in the value (case-insensitive).
struct HeaderMarker {
  std::string id;
  std::string header;
  std::string value_pattern;
  std::string platform;
  double weight = 0;
  std::string source;  // where the fact was established
  std::uint32_t line = 0;
};

// A host (and optional path prefix) that marks an open-tracking pixel, a
// link-tracking redirect or a meeting-booking page. Exactly one of `host`
// (that host or any subdomain of it) and `host_pattern` (an RE2 expression
// the whole host must match, for numbered host families) is set.
struct HostMarker {
  std::string id;
  std::string host;
  std::string host_pattern;
  std::string path_prefix;  // empty: any path
  std::string platform;
  double weight = 0;
  std::string source;
  std::uint32_t line = 0;
};

// Any image that is at most max_width x max_height pixels, or hidden by its
// style, is an open-tracking pixel whatever its host.
struct GenericPixelRule {
  bool enabled = false;
  double weight = 0;
  int max_width = 1;
  int max_height = 1;
  bool hidden_counts = true;
  std::string source;
};

struct OutreachMarkers {
  std::string source;
  std::vector<HeaderMarker> headers;
  std::vector<HostMarker> pixels;    // open-tracking pixel hosts
  std::vector<HostMarker> links;     // link-tracking and redirect hosts
  std::vector<HostMarker> bookings;  // meeting-booking pages
  GenericPixelRule generic_pixel;
};

struct PhraseLexiconResult {
  std::optional<PhraseLexicon> lexicon;  // empty when there are errors
  std::vector<ConfigError> errors;
  bool ok() const { return lexicon.has_value(); }
};

struct OutreachMarkersResult {
  std::optional<OutreachMarkers> markers;  // empty when there are errors
  std::vector<ConfigError> errors;
  bool ok() const { return markers.has_value(); }
};

// What campaign identity needs to know about names and hosts (campaign_identity.toml):
// the affixes that sales tools add to a brand to make lookalike sending
// domains (getacme.com, acme-mail.com, acmehq.io), and the shared
// infrastructure that says nothing about who sends (webmail, ESP tracking,
// booking services, social sites). Entries are lower case.
struct CampaignIdentityData {
  std::string source;
  std::vector<std::string> brand_prefixes;  // longest first
  std::vector<std::string> brand_suffixes;  // longest first
  std::vector<std::string> designators;     // words after a company's name: "kestrelinsurance" is kestrel's; longest first
  std::vector<std::string> shared_domains;  // registrable domains, sorted
  std::vector<std::string> account_headers; // headers whose value is the sending account at a platform
  bool is_shared(std::string_view registrable_domain) const;
};

struct CampaignIdentityResult {
  std::optional<CampaignIdentityData> data;  // empty when there are errors
  std::vector<ConfigError> errors;
  bool ok() const { return data.has_value(); }
};

PhraseLexiconResult load_phrase_lexicon_file(const std::string& path);
PhraseLexiconResult load_phrase_lexicon_text(std::string_view text, const std::string& source_name);

OutreachMarkersResult load_outreach_markers_file(const std::string& path);
OutreachMarkersResult load_outreach_markers_text(std::string_view text, const std::string& source_name);

CampaignIdentityResult load_campaign_identity_file(const std::string& path);
CampaignIdentityResult load_campaign_identity_text(std::string_view text, const std::string& source_name);

}  // namespace pushback::config
