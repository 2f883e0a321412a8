// Score arithmetic that ignores non-finite values.
#include "scoring/symbol.hpp"

#include <cmath>

namespace pushback::scoring {

double total_score(const std::vector<Symbol>& symbols) {
  double sum = 0;
  for (const auto& symbol : symbols) {
    if (std::isfinite(symbol.score)) sum += symbol.score;
  }
  return sum;
}

}  // namespace pushback::scoring
