// Envelope and client address clean-up.
#include "milter/address.hpp"

#include "scoring/message.hpp"

namespace pushback::milter {

std::string strip_angle_brackets(std::string_view address) {
  while (!address.empty() && (address.front() == ' ' || address.front() == '\t')) address.remove_prefix(1);
  if (address.size() >= 2 && address.front() == '<') {
    auto close = address.find('>');
    if (close != std::string_view::npos) return std::string(address.substr(1, close - 1));
  }
  return std::string(address);
}

std::string normalise_client_addr(std::string_view addr) {
  if (scoring::istarts_with(addr, "IPv6:")) addr.remove_prefix(5);
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
  return std::string(addr);
}

}  // namespace pushback::milter
