// Reading and writing the model container: header checks before any byte
// reaches the classifier library.
#include "config/model_file.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace pushback::config {

namespace {

constexpr int format_version = 1;

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    auto end = line.find(' ');
    words.push_back(line.substr(0, end));
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  }
  return words;
}

template <typename Number>
bool parse_number(std::string_view text, Number& out, int base = 10) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string model_file_bytes(std::string_view payload, std::string_view kind) {
  auto checksum = XXH64(payload.data(), payload.size(), 0);
  return fmt::format("{} {} {} {} {:016x}\n", model_file_magic, kind, format_version, payload.size(), checksum) +
         std::string(payload);
}

ModelFileResult parse_model_file(std::string_view bytes, std::string_view kind) {
  ModelFileResult result;
  auto newline = bytes.find('\n');
  if (newline == std::string_view::npos || newline > 200 || !bytes.starts_with(model_file_magic)) {
    result.error = "is not a Pushback model file (make one with `pushback model train`)";
    return result;
  }
  auto words = words_of(bytes.substr(0, newline));
  int version = 0;
  std::size_t size = 0;
  std::uint64_t checksum = 0;
  if (words.size() != 5 || !parse_number(words[2], version) || !parse_number(words[3], size) ||
      !parse_number(words[4], checksum, 16)) {
    result.error = "has a damaged header line";
    return result;
  }
  if (words[1] != kind) {
    result.error = fmt::format("holds a {} model, not a {} model", words[1], kind);
    return result;
  }
  if (version != format_version) {
    result.error = fmt::format("is of model format {}; this Pushback reads format {}", version, format_version);
    return result;
  }
  auto payload = bytes.substr(newline + 1);
  if (payload.size() != size) {
    result.error = payload.size() < size ? fmt::format("is truncated: {} of {} bytes", payload.size(), size)
                                         : fmt::format("has {} bytes more than its header says", payload.size() - size);
    return result;
  }
  if (XXH64(payload.data(), payload.size(), 0) != checksum) {
    result.error = "is damaged: its checksum does not match";
    return result;
  }
  result.payload = std::make_shared<const std::string>(payload);
  return result;
}

ModelFileResult read_model_file(const std::string& path, std::string_view kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {nullptr, fmt::format("cannot be read: {}", std::strerror(errno))};
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_model_bytes) return {nullptr, "is larger than any Pushback model"};
  }
  if (in.bad()) return {nullptr, "cannot be read"};
  return parse_model_file(bytes, kind);
}

}  // namespace pushback::config
