// Data file loader: toml++ parses, a small per-table field list checks keys and
// types, RE2 checks every regular expression before anything uses it.
#include "config/data_files.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <toml++/toml.h>

namespace pushback::config {

namespace {

enum class FieldKind { string, number, integer, boolean };

struct Field {
  std::string_view name;
  FieldKind kind;
  bool required;
};

std::string_view kind_text(FieldKind kind) {
  switch (kind) {
    case FieldKind::string: return "a string";
    case FieldKind::number: return "a number";
    case FieldKind::integer: return "an integer";
    case FieldKind::boolean: return "true or false";
  }
  return "a value";
}

bool has_kind(const toml::node& node, FieldKind kind) {
  switch (kind) {
    case FieldKind::string: return node.is_string();
    case FieldKind::number: return node.is_number();
    case FieldKind::integer: return node.is_integer();
    case FieldKind::boolean: return node.is_boolean();
  }
  return false;
}

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

// Patterns are matched as UTF-8 by the scoring engines; RE2 is the reference
// for what is valid. Errors are not logged: they are returned to the admin.
RE2::Options pattern_options(bool case_insensitive) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!case_insensitive);
  return options;
}

// Returns "" for a usable pattern, else why it is not.
std::string check_pattern(const std::string& pattern, bool case_insensitive) {
  if (pattern.empty()) return "must not be empty";
  RE2 re(pattern, pattern_options(case_insensitive));
  if (!re.ok()) return fmt::format("invalid regular expression: {}", re.error());
  // A pattern that matches empty text would fire on every message.
  if (RE2::PartialMatch("", re)) return "matches empty text";
  return {};
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return id.front() != '.' && id.front() != '-' && id.front() != '_';
}

bool valid_language(std::string_view code) {
  if (code.size() < 2 || code.size() > 3) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool valid_header_name(std::string_view name) {
  if (name.empty() || name.size() > 76) return false;
  // RFC 5322 field names: printable ASCII except colon and space.
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127 && c != ':'; });
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void error(std::uint32_t line, std::string key, std::string message) {
    errors_.push_back({source_, line, std::move(key), std::move(message)});
  }

  // Reports unknown keys, missing required keys and wrong types. Returns true
  // when every field present has the right type and none is missing.
  bool check_fields(const toml::table& table, const std::string& where, std::span<const Field> fields) {
    bool ok = true;
    for (const auto& [name, node] : table) {
      // A named copy: clang before 16 cannot capture a structured binding.
      std::string_view field_name = name.str();
      auto field = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == field_name; });
      std::string key = fmt::format("{}.{}", where, name.str());
      if (field == fields.end()) {
        error(line_of(node), key, "unknown key");
        ok = false;
      } else if (!has_kind(node, field->kind)) {
        error(line_of(node), key, fmt::format("expected {}", kind_text(field->kind)));
        ok = false;
      }
    }
    for (const auto& field : fields) {
      if (field.required && !table.contains(field.name)) {
        error(line_of(table), fmt::format("{}.{}", where, field.name), "is required");
        ok = false;
      }
    }
    return ok;
  }

  static std::string string_of(const toml::table& table, std::string_view name) {
    return table[name].value_or(std::string{});
  }

  // Weight: finite, 0 to max_data_weight.
  bool weight(const toml::table& table, const std::string& where, double& out) {
    const toml::node* node = table.get("weight");
    if (!node) return false;
    double value = node->value_or(0.0);
    if (!std::isfinite(value) || value < 0 || value > max_data_weight) {
      error(line_of(*node), where + ".weight", fmt::format("must be between 0 and {}", max_data_weight));
      return false;
    }
    out = value;
    return true;
  }

  // Ids are unique within one file. toml++ walks tables in key order, so
  // duplicates are found in report_duplicate_ids(), in file order.
  bool unique_id(const toml::table& table, const std::string& where, const std::string& id) {
    const toml::node* node = table.get("id");
    std::uint32_t line = node ? line_of(*node) : line_of(table);
    if (!valid_id(id)) {
      error(line, where + ".id", "must be 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
      return false;
    }
    ids_.push_back({id, line, where + ".id"});
    return true;
  }

  void report_duplicate_ids() {
    std::stable_sort(ids_.begin(), ids_.end(), [](const IdUse& a, const IdUse& b) { return a.line < b.line; });
    std::map<std::string, std::uint32_t> first;
    for (const auto& use : ids_) {
      auto [at, inserted] = first.emplace(use.id, use.line);
      if (!inserted) error(use.line, use.key, fmt::format("duplicate id \"{}\", first used at line {}", use.id, at->second));
    }
  }

  bool pattern(const toml::table& table, const std::string& where, std::string_view name, bool case_insensitive) {
    const toml::node* node = table.get(name);
    if (!node) return true;
    auto problem = check_pattern(node->value_or(std::string{}), case_insensitive);
    if (problem.empty()) return true;
    error(line_of(*node), fmt::format("{}.{}", where, name), problem);
    return false;
  }

  // An array of tables such as [[phrase]]; anything else under that name is an error.
  template <typename Each>
  void each_table(const toml::node& node, std::string_view name, Each&& each) {
    const auto* array = node.as_array();
    if (!array || !array->is_array_of_tables()) {
      error(line_of(node), std::string(name), fmt::format("expected a list of tables, written [[{}]]", name));
      return;
    }
    std::size_t index = 0;
    for (const auto& item : *array) {
      each(*item.as_table(), fmt::format("{}[{}]", name, index));
      ++index;
    }
  }

  std::vector<ConfigError> take_errors() {
    // toml++ iterates tables in key order; admins read errors in file order.
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    return std::move(errors_);
  }

  bool has_errors() const { return !errors_.empty(); }

 private:
  std::string source_;
  std::vector<ConfigError> errors_;
  struct IdUse {
    std::string id;
    std::uint32_t line;
    std::string key;
  };
  std::vector<IdUse> ids_;
};

