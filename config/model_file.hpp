// The container of a trained text model on disk: one header line that names
// the format, the payload's size and its XXH64 checksum, then the payload (a
// fastText model). The classifier library trusts its input completely (a
// truncated dictionary makes it read forever), so nothing reaches it that
// does not match its header: a truncated, damaged or foreign file is an
// error here, naming the file, before any model code runs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace pushback::config {

// "pushback-model cold-pitch 1 <payload bytes> <xxh64 hex>\n"
inline constexpr std::string_view model_file_magic = "pushback-model";
inline constexpr std::string_view cold_pitch_model_kind = "cold-pitch";
// A model larger than this is not ours: the shipped one is a few hundred KB.
inline constexpr std::size_t max_model_bytes = 256u << 20;

struct ModelFileResult {
  std::shared_ptr<const std::string> payload;  // null on error
  std::string error;                           // says what is wrong, without the path
};

// Checks the header against the rest of `bytes`.
ModelFileResult parse_model_file(std::string_view bytes, std::string_view kind);
ModelFileResult read_model_file(const std::string& path, std::string_view kind);

// The header and payload, as `pushback model train` writes them.
std::string model_file_bytes(std::string_view payload, std::string_view kind);

}  // namespace pushback::config
