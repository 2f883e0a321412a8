// CIDR parsing and matching with inet_pton; IPv4-mapped IPv6 addresses
// ("::ffff:192.0.2.1") match IPv4 networks.
#include "config/network.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace pushback::config {

namespace {

bool parse_address(std::string_view text, bool& v6, std::array<std::uint8_t, 16>& out) {
  std::string host(text);
  if (inet_pton(AF_INET, host.c_str(), out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), out.data()) == 1) {
    v6 = true;
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(mapped), std::end(mapped), out.begin())) {
      std::copy(out.begin() + 12, out.end(), out.begin());
      v6 = false;
    }
    return true;
  }
  return false;
}

}  // namespace

std::optional<Network> parse_network(std::string_view text) {
  Network network;
  auto slash = text.find('/');
  if (!parse_address(text.substr(0, slash), network.v6, network.address)) return std::nullopt;
  unsigned max_prefix = network.v6 ? 128 : 32;
  network.prefix = max_prefix;
  if (slash != std::string_view::npos) {
    auto bits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), network.prefix);
    if (ec != std::errc{} || end != bits.data() + bits.size() || network.prefix > max_prefix) return std::nullopt;
  }
  return network;
}

bool Network::contains(std::string_view ip) const {
  bool ip_v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  if (!parse_address(ip, ip_v6, bytes) || ip_v6 != v6) return false;
  unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (bytes[i] != address[i]) return false;
  }
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (address[full] & mask);
}

bool in_networks(const std::vector<Network>& networks, std::string_view ip) {
  for (const auto& network : networks) {
    if (network.contains(ip)) return true;
  }
  return false;
}

}  // namespace pushback::config