constexpr Field phrase_fields[] = {
    {"id", FieldKind::string, true},       {"weight", FieldKind::number, true},
    {"language", FieldKind::string, true}, {"pattern", FieldKind::string, true},
    {"example", FieldKind::string, true},
};

constexpr Field header_fields[] = {
    {"id", FieldKind::string, true},       {"header", FieldKind::string, true},
    {"value_pattern", FieldKind::string, false}, {"platform", FieldKind::string, true},
    {"weight", FieldKind::number, true},   {"source", FieldKind::string, true},
};

constexpr Field host_fields[] = {
    {"id", FieldKind::string, true},           {"host", FieldKind::string, false},
    {"host_pattern", FieldKind::string, false}, {"path_prefix", FieldKind::string, false},
    {"platform", FieldKind::string, true},     {"weight", FieldKind::number, true},
    {"source", FieldKind::string, true},
};

constexpr Field generic_pixel_fields[] = {
    {"weight", FieldKind::number, true},        {"max_width", FieldKind::integer, false},
    {"max_height", FieldKind::integer, false},  {"hidden_counts", FieldKind::boolean, false},
    {"source", FieldKind::string, true},
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Parses the text; on a syntax error records it and returns nothing.
std::optional<toml::table> parse(std::string_view text, const std::string& source_name, Reader& reader) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    reader.error(e.source().begin.line, "", std::string(e.description()));
    return std::nullopt;
  }
}

void read_phrase(Reader& reader, const toml::table& table, const std::string& where, PhraseLexicon& out) {
  if (!reader.check_fields(table, where, phrase_fields)) return;
  PhraseEntry entry;
  entry.id = Reader::string_of(table, "id");
  entry.language = Reader::string_of(table, "language");
  entry.pattern = Reader::string_of(table, "pattern");
  entry.example = Reader::string_of(table, "example");
  entry.line = line_of(table);
  bool ok = reader.unique_id(table, where, entry.id);
  ok = reader.weight(table, where, entry.weight) && ok;
  if (!valid_language(entry.language)) {
    reader.error(line_of(*table.get("language")), where + ".language", "must be an ISO 639-1 code such as \"en\"");
    ok = false;
  }
  ok = reader.pattern(table, where, "pattern", false) && ok;
  if (entry.example.empty()) {
    reader.error(line_of(*table.get("example")), where + ".example", "must not be empty");
    ok = false;
  }
  if (ok) out.phrases.push_back(std::move(entry));
}

void read_header(Reader& reader, const toml::table& table, const std::string& where, OutreachMarkers& out) {
  if (!reader.check_fields(table, where, header_fields)) return;
  HeaderMarker marker;
  marker.id = Reader::string_of(table, "id");
  marker.header = Reader::string_of(table, "header");
  marker.value_pattern = Reader::string_of(table, "value_pattern");
  marker.platform = Reader::string_of(table, "platform");
  marker.source = Reader::string_of(table, "source");
  marker.line = line_of(table);
  bool ok = reader.unique_id(table, where, marker.id);
  ok = reader.weight(table, where, marker.weight) && ok;
  if (!valid_header_name(marker.header)) {
    reader.error(line_of(*table.get("header")), where + ".header", "is not a valid header name");
    ok = false;
  }
  ok = reader.pattern(table, where, "value_pattern", true) && ok;
  if (ok) out.headers.push_back(std::move(marker));
}

