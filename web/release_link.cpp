// Signing and checking release links; the used-link file.
#include "web/release_link.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace pushback::web {

namespace {

constexpr std::string_view link_label = "pushback release link v1";
constexpr std::size_t max_token_length = 1024;  // longer is not ours: no parsing work on it

std::string base64url(std::string_view bytes) {
  std::vector<char> out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING));
  ::sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out.data();
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (::sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &length, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool is_hex(std::string_view text, std::size_t length) {
  return text.size() == length && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string_view to_string(LinkCheck check) {
  switch (check) {
    case LinkCheck::valid: return "valid";
    case LinkCheck::malformed: return "malformed";
    case LinkCheck::forged: return "forged";
    case LinkCheck::expired: return "expired";
  }
  return "?";
}

LinkSigner::LinkSigner(const std::array<std::uint8_t, 32>& secret) {
  if (::sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  ::crypto_generichash(key_.data(), key_.size(), reinterpret_cast<const unsigned char*>(link_label.data()),
                       link_label.size(), secret.data(), secret.size());
}

LinkSigner LinkSigner::from_state_dir(const std::string& state_dir) {
  std::string path = state_dir + "/secret.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot read the secret key {}: {}", path, std::strerror(errno)));
  std::array<std::uint8_t, 32> secret{};
  char extra = 0;
  auto got = ::read(fd, secret.data(), secret.size());
  auto more = ::read(fd, &extra, 1);
  ::close(fd);
  if (got != static_cast<ssize_t>(secret.size()) || more != 0) {
    throw std::runtime_error(fmt::format("secret key file {} must hold exactly {} bytes", path, secret.size()));
  }
  return LinkSigner(secret);
}

std::string LinkSigner::mac(const LinkClaim& claim) const {
  std::string text = fmt::format("{}\n{}\n{}\n{}\n{}", link_label, claim.queue_id, claim.recipient, claim.expires,
                                 claim.nonce);
  std::array<unsigned char, crypto_auth_BYTES> out{};
  ::crypto_auth(out.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size(), key_.data());
  return base64url(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

std::string LinkSigner::sign(const LinkClaim& claim) const {
  return fmt::format("v1.{}.{}.{}.{}.{}", base64url(claim.queue_id), base64url(claim.recipient), claim.expires,
                     claim.nonce, mac(claim));
}

std::string LinkSigner::issue(std::string_view queue_id, std::string_view recipient, std::int64_t expires) const {
  std::array<unsigned char, 16> nonce{};
  ::randombytes_buf(nonce.data(), nonce.size());
  std::string hex(nonce.size() * 2 + 1, '\0');
  ::sodium_bin2hex(hex.data(), hex.size(), nonce.data(), nonce.size());
  hex.pop_back();
  return sign({std::string(queue_id), std::string(recipient), expires, hex});
}

LinkCheck LinkSigner::verify(std::string_view token, std::int64_t now, LinkClaim& claim) const {
  if (token.size() > max_token_length) return LinkCheck::malformed;
  auto parts = split(token, '.');
  if (parts.size() != 6 || parts[0] != "v1" || !is_hex(parts[4], 32)) return LinkCheck::malformed;
  auto queue_id = from_base64url(parts[1]);
  auto recipient = from_base64url(parts[2]);
  std::int64_t expires = 0;
  auto [end, error] = std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), expires);
  if (!queue_id || !recipient || error != std::errc() || end != parts[3].data() + parts[3].size()) {
    return LinkCheck::malformed;
  }
  LinkClaim candidate{*queue_id, *recipient, expires, std::string(parts[4])};
  std::string expected = mac(candidate);
  if (expected.size() != parts[5].size() || ::sodium_memcmp(expected.data(), parts[5].data(), expected.size()) != 0) {
    return LinkCheck::forged;
  }
  claim = std::move(candidate);
  return now > claim.expires ? LinkCheck::expired : LinkCheck::valid;
}

namespace {

// The file's lines as (nonce, expires); the descriptor is already locked.
std::vector<std::pair<std::string, std::int64_t>> read_used(int fd) {
  std::string text;
  char buffer[4096];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (auto line : split(text, '\n')) {
    auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    std::int64_t expires = 0;
    std::from_chars(line.data() + space + 1, line.data() + line.size(), expires);
    out.emplace_back(std::string(line.substr(0, space)), expires);
  }
  return out;
}

}  // namespace

bool UsedLinks::used(std::string_view nonce) const {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::flock(fd, LOCK_SH);
  bool found = false;
  for (const auto& [seen, expires] : read_used(fd)) found = found || seen == nonce;
  ::close(fd);
  return found;
}

bool UsedLinks::mark(const LinkClaim& claim, std::int64_t now) {
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  // The console runs as root; the state directory and what is in it stay its owner's (the daemon's).
  struct stat directory{};
  auto slash = path_.rfind('/');
  if (::geteuid() == 0 && slash != std::string::npos && ::stat(path_.substr(0, slash).c_str(), &directory) == 0 &&
      directory.st_uid != 0 && ::fchown(fd, directory.st_uid, directory.st_gid) != 0) {
    ::close(fd);
    return false;
  }
  ::flock(fd, LOCK_EX);
  auto entries = read_used(fd);
  bool fresh = true;
  std::string text;
  for (const auto& [nonce, expires] : entries) {
    if (nonce == claim.nonce) fresh = false;
    if (expires >= now) text += fmt::format("{} {}\n", nonce, expires);  // an expired link fails anyway
  }
  if (fresh) text += fmt::format("{} {}\n", claim.nonce, claim.expires);
  bool written = ::ftruncate(fd, 0) == 0 && ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  ::close(fd);
  return fresh && written;
}

}  // namespace pushback::web
