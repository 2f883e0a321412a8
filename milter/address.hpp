// Normalises what the MTA hands over: "<a@b>" envelope addresses and the
// client address macro, which Postfix writes as "IPv6:::1" at some stages.
#pragma once

#include <string>
#include <string_view>

namespace pushback::milter {

std::string strip_angle_brackets(std::string_view address);
std::string normalise_client_addr(std::string_view addr);

}  // namespace pushback::milter
