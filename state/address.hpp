// Canonical form of an e-mail address for counting: lower case, "+tag"
// removed, BATV (prvs=) and SRS (SRS0=/SRS1=) wrappers undone.
#pragma once

#include <string>
#include <string_view>

namespace pushback::state {

std::string normalise_address(std::string_view address);

// The domain part of an address (after the last '@'), lower case; "" if none.
std::string domain_of(std::string_view address);

}  // namespace pushback::state
