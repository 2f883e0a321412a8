// analyse(): raw message in, evidence out. Pure: no I/O, no globals, so the
// milter and `pushback scan` run exactly the same code.
#pragma once

#include <string>
#include <vector>

#include "scoring/message.hpp"
#include "scoring/symbol.hpp"

namespace pushback::scoring {

struct Analysis {
  std::vector<Symbol> symbols;
  std::vector<std::string> limits_hit;  // named limits that truncated the input, e.g. "body_bytes"
};

Analysis analyse(const Message& message);

}  // namespace pushback::scoring