void read_host(Reader& reader, const toml::table& table, const std::string& where, std::vector<HostMarker>& out) {
  if (!reader.check_fields(table, where, host_fields)) return;
  HostMarker marker;
  marker.id = Reader::string_of(table, "id");
  marker.host = Reader::string_of(table, "host");
  marker.host_pattern = Reader::string_of(table, "host_pattern");
  marker.path_prefix = Reader::string_of(table, "path_prefix");
  marker.platform = Reader::string_of(table, "platform");
  marker.source = Reader::string_of(table, "source");
  marker.line = line_of(table);
  bool ok = reader.unique_id(table, where, marker.id);
  ok = reader.weight(table, where, marker.weight) && ok;
  if (table.contains("host") == table.contains("host_pattern")) {
    reader.error(line_of(table), where + ".host", "exactly one of host and host_pattern is required");
    ok = false;
  } else if (table.contains("host") && !valid_host(marker.host)) {
    reader.error(line_of(*table.get("host")), where + ".host", "must be a lower-case host name such as \"t.example.com\"");
    ok = false;
  }
  ok = reader.pattern(table, where, "host_pattern", true) && ok;
  if (table.contains("path_prefix") && (marker.path_prefix.empty() || marker.path_prefix.front() != '/')) {
    reader.error(line_of(*table.get("path_prefix")), where + ".path_prefix", "must start with '/'");
    ok = false;
  }
  if (ok) out.push_back(std::move(marker));
}

void read_generic_pixel(Reader& reader, const toml::node& node, OutreachMarkers& out) {
  const auto* table = node.as_table();
  if (!table) {
    reader.error(line_of(node), "generic_pixel", "expected a table, written [generic_pixel]");
    return;
  }
  if (!reader.check_fields(*table, "generic_pixel", generic_pixel_fields)) return;
  GenericPixelRule rule;
  bool ok = reader.weight(*table, "generic_pixel", rule.weight);
  for (auto [name, target] : {std::pair{"max_width", &rule.max_width}, std::pair{"max_height", &rule.max_height}}) {
    const toml::node* size = table->get(name);
    if (!size) continue;
    auto value = size->value_or(std::int64_t{0});
    if (value < 0 || value > 16) {
      reader.error(line_of(*size), fmt::format("generic_pixel.{}", name), "must be between 0 and 16");
      ok = false;
      continue;
    }
    *target = static_cast<int>(value);
  }
  rule.hidden_counts = (*table)["hidden_counts"].value_or(true);
  rule.source = Reader::string_of(*table, "source");
  rule.enabled = ok;
  if (ok) out.generic_pixel = rule;
}

}  // namespace

PhraseLexiconResult load_phrase_lexicon_text(std::string_view text, const std::string& source_name) {
  Reader reader(source_name);
  PhraseLexicon lexicon;
  lexicon.source = source_name;
  if (auto root = parse(text, source_name, reader)) {
    for (const auto& [name, node] : *root) {
      if (name.str() == "phrase") {
        reader.each_table(node, "phrase", [&](const toml::table& table, const std::string& where) {
          read_phrase(reader, table, where, lexicon);
        });
      } else {
        reader.error(line_of(node), std::string(name.str()), "unknown key; entries are written [[phrase]]");
      }
    }
  }
  reader.report_duplicate_ids();
  PhraseLexiconResult result;
  bool failed = reader.has_errors();
  result.errors = reader.take_errors();
  if (!failed) {
    // Keep file order: ids are reported in the order admins wrote them.
    std::stable_sort(lexicon.phrases.begin(), lexicon.phrases.end(),
                     [](const PhraseEntry& a, const PhraseEntry& b) { return a.line < b.line; });
    result.lexicon = std::move(lexicon);
  }
  return result;
}

PhraseLexiconResult load_phrase_lexicon_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    PhraseLexiconResult result;
    result.errors.push_back({path, 0, "", "cannot be read"});
    return result;
  }
  return load_phrase_lexicon_text(*text, path);
}

OutreachMarkersResult load_outreach_markers_text(std::string_view text, const std::string& source_name) {
  Reader reader(source_name);
  OutreachMarkers markers;
  markers.source = source_name;
  if (auto root = parse(text, source_name, reader)) {
    for (const auto& [name, node] : *root) {
      auto key = name.str();
      if (key == "header") {
        reader.each_table(node, key, [&](const toml::table& table, const std::string& where) {
          read_header(reader, table, where, markers);
        });
      } else if (key == "pixel" || key == "link" || key == "booking") {
        auto& list = key == "pixel" ? markers.pixels : key == "link" ? markers.links : markers.bookings;
        reader.each_table(node, key, [&](const toml::table& table, const std::string& where) {
          read_host(reader, table, where, list);
        });
      } else if (key == "generic_pixel") {
        read_generic_pixel(reader, node, markers);
      } else {
        reader.error(line_of(node), std::string(key), "unknown key");
      }
    }
  }
  reader.report_duplicate_ids();
  OutreachMarkersResult result;
  bool failed = reader.has_errors();
  result.errors = reader.take_errors();
  if (!failed) {
    auto by_line = [](const auto& a, const auto& b) { return a.line < b.line; };
    std::stable_sort(markers.headers.begin(), markers.headers.end(), by_line);
    for (auto* list : {&markers.pixels, &markers.links, &markers.bookings}) {
      std::stable_sort(list->begin(), list->end(), by_line);
    }
    result.markers = std::move(markers);
  }
  return result;
}

