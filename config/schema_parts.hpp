// The schema is assembled from one table per area; these add their keys.
#pragma once

#include <vector>

#include "config/schema.hpp"

namespace pushback::config::detail {

void add_state_keys(std::vector<KeyInfo>& keys);
void add_policy_keys(std::vector<KeyInfo>& keys);
void add_quarantine_keys(std::vector<KeyInfo>& keys);
void add_web_keys(std::vector<KeyInfo>& keys);

// "1d" and the like, as the loader reads durations; nullopt when malformed.
std::optional<std::chrono::seconds> parse_duration_text(std::string_view text);

// Lists of CIDR networks: the check and the conversion.
std::string validate_networks(const Value& value);
std::vector<Network> networks_of(const Value& value);

// A list of addresses or domains, lower-cased.
std::vector<std::string> lower_list(const Value& value);

}  // namespace pushback::config::detail
