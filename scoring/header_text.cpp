// Header value hygiene. Everything that reaches smfi_addheader passes here,
// because reasons and names can carry text taken from hostile mail.
#include "scoring/header_text.hpp"

#include <fmt/format.h>
#include <utf8proc.h>

#include <algorithm>
#include <cmath>

#include "scoring/message.hpp"

namespace pushback::scoring {

bool is_own_header(std::string_view name) { return istarts_with(name, own_header_prefix); }

std::string sanitise_header_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes, remaining, &codepoint);
    if (length <= 0) {  // invalid byte: replace it and resynchronise on the next one
      length = 1;
      codepoint = '?';
    }
    bool is_space = codepoint < 0x20 || codepoint == ' ' || codepoint == 0x7f ||
                    (codepoint >= 0x80 && codepoint < 0xa0) || codepoint == 0x2028 || codepoint == 0x2029;
    if (is_space) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      if (codepoint == '?' && length == 1 && static_cast<unsigned char>(*bytes) != '?') {
        out.push_back('?');
      } else {
        out.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
      }
    }
    bytes += length;
    remaining -= length;
  }
  return out;
}

std::string fold_header_value(std::string_view name, std::string_view value, std::size_t width) {
  std::string out;
  std::size_t column = name.size() + 2;  // "Name: "
  std::size_t start = 0;
  while (start < value.size()) {
    std::size_t end = value.find(' ', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view word = value.substr(start, end - start);
    if (!out.empty()) {
      if (column + 1 + word.size() > width) {
        out += "\n\t";
        column = 8;
      } else {
        out.push_back(' ');
        ++column;
      }
    }
    out.append(word);
    column += word.size();
    start = end + 1;
  }
  return out;
}

std::string format_score(double score) {
  if (!std::isfinite(score)) score = 0;
  return fmt::format("{:.1f}", score);
}

std::string format_report(std::vector<Symbol> symbols, std::size_t max_length) {
  std::stable_sort(symbols.begin(), symbols.end(), [](const Symbol& a, const Symbol& b) {
    auto weight = [](double s) { return std::isfinite(s) ? std::fabs(s) : 0.0; };
    return weight(a.score) > weight(b.score);
  });
  std::string out;
  for (const auto& symbol : symbols) {
    std::string reason = sanitise_header_value(symbol.reason);
    std::replace(reason.begin(), reason.end(), ']', ')');  // keep the brackets parseable
    std::string item = fmt::format("{}({})[{}]", sanitise_header_value(symbol.name),
                                   format_score(symbol.score), reason);
    std::size_t needed = out.size() + (out.empty() ? 0 : 1) + item.size();
    if (needed > max_length) {
      if (out.size() + 4 <= max_length) out += out.empty() ? "..." : " ...";
      break;
    }
    if (!out.empty()) out.push_back(' ');
    out += item;
  }
  return out;
}

}  // namespace pushback::scoring
