// Turns untrusted text into safe header values: no CR, LF, NUL or other control
// characters, folded at 78 columns, and renders the X-Pushback-Report value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/symbol.hpp"

namespace pushback::scoring {

inline constexpr std::string_view own_header_prefix = "X-Pushback-";

// True for any header Pushback writes, whatever its case: inbound copies are forged.
bool is_own_header(std::string_view name);

// Replaces control characters (CR, LF, NUL, ...) with spaces, folds runs of
// white space to one space and trims; invalid UTF-8 bytes become '?'.
std::string sanitise_header_value(std::string_view text);

// Folds a sanitised value so that no line of "Name: value" exceeds `width`
// columns where a space allows it; continuation lines start with "\n\t", the
// folding libmilter passes on to the MTA.
std::string fold_header_value(std::string_view name, std::string_view value, std::size_t width = 78);

// "NAME(score)[reason] NAME(score)[reason]", strongest first, at most
// `max_length` characters (weakest symbols dropped first, "..." marks the cut).
std::string format_report(std::vector<Symbol> symbols, std::size_t max_length);

// Score with one decimal, as in the headers: "6.0", "-10.0".
std::string format_score(double score);

}  // namespace pushback::scoring
