// Keyed XXH3 over a secret derived from the key file. The key file is written
// to a temporary name and linked into place, so two processes starting at once
// agree on one key.
#include "state/keyed_hash.hpp"

#define XXH_STATIC_LINKING_ONLY
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <fmt/format.h>

namespace pushback::state {

namespace {

using Key = std::array<std::uint8_t, secret_key_size>;

std::runtime_error sys_error(const std::string& what, const std::string& path) {
  return std::runtime_error(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

bool read_key(const std::string& path, Key& key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw sys_error("cannot open secret key file", path);
  }
  std::uint8_t extra = 0;
  auto got = ::read(fd, key.data(), key.size());
  auto more = ::read(fd, &extra, 1);
  ::close(fd);
  if (got != static_cast<ssize_t>(key.size()) || more != 0) {
    throw std::runtime_error(fmt::format("secret key file {} must hold exactly {} bytes", path, key.size()));
  }
  return true;
}

// Links `key` into place as `path`; false when a key file is there already.
bool install_key(const std::string& dir, const std::string& path, const Key& key) {
  std::string temp = fmt::format("{}/.{}.{}", dir, secret_key_file, ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw sys_error("cannot create", temp);
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    throw sys_error("cannot write", temp);
  }
  // link() fails with EEXIST when another process won the race: its key stands.
  int linked = ::link(temp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    throw sys_error("cannot create", path);
  }
  return linked == 0;
}

void create_key(const std::string& dir, const std::string& path) {
  Key key{};
  if (::getrandom(key.data(), key.size(), 0) != static_cast<ssize_t>(key.size())) {
    throw sys_error("cannot read random bytes for", path);
  }
  install_key(dir, path, key);
}

}  // namespace

KeyedHasher KeyedHasher::from_state_dir(const std::string& state_dir) {
  std::error_code ignored;
  if (std::filesystem::create_directories(state_dir, ignored)) {
    // Only the daemon's account reads the counts and the key.
    std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all, ignored);
  }
  std::string path = state_dir + "/" + secret_key_file;
  Key key{};
  if (!read_key(path, key)) {
    create_key(state_dir, path);
    if (!read_key(path, key)) throw sys_error("cannot read", path);
  }
  return KeyedHasher(key);
}

bool read_secret_key(const std::string& state_dir, Key& key) {
  return read_key(state_dir + "/" + secret_key_file, key);
}

bool install_secret_key(const std::string& state_dir, const Key& key) {
  return install_key(state_dir, state_dir + "/" + secret_key_file, key);
}

KeyedHasher::KeyedHasher(const Key& key) {
  if (XXH3_generateSecret(secret_.data(), secret_.size(), key.data(), key.size()) != XXH_OK) {
    throw std::runtime_error("cannot derive the hashing secret");
  }
}

std::uint64_t KeyedHasher::hash(HashKind kind, std::string_view text) const {
  return hash(kind, text, {}, {});
}

std::uint64_t KeyedHasher::hash(HashKind kind, std::string_view a, std::string_view b) const {
  return hash(kind, a, b, {});
}

std::uint64_t KeyedHasher::hash(HashKind kind, std::string_view a, std::string_view b, std::string_view c) const {
  // Length-prefixed parts: ("ab", "c") and ("a", "bc") hash differently.
  XXH3_state_t state;
  XXH3_64bits_reset_withSecret(&state, secret_.data(), secret_.size());
  auto tag = static_cast<std::uint8_t>(kind);
  XXH3_64bits_update(&state, &tag, 1);
  for (std::string_view part : {a, b, c}) {
    auto size = static_cast<std::uint32_t>(part.size());
    XXH3_64bits_update(&state, &size, sizeof size);
    XXH3_64bits_update(&state, part.data(), part.size());
  }
  return XXH3_64bits_digest(&state);
}

std::string to_hex(std::uint64_t value) { return fmt::format("{:016x}", value); }

}  // namespace pushback::state
