// Seal values: "v=1;t=TIME;a=ACTION;s=SCORE;c=TEMPLATE;y=SYM,SYM;m=MAC" with no
// white space, so folding by a relay cannot change what was signed. The MAC is
// the first 128 bits of HMAC-SHA256 (GLib's GHmac) in hex.
#include "quarantine/seal.hpp"

#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace pushback::quarantine {

namespace {

constexpr std::size_t mac_hex_digits = 32;
constexpr std::string_view seal_label = "pushback quarantine seal v1";

std::array<std::uint8_t, 32> hmac_sha256(const std::uint8_t* key, std::size_t key_size, std::string_view data) {
  GHmac* hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_size);
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(data.data()), static_cast<gssize>(data.size()));
  std::array<std::uint8_t, 32> digest{};
  gsize length = digest.size();
  g_hmac_get_digest(hmac, digest.data(), &length);
  g_hmac_unref(hmac);
  return digest;
}

// Only these characters appear in a value we write; anything else is not ours.
bool token_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-' ||
         c == '.' || c == ',';
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string strip_white_space(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view text, T& value, int base = 10) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

Sealer::Sealer(const std::array<std::uint8_t, 32>& secret) {
  key_ = hmac_sha256(secret.data(), secret.size(), seal_label);
}

Sealer Sealer::from_state_dir(const std::string& state_dir) {
  std::string path = state_dir + "/secret.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot read the secret key {}: {}", path, std::strerror(errno)));
  std::array<std::uint8_t, 32> secret{};
  std::uint8_t extra = 0;
  auto got = ::read(fd, secret.data(), secret.size());
  auto more = ::read(fd, &extra, 1);
  ::close(fd);
  if (got != static_cast<ssize_t>(secret.size()) || more != 0) {
    throw std::runtime_error(fmt::format("secret key file {} must hold exactly {} bytes", path, secret.size()));
  }
  return Sealer(secret);
}

std::string Sealer::mac(std::string_view signed_text, std::string_view sender) const {
  std::string data(signed_text);
  data.push_back('\0');
  data.append(sender);
  auto digest = hmac_sha256(key_.data(), key_.size(), data);
  std::string hex;
  for (std::size_t i = 0; i < mac_hex_digits / 2; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string Sealer::seal(const SealFacts& facts, std::string_view sender) const {
  std::string symbols;
  std::size_t count = 0;
  for (const auto& name : facts.symbols) {
    if (count == max_seal_symbols) break;
    std::string clean;
    for (char c : name) {
      if (token_char(c) && c != ',') clean.push_back(c);
    }
    if (clean.empty()) continue;
    symbols += (symbols.empty() ? "" : ",") + clean;
    ++count;
  }
  std::string text = fmt::format("v=1;t={};a={};s={};c={};y={}", facts.time, strip_white_space(facts.action),
                                 strip_white_space(facts.score),
                                 facts.template_known ? fmt::format("{:08x}", facts.template_id) : std::string("-"),
                                 symbols.empty() ? std::string("-") : symbols);
  return text + ";m=" + mac(text, sender);
}

std::optional<SealFacts> Sealer::verify(std::string_view header_value, std::string_view sender) const {
  if (header_value.size() > max_seal_length) return std::nullopt;
  std::string value = strip_white_space(header_value);
  auto mac_at = value.rfind(";m=");
  if (mac_at == std::string::npos) return std::nullopt;
  std::string_view signed_text = std::string_view(value).substr(0, mac_at);
  std::string_view given = std::string_view(value).substr(mac_at + 3);
  if (given.size() != mac_hex_digits) return std::nullopt;
  if (!constant_time_equal(given, mac(signed_text, sender))) return std::nullopt;

  // Signed by us: parse strictly all the same.
  SealFacts facts;
  std::vector<std::string_view> fields;
  for (std::size_t start = 0; start <= signed_text.size();) {
    auto end = signed_text.find(';', start);
    if (end == std::string_view::npos) end = signed_text.size();
    fields.push_back(signed_text.substr(start, end - start));
    start = end + 1;
  }
  if (fields.size() != 6 || fields[0] != "v=1") return std::nullopt;
  auto field = [&](std::size_t i, char key) -> std::optional<std::string_view> {
    auto f = fields[i];
    if (f.size() < 2 || f[0] != key || f[1] != '=') return std::nullopt;
    for (char c : f.substr(2)) {
      if (!token_char(c)) return std::nullopt;
    }
    return f.substr(2);
  };
  auto t = field(1, 't'), a = field(2, 'a'), s = field(3, 's'), c = field(4, 'c'), y = field(5, 'y');
  if (!t || !a || !s || !c || !y || !parse_number(*t, facts.time)) return std::nullopt;
  facts.action = std::string(*a);
  facts.score = std::string(*s);
  if (*c != "-") {
    if (c->size() != 8 || !parse_number(*c, facts.template_id, 16)) return std::nullopt;
    facts.template_known = true;
  }
  if (*y != "-") {
    for (std::size_t start = 0; start <= y->size();) {
      auto end = y->find(',', start);
      if (end == std::string_view::npos) end = y->size();
      if (end > start) facts.symbols.emplace_back(y->substr(start, end - start));
      start = end + 1;
    }
  }
  return facts;
}

}  // namespace pushback::quarantine
