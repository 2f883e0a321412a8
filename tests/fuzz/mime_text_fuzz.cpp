// Fuzz target: any bytes as an RFC 822 file, through the reader of `pushback
// scan` and the whole text analysis (MIME walk with GMime, charsets, HTML to
// text, quote split, normalisation, fingerprints) within the default limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scoring/mime_text.hpp"
#include "scoring/raw_message.hpp"
#include "scoring/text_features.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pushback::scoring;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  Message message = parse_raw_message(raw);
  TextLimits limits;
  TextFeatures features = extract_text_features(message, limits);
  // text_bytes caps the decoded bytes before conversion to UTF-8, which at
  // most triples them (a replacement character for each invalid byte).
  if (features.text.size() > limits.text_bytes * 3) __builtin_trap();

  // Tight limits reach the truncation paths with small inputs.
  TextLimits tight{.body_bytes = 512, .header_bytes = 64, .mime_depth = 3, .mime_parts = 4, .text_bytes = 256,
                   .line_length = 40, .html_depth = 4, .tokens = 16, .quoted_tokens = 8};
  MimeText mime = extract_mime_text(message, tight);
  if (mime.text.size() > tight.text_bytes * 3) __builtin_trap();
  extract_text_features(message, tight);
  return 0;
}