OutreachMarkersResult load_outreach_markers_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    OutreachMarkersResult result;
    result.errors.push_back({path, 0, "", "cannot be read"});
    return result;
  }
  return load_outreach_markers_text(*text, path);
}

namespace {

bool valid_affix(std::string_view affix) {
  if (affix.empty() || affix.size() > 16) return false;
  return std::all_of(affix.begin(), affix.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// A list of strings under `where`, each checked by `valid`.
template <typename Valid>
std::vector<std::string> read_word_list(Reader& reader, const toml::node& node, const std::string& where, Valid valid,
                                        std::string_view what) {
  std::vector<std::string> out;
  const auto* array = node.as_array();
  if (!array) {
    reader.error(line_of(node), where, "expected a list of strings");
    return out;
  }
  std::size_t index = 0;
  for (const auto& item : *array) {
    auto value = item.value<std::string>();
    if (!value || !valid(*value)) {
      reader.error(line_of(item), fmt::format("{}[{}]", where, index), fmt::format("must be {}", what));
    } else if (std::find(out.begin(), out.end(), *value) == out.end()) {
      out.push_back(*value);
    }
    ++index;
  }
  return out;
}

}  // namespace

bool CampaignIdentityData::is_shared(std::string_view registrable_domain) const {
  return std::binary_search(shared_domains.begin(), shared_domains.end(), registrable_domain);
}

CampaignIdentityResult load_campaign_identity_text(std::string_view text, const std::string& source_name) {
  Reader reader(source_name);
  CampaignIdentityData data;
  data.source = source_name;
  const char* affix_rule = "1 to 16 of a-z, 0-9";
  const char* domain_rule = "a lower-case domain name";
  if (auto root = parse(text, source_name, reader)) {
    for (const auto& [name, node] : *root) {
      std::string key(name.str());
      const auto* table = node.as_table();
      if (key != "brand" && key != "shared" && key != "platform") {
        reader.error(line_of(node), key, "unknown key");
        continue;
      }
      if (!table) {
        reader.error(line_of(node), key, fmt::format("expected a table, written [{}]", key));
        continue;
      }
      for (const auto& [field, value] : *table) {
        std::string where = fmt::format("{}.{}", key, field.str());
        if (key == "brand" && field.str() == "prefixes") {
          data.brand_prefixes = read_word_list(reader, value, where, valid_affix, affix_rule);
        } else if (key == "brand" && field.str() == "suffixes") {
          data.brand_suffixes = read_word_list(reader, value, where, valid_affix, affix_rule);
        } else if (key == "brand" && field.str() == "designators") {
          data.designators = read_word_list(reader, value, where, valid_affix, affix_rule);
        } else if (key == "shared" && field.str() == "domains") {
          data.shared_domains = read_word_list(reader, value, where, valid_host, domain_rule);
        } else if (key == "platform" && field.str() == "account_headers") {
          data.account_headers = read_word_list(reader, value, where, valid_header_name, "a header name");
        } else {
          reader.error(line_of(value), where, "unknown key");
        }
      }
    }
  }
  CampaignIdentityResult result;
  bool failed = reader.has_errors();
  result.errors = reader.take_errors();
  if (!failed) {
    auto longest_first = [](const std::string& a, const std::string& b) { return a.size() > b.size(); };
    std::stable_sort(data.brand_prefixes.begin(), data.brand_prefixes.end(), longest_first);
    std::stable_sort(data.brand_suffixes.begin(), data.brand_suffixes.end(), longest_first);
    std::stable_sort(data.designators.begin(), data.designators.end(), longest_first);
    std::sort(data.shared_domains.begin(), data.shared_domains.end());
    result.data = std::move(data);
  }
  return result;
}

CampaignIdentityResult load_campaign_identity_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    CampaignIdentityResult result;
    result.errors.push_back({path, 0, "", "cannot be read"});
    return result;
  }
  return load_campaign_identity_text(*text, path);
}

}  // namespace pushback::config
