// Turns the bytes of an RFC 822 file (CRLF or LF line ends) into the message
// model, for `pushback scan`. Trusts nothing: any bytes give some message.
#pragma once

#include <cstddef>
#include <string_view>

#include "scoring/message.hpp"

namespace pushback::scoring {

// Caps of the file reader, mirroring what the milter keeps of a message.
inline constexpr std::size_t raw_header_value_bytes = 64 * 1024;  // longer values are cut
inline constexpr std::size_t raw_header_count = 1000;             // further headers are dropped

// Headers are unfolded (the line break of a continuation is removed, its white
// space kept); the body gets CRLF line ends. Input without a header block
// becomes a body; a leading mbox "From " line is skipped. Going over a cap
// sets headers_truncated.
Message parse_raw_message(std::string_view raw);

}  // namespace pushback::scoring
