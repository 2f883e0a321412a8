// Loading the data files: the shipped markers, and every kind of bad file with
// the file, line and key an admin would see.
#include <gtest/gtest.h>

#include "config/data_files.hpp"

namespace pushback::config {
namespace {

struct BadFile {
  const char* name;
  const char* text;
  std::uint32_t line;
  const char* key;
  const char* message_part;
};

const std::string good_phrase = R"(
[[phrase]]
id = "en.ok"
weight = 0.5
language = "en"
pattern = 'just bumping'
example = "Just bumping."
)";

const BadFile bad_phrase_files[] = {
    {"syntax", "[[phrase]\nid = 1\n", 1, "", ""},
    {"unknown_top_level", "phrases = 3\n", 1, "phrases", "unknown key"},
    {"unknown_key", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'a'\nexample = \"a\"\ncolour = 1\n",
     7, "phrase[0].colour", "unknown key"},
    {"missing_pattern", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\nexample = \"a\"\n", 1,
     "phrase[0].pattern", "is required"},
    {"wrong_type", "[[phrase]]\nid = \"en.a\"\nweight = \"high\"\nlanguage = \"en\"\npattern = 'a'\nexample = \"a\"\n", 3,
     "phrase[0].weight", "expected a number"},
    {"weight_range", "[[phrase]]\nid = \"en.a\"\nweight = 1.5\nlanguage = \"en\"\npattern = 'a'\nexample = \"a\"\n", 3,
     "phrase[0].weight", "between 0 and 1"},
    {"bad_regex", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'bump(ing'\nexample = \"a\"\n", 5,
     "phrase[0].pattern", "invalid regular expression"},
    {"lookahead_refused", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'a(?=b)'\nexample = \"ab\"\n",
     5, "phrase[0].pattern", "invalid regular expression"},
    {"matches_empty", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = '(?:bump)?'\nexample = \"a\"\n",
     5, "phrase[0].pattern", "matches empty text"},
    {"bad_language", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"English\"\npattern = 'a'\nexample = \"a\"\n", 4,
     "phrase[0].language", "ISO 639-1"},
    {"bad_id", "[[phrase]]\nid = \"En A\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'a'\nexample = \"a\"\n", 2,
     "phrase[0].id", "a-z"},
    {"duplicate_id",
     "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'a'\nexample = \"a\"\n"
     "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'b'\nexample = \"b\"\n",
     8, "phrase[1].id", "first used at line 2"},
    {"empty_example", "[[phrase]]\nid = \"en.a\"\nweight = 0.5\nlanguage = \"en\"\npattern = 'a'\nexample = \"\"\n", 6,
     "phrase[0].example", "must not be empty"},
    {"not_array_of_tables", "phrase = [1, 2]\n", 1, "phrase", "[[phrase]]"},
};

class BadPhraseFile : public ::testing::TestWithParam<BadFile> {};

INSTANTIATE_TEST_SUITE_P(DataFiles, BadPhraseFile, ::testing::ValuesIn(bad_phrase_files),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_P(BadPhraseFile, ReportsFileLineAndKey) {
  const auto& c = GetParam();
  auto result = load_phrase_lexicon_text(c.text, "phrases.toml");
  ASSERT_FALSE(result.ok());
  ASSERT_FALSE(result.errors.empty());
  const auto& error = result.errors.front();
  EXPECT_EQ(error.file, "phrases.toml");
  EXPECT_EQ(error.line, c.line) << error.to_string();
  EXPECT_EQ(error.key, c.key) << error.to_string();
  EXPECT_NE(error.message.find(c.message_part), std::string::npos) << error.to_string();
}

TEST(DataFiles, GoodPhraseFileLoads) {
  auto result = load_phrase_lexicon_text(good_phrase, "phrases.toml");
  ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
  ASSERT_EQ(result.lexicon->phrases.size(), 1u);
  const auto& entry = result.lexicon->phrases.front();
  EXPECT_EQ(entry.id, "en.ok");
  EXPECT_DOUBLE_EQ(entry.weight, 0.5);
  EXPECT_EQ(entry.line, 2u);
}

TEST(DataFiles, ErrorTextNamesFileLineAndKey) {
  auto result = load_phrase_lexicon_text(bad_phrase_files[6].text, "/etc/pushback/phrases.toml");
  ASSERT_FALSE(result.errors.empty());
  EXPECT_EQ(result.errors.front().to_string().rfind("/etc/pushback/phrases.toml:5: phrase[0].pattern: invalid", 0), 0u)
      << result.errors.front().to_string();
}

TEST(DataFiles, MissingFileIsAnError) {
  auto result = load_phrase_lexicon_file("/nonexistent/phrases.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.front().message, "cannot be read");
  EXPECT_FALSE(load_outreach_markers_file("/nonexistent/markers.toml").ok());
}

const BadFile bad_marker_files[] = {
    {"unknown_section", "[[pixels]]\nid = \"a\"\n", 1, "pixels", "unknown key"},
    {"header_bad_name", "[[header]]\nid = \"a\"\nheader = \"X Bad\"\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n", 3,
     "header[0].header", "not a valid header name"},
    {"header_bad_value_regex",
     "[[header]]\nid = \"a\"\nheader = \"X-A\"\nvalue_pattern = '[a'\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n", 4,
     "header[0].value_pattern", "invalid regular expression"},
    {"header_missing_source", "[[header]]\nid = \"a\"\nheader = \"X-A\"\nplatform = \"P\"\nweight = 0.5\n", 1,
     "header[0].source", "is required"},
    {"host_and_pattern",
     "[[pixel]]\nid = \"a\"\nhost = \"t.example.com\"\nhost_pattern = 't\\.example\\.com'\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n",
     1, "pixel[0].host", "exactly one"},
    {"host_upper_case", "[[link]]\nid = \"a\"\nhost = \"T.Example.com\"\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n", 3,
     "link[0].host", "lower-case host"},
    {"path_without_slash",
     "[[booking]]\nid = \"a\"\nhost = \"calendly.com\"\npath_prefix = \"book\"\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n",
     4, "booking[0].path_prefix", "start with '/'"},
    {"bad_host_pattern", "[[pixel]]\nid = \"a\"\nhost_pattern = '(t'\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n", 3,
     "pixel[0].host_pattern", "invalid regular expression"},
    {"generic_pixel_size", "[generic_pixel]\nweight = 0.3\nmax_width = 100\nsource = \"s\"\n", 3, "generic_pixel.max_width",
     "between 0 and 16"},
    {"generic_pixel_unknown", "[generic_pixel]\nweight = 0.3\nsource = \"s\"\ncolour = 2\n", 4, "generic_pixel.colour",
     "unknown key"},
    {"duplicate_across_lists",
     "[[pixel]]\nid = \"a\"\nhost = \"a.com\"\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n"
     "[[link]]\nid = \"a\"\nhost = \"b.com\"\nplatform = \"P\"\nweight = 0.5\nsource = \"s\"\n",
     8, "link[0].id", "duplicate id"},
};

class BadMarkerFile : public ::testing::TestWithParam<BadFile> {};

INSTANTIATE_TEST_SUITE_P(DataFiles, BadMarkerFile, ::testing::ValuesIn(bad_marker_files),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_P(BadMarkerFile, ReportsFileLineAndKey) {
  const auto& c = GetParam();
  auto result = load_outreach_markers_text(c.text, "markers.toml");
  ASSERT_FALSE(result.ok());
  ASSERT_FALSE(result.errors.empty());
  const auto& error = result.errors.front();
  EXPECT_EQ(error.file, "markers.toml");
  EXPECT_EQ(error.line, c.line) << error.to_string();
  EXPECT_EQ(error.key, c.key) << error.to_string();
  EXPECT_NE(error.message.find(c.message_part), std::string::npos) << error.to_string();
}

TEST(DataFiles, ShippedMarkersLoadAndEveryEntryHasASource) {
  auto result = load_outreach_markers_file(std::string(PUSHBACK_SOURCE_DIR) + "/data/outreach_markers.toml");
  ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
  const auto& m = *result.markers;
  EXPECT_FALSE(m.headers.empty());
  EXPECT_FALSE(m.pixels.empty());
  EXPECT_FALSE(m.links.empty());
  EXPECT_FALSE(m.bookings.empty());
  EXPECT_TRUE(m.generic_pixel.enabled);
  for (const auto& h : m.headers) EXPECT_FALSE(h.source.empty()) << h.id;
  for (const auto* list : {&m.pixels, &m.links, &m.bookings}) {
    for (const auto& entry : *list) EXPECT_GT(entry.source.size(), 10u) << entry.id;
  }
}

}  // namespace
}  // namespace pushback::config
