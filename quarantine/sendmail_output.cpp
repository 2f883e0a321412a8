// Control file lines: a one-letter record type, then its value. The ones used
// here: T (creation time), S (sender), R (flags ':' recipient), q
// (quarantine reason), H (header, "?flags?" first), continuation lines start
// with white space, "." ends the file.
#include "quarantine/sendmail_output.hpp"

#include <charconv>

#include "quarantine/queue_id.hpp"

namespace pushback::quarantine {

namespace {

std::string strip_brackets(std::string_view address) {
  while (!address.empty() && (address.front() == ' ' || address.front() == '\t')) address.remove_prefix(1);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = address.substr(1, address.size() - 2);
  }
  return std::string(address);
}

}  // namespace

ControlFile parse_control_file(std::string_view queue_id, std::string_view text) {
  ControlFile file;
  file.entry.queue_id = std::string(queue_id);
  file.entry.queue_name = "queue";
  if (!valid_sendmail_queue_id(queue_id)) {
    file.error = "invalid queue id";
    return file;
  }
  if (text.size() > max_control_file_bytes) {
    file.error = "control file too large";
    return file;
  }
  bool have_version = false, have_sender = false, ended = false;
  std::string header_text;  // the H records as a header block, for parse_header_block
  char last = 0;
  for (std::size_t start = 0; start < text.size() && !ended;) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (last == 'H') header_text.append(line).push_back('\n');
      continue;
    }
    last = line.front();
    std::string_view value = line.substr(1);
    switch (line.front()) {
      case 'V':
        have_version = true;
        break;
      case 'T': {
        std::int64_t time = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), time);
        if (ec != std::errc{} || ptr != value.data() + value.size()) {
          file.error = "bad T line";
          return file;
        }
        file.entry.arrival_time = time;
        break;
      }
      case 'S':
        file.entry.sender = strip_brackets(value);
        have_sender = true;
        break;
      case 'R': {
        auto colon = value.find(':');
        if (colon == std::string_view::npos) {
          file.error = "bad R line";
          return file;
        }
        file.entry.recipients.push_back(strip_brackets(value.substr(colon + 1)));
        break;
      }
      case 'q':
        file.reason = std::string(value);
        file.entry.queue_name = "hold";
        break;
      case 'H': {
        if (!value.empty() && value.front() == '?') {
          auto close = value.find('?', 1);
          if (close == std::string_view::npos) {
            file.error = "bad H line";
            return file;
          }
          value.remove_prefix(close + 1);
        }
        header_text.append(value).push_back('\n');
        break;
      }
      case '.':
        ended = true;
        break;
      default:
        break;  // other records (K, N, P, F, $, r, ...) are not needed here
    }
  }
  if (!have_version || !have_sender || !ended) {
    file.error = "incomplete control file";
    return file;
  }
  header_text.push_back('\n');
  file.headers = parse_header_block(header_text);
  return file;
}

std::optional<std::string> queue_directory_of(std::string_view cf_text) {
  constexpr std::string_view option = "O QueueDirectory=";
  std::optional<std::string> found;
  for (std::size_t start = 0; start < cf_text.size();) {
    auto end = cf_text.find('\n', start);
    if (end == std::string_view::npos) end = cf_text.size();
    std::string_view line = cf_text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, option.size()) == option) found = std::string(line.substr(option.size()));
  }
  return found;
}

}  // namespace pushback::quarantine
