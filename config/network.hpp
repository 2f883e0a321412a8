// IP networks in CIDR notation ("192.0.2.0/24", "2001:db8::/32", or a single
// address), for trusted and allowlisted clients.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushback::config {

struct Network {
  bool v6 = false;
  std::array<std::uint8_t, 16> address{};
  unsigned prefix = 0;  // bits

  bool contains(std::string_view ip) const;
};

std::optional<Network> parse_network(std::string_view text);

// True when `ip` falls into any of the networks.
bool in_networks(const std::vector<Network>& networks, std::string_view ip);

}  // namespace pushback::config
