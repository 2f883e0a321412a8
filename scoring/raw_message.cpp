// Splits raw RFC 822 bytes into unfolded headers and a CRLF body.
#include "scoring/raw_message.hpp"

namespace pushback::scoring {

namespace {

// One line without its line end, and where the next one starts.
struct Line {
  std::string_view text;
  std::size_t next;
};

Line line_at(std::string_view raw, std::size_t at) {
  auto end = raw.find('\n', at);
  std::size_t next = end == std::string_view::npos ? raw.size() : end + 1;
  if (end == std::string_view::npos) end = raw.size();
  auto text = raw.substr(at, end - at);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return {text, next};
}

// A header field name: printable ASCII except the colon, then a colon.
std::size_t field_name_length(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] > ' ' && line[i] < 0x7f && line[i] != ':') ++i;
  if (i == 0 || i >= line.size() || line[i] != ':') return 0;
  return i;
}

bool is_continuation(std::string_view line) { return !line.empty() && (line[0] == ' ' || line[0] == '\t'); }

std::string crlf_body(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32);
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\n' && (i == 0 || body[i - 1] != '\r')) out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Message parse_raw_message(std::string_view raw) {
  Message message;
  std::size_t at = 0;
  if (raw.starts_with("From ")) at = line_at(raw, 0).next;

  Header* current = nullptr;  // the header that continuation lines extend
  while (at < raw.size()) {
    auto line = line_at(raw, at);
    if (line.text.empty()) {  // the blank line that ends the header block
      at = line.next;
      break;
    }
    if (is_continuation(line.text) && !message.headers.empty()) {
      if (current != nullptr) {
        auto room = raw_header_value_bytes - std::min(raw_header_value_bytes, current->value.size());
        if (line.text.size() > room) message.headers_truncated = true;
        current->value.append(line.text.substr(0, room));
      }
      at = line.next;
      continue;
    }
    auto name_length = field_name_length(line.text);
    if (name_length == 0) break;  // not a header: the body starts here, without a blank line
    if (message.headers.size() >= raw_header_count) {
      message.headers_truncated = true;
      current = nullptr;
    } else {
      auto value = line.text.substr(name_length + 1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      if (value.size() > raw_header_value_bytes) {
        message.headers_truncated = true;
        value = value.substr(0, raw_header_value_bytes);
      }
      message.headers.push_back({std::string(line.text.substr(0, name_length)), std::string(value)});
      current = &message.headers.back();
    }
    at = line.next;
  }
  message.body = crlf_body(raw.substr(std::min(at, raw.size())));
  return message;
}

}  // namespace pushback::scoring
