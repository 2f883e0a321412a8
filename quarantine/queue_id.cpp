// Queue id checks: a short character set and a length bound, nothing more.
#include "quarantine/queue_id.hpp"

#include <algorithm>

namespace pushback::quarantine {

namespace {

bool alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

bool valid_postfix_queue_id(std::string_view id) {
  if (id.size() < 6 || id.size() > 32) return false;
  bool all_hex =
      std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
  if (all_hex) return true;
  // Long form: letters and digits with one 'z' separating its two parts.
  return std::all_of(id.begin(), id.end(), alnum) && std::count(id.begin(), id.end(), 'z') >= 1;
}

bool valid_sendmail_queue_id(std::string_view id) {
  return id.size() >= 6 && id.size() <= 32 && std::all_of(id.begin(), id.end(), alnum);
}

}  // namespace pushback::quarantine
