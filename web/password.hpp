// The admin password: stored only as a crypto_pwhash string (Argon2id) in a
// file of mode 0600, written by `pushback web passwd`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pushback::web {

// The crypto_pwhash_str of `password` (interactive limits: a login costs a
// fraction of a second, which the rate limit multiplies). Throws
// std::runtime_error when libsodium cannot (out of memory).
std::string hash_password(std::string_view password);

// True when `password` matches `stored` (a crypto_pwhash_str string).
bool verify_password(std::string_view stored, std::string_view password);

// Writes the hash to `path` with mode 0600, replacing the file atomically.
// Returns "" or why it could not.
std::string write_password_file(const std::string& path, const std::string& hash);

// The stored hash; nullopt with `error` set when the file is missing,
// unreadable, readable by others than its owner, or not a hash.
std::optional<std::string> read_password_file(const std::string& path, std::string& error);

}  // namespace pushback::web
