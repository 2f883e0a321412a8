// Case and compatibility folding through utf8proc.
#include "scoring/casefold.hpp"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace pushback::scoring {

namespace {

bool is_space(utf8proc_int32_t codepoint) {
  if (codepoint == ' ' || (codepoint >= 0x09 && codepoint <= 0x0d) || codepoint == 0x85) return true;
  auto category = utf8proc_category(codepoint);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP;
}

// Keeps only valid UTF-8 sequences, so that utf8proc never refuses the input.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes, remaining, &codepoint);
    if (length <= 0) {
      length = 1;
    } else if (codepoint != 0) {
      out.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
    }
    bytes += length;
    remaining -= length;
  }
  return out;
}

// Branch-free, so that it vectorises.
bool is_ascii(std::string_view text) {
  unsigned char any = 0;
  for (char c : text) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

// What utf8proc gives for ASCII, without it: NFKC leaves ASCII alone, case
// folding lowers A-Z, and no ASCII character is default-ignorable. NULs are
// dropped as valid_utf8() drops them.
std::string fold_ascii(std::string_view text) {
  std::string out(text.size(), '\0');
  char* to = out.data();
  char* const begin = to;
  bool pending_space = false;
  // Visible bytes first, the common case. A pending space is written
  // without a branch: the output is never longer than the input, so there is
  // room for it, and when none is pending the byte after overwrites it.
  auto keep = [&](char c) {
    *to = ' ';
    to += pending_space ? 1 : 0;
    pending_space = false;
    *to++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  };
  for (char c : text) {
    if (static_cast<unsigned char>(c) > ' ') {
      keep(c);
    } else if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
      pending_space = to != begin;
    } else if (c != '\0') {
      keep(c);
    }
  }
  out.resize(static_cast<std::size_t>(to - begin));
  return out;
}

}  // namespace

std::string fold_text(std::string_view text) {
  if (is_ascii(text)) return fold_ascii(text);
  std::string valid = valid_utf8(text);
  utf8proc_uint8_t* folded_raw = nullptr;
  auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                                UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  utf8proc_ssize_t length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()),
                                         static_cast<utf8proc_ssize_t>(valid.size()), &folded_raw, options);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> folded(folded_raw, &std::free);
  if (length < 0) return {};

  std::string out;
  out.reserve(static_cast<std::size_t>(length));
  const utf8proc_uint8_t* at = folded.get();
  utf8proc_ssize_t remaining = length;
  bool pending_space = false;
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    utf8proc_ssize_t step = utf8proc_iterate(at, remaining, &codepoint);
    if (step <= 0) break;
    if (is_space(codepoint)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(reinterpret_cast<const char*>(at), static_cast<std::size_t>(step));
    }
    at += step;
    remaining -= step;
  }
  return out;
}

}  // namespace pushback::scoring
