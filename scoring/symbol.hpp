// Evidence, rspamd style: an analyser names a symbol, the configuration gives
// its weight, and a short reason says why it fired.
#pragma once

#include <string>
#include <vector>

namespace pushback::scoring {

struct Symbol {
  std::string name;    // upper case, e.g. FAKE_REPLY
  double score = 0;    // non-finite scores count as 0
  std::string reason;  // short, human-readable, e.g. "Re: with no In-Reply-To"
};

// Sum of the finite scores.
double total_score(const std::vector<Symbol>& symbols);

}  // namespace pushback::scoring
