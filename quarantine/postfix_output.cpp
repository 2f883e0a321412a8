// postqueue -j through nlohmann::json, one line at a time; headers by hand
// (RFC 5322 field syntax is small, and the limits must be ours).
#include "quarantine/postfix_output.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "quarantine/queue_id.hpp"

namespace pushback::quarantine {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// RFC 5322 field names: printable ASCII except ':'.
bool field_name_char(char c) { return c > 32 && c < 127 && c != ':'; }

std::string parse_entry(const nlohmann::json& object, QueueEntry& entry) {
  if (!object.is_object()) return "not a JSON object";
  auto text = [&](const char* key, std::string& into) -> bool {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return false;
    into = it->get<std::string>();
    return true;
  };
  if (!text("queue_id", entry.queue_id)) return "no queue_id";
  if (!valid_postfix_queue_id(entry.queue_id)) return "invalid queue_id";
  if (!text("queue_name", entry.queue_name)) return "no queue_name";
  if (!text("sender", entry.sender)) return "no sender";
  auto arrival = object.find("arrival_time");
  if (arrival == object.end() || !arrival->is_number_integer()) return "no arrival_time";
  entry.arrival_time = arrival->get<std::int64_t>();
  auto size = object.find("message_size");
  if (size != object.end() && size->is_number_integer()) entry.message_size = size->get<std::int64_t>();
  auto recipients = object.find("recipients");
  if (recipients == object.end() || !recipients->is_array()) return "no recipients";
  for (const auto& recipient : *recipients) {
    if (!recipient.is_object()) return "a recipient is not an object";
    auto address = recipient.find("address");
    if (address == recipient.end() || !address->is_string()) return "a recipient has no address";
    entry.recipients.push_back(address->get<std::string>());
  }
  return {};
}

}  // namespace

QueueListing parse_postqueue_json(std::string_view text) {
  QueueListing listing;
  std::size_t line_number = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto object = nlohmann::json::parse(line, nullptr, false);
    if (object.is_discarded()) {
      listing.errors.push_back(fmt::format("line {}: not JSON", line_number));
      continue;
    }
    QueueEntry entry;
    std::string why;
    try {
      why = parse_entry(object, entry);
    } catch (const nlohmann::json::exception& e) {
      why = e.what();
    }
    if (!why.empty()) {
      listing.errors.push_back(fmt::format("line {}: {}", line_number, why));
      continue;
    }
    listing.entries.push_back(std::move(entry));
  }
  return listing;
}

HeaderBlock parse_header_block(std::string_view text) {
  HeaderBlock block;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header block
    if (line.front() == ' ' || line.front() == '\t') {
      if (block.fields.empty()) {  // a continuation of nothing: not a header block
        block.truncated = true;
        break;
      }
      auto& value = block.fields.back().value;
      std::size_t room = max_header_field_bytes - std::min(max_header_field_bytes, value.size());
      if (line.size() > room) block.truncated = true;
      value.append(line.substr(0, room));
      continue;
    }
    auto colon = line.find(':');
    bool named = colon != std::string_view::npos && colon > 0;
    for (std::size_t i = 0; named && i < colon; ++i) named = field_name_char(line[i]);
    if (!named) {
      block.truncated = true;
      break;
    }
    if (block.fields.size() == max_header_fields) {
      block.truncated = true;
      break;
    }
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    block.fields.push_back({std::string(line.substr(0, colon)), std::string(value.substr(0, max_header_field_bytes))});
    if (value.size() > max_header_field_bytes) block.truncated = true;
  }
  return block;
}

std::string last_value(const HeaderBlock& block, std::string_view name) {
  for (auto it = block.fields.rbegin(); it != block.fields.rend(); ++it) {
    if (iequals(it->name, name)) return it->value;
  }
  return {};
}

}  // namespace pushback::quarantine
