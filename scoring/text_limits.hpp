// Named limits on everything the text analysis takes from a message. Going
// over a limit truncates the input and records the limit's name in
// TextFeatures::limits_hit; it is never an error.
#pragma once

#include <cstddef>
#include <string_view>

namespace pushback::scoring {

struct TextLimits {
  // Raw body bytes handed to the MIME parser ("body_bytes").
  std::size_t body_bytes = 1024 * 1024;
  // Bytes of one header value used to rebuild the message for the MIME parser ("header_bytes").
  std::size_t header_bytes = 16 * 1024;
  // Nesting of multiparts walked; deeper parts are ignored ("mime_depth").
  std::size_t mime_depth = 16;
  // MIME parts visited in one message ("mime_parts").
  std::size_t mime_parts = 64;
  // Decoded bytes of the chosen text part (and of the HTML part) analysed ("text_bytes").
  std::size_t text_bytes = 128 * 1024;
  // Bytes of one line of decoded text; the rest of the line is dropped ("line_length").
  std::size_t line_length = 4096;
  // Element nesting followed in HTML; deeper content is dropped ("html_depth").
  std::size_t html_depth = 256;
  // Words of normalised new text that are fingerprinted ("tokens").
  std::size_t tokens = 4096;
  // Words of quoted history kept: the latest quoted message comes first and
  // is what links a follow-up to its step ("quoted_tokens").
  std::size_t quoted_tokens = 512;
};

// The names recorded in limits_hit, one per field above.
namespace limit_name {
inline constexpr std::string_view body_bytes = "body_bytes";
inline constexpr std::string_view header_bytes = "header_bytes";
inline constexpr std::string_view mime_depth = "mime_depth";
inline constexpr std::string_view mime_parts = "mime_parts";
inline constexpr std::string_view text_bytes = "text_bytes";
inline constexpr std::string_view line_length = "line_length";
inline constexpr std::string_view html_depth = "html_depth";
inline constexpr std::string_view tokens = "tokens";
inline constexpr std::string_view quoted_tokens = "quoted_tokens";
}  // namespace limit_name

}  // namespace pushback::scoring
