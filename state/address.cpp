// Address normalisation. Senders rewrite their envelope address per message
// (BATV signatures, SRS forwarding, plus tags); counting by the raw form would
// split one sender into many.
#include "state/address.hpp"

#include "scoring/message.hpp"

#include <algorithm>

namespace pushback::state {

namespace {


bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// BATV "prvs=TAGVAL=user" (the draft's order, which Postfix, Exim and
// Microsoft's "msprvs1=" use) -> "user".
std::string_view undo_batv(std::string_view local) {
  if (!starts_with(local, "prvs=") && !starts_with(local, "msprvs1=")) return local;
  auto first = local.find('=');
  auto second = local.find('=', first + 1);
  if (second == std::string_view::npos) return local;
  return local.substr(second + 1);
}

// SRS0=HASH=TT=orig-domain=orig-local@forwarder and
// SRS1=HASH=forwarder==HASH=TT=orig-domain=orig-local@forwarder: the fields
// after the marker are HASH=TT=orig-domain=orig-local. Returns "" when malformed.
std::string undo_srs(std::string_view local) {
  std::string_view rest;
  if (starts_with(local, "srs0=")) {
    rest = local.substr(5);
  } else if (auto pair = local.find("=="); starts_with(local, "srs1=") && pair != std::string_view::npos) {
    rest = local.substr(pair + 2);
  } else {
    return {};
  }
  auto hash_end = rest.find('=');
  auto time_end = hash_end == std::string_view::npos ? hash_end : rest.find('=', hash_end + 1);
  auto domain_end = time_end == std::string_view::npos ? time_end : rest.find('=', time_end + 1);
  if (domain_end == std::string_view::npos) return {};
  std::string_view orig_domain = rest.substr(time_end + 1, domain_end - time_end - 1);
  std::string_view orig_local = rest.substr(domain_end + 1);
  if (orig_domain.empty() || orig_local.empty()) return {};
  return std::string(orig_local) + "@" + std::string(orig_domain);
}

}  // namespace

std::string normalise_address(std::string_view address) {
  std::string text = scoring::to_lower(address);
  auto at = text.rfind('@');
  if (at == std::string::npos) return text;
  std::string_view local(text.data(), at);
  std::string_view domain(text.data() + at + 1, text.size() - at - 1);
  if (std::string original = undo_srs(local); !original.empty()) return normalise_address(original);
  local = undo_batv(local);
  if (auto plus = local.find('+'); plus != std::string_view::npos && plus > 0) local = local.substr(0, plus);
  return std::string(local) + "@" + std::string(domain);
}

std::string domain_of(std::string_view address) { return scoring::domain_of(address); }

}  // namespace pushback::state
