// libsodium's crypto_pwhash_str does the hashing and the constant-time check;
// this file only keeps the hash on disk with the right mode.
#include "web/password.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace pushback::web {

namespace {

void init_sodium() {
  if (::sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

std::string hash_password(std::string_view password) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (::crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("crypto_pwhash_str failed (out of memory)");
  }
  return out;
}

bool verify_password(std::string_view stored, std::string_view password) {
  init_sodium();
  std::string terminated(stored);  // crypto_pwhash_str_verify reads a C string
  return ::crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string write_password_file(const std::string& path, const std::string& hash) {
  std::string temporary = path + ".new";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fmt::format("cannot write {}: {}", temporary, std::strerror(errno));
  std::string line = hash + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(temporary.c_str());
    return fmt::format("cannot write {}: {}", path, std::strerror(saved));
  }
  return {};
}

std::optional<std::string> read_password_file(const std::string& path, std::string& error) {
  struct stat info{};
  if (::stat(path.c_str(), &info) != 0) {
    error = fmt::format("{}: {} (set the admin password with `pushback web passwd`)", path, std::strerror(errno));
    return std::nullopt;
  }
  if ((info.st_mode & 077) != 0) {
    error = fmt::format("{}: mode {:04o}: the password hash must be readable by its owner only (chmod 600)", path,
                        info.st_mode & 07777);
    return std::nullopt;
  }
  std::ifstream in(path);
  std::string hash;
  if (!in || !std::getline(in, hash)) {
    error = fmt::format("{}: cannot read it", path);
    return std::nullopt;
  }
  if (!hash.starts_with("$argon2")) {
    error = fmt::format("{}: not a password hash (write it with `pushback web passwd`)", path);
    return std::nullopt;
  }
  return hash;
}

}  // namespace pushback::web
