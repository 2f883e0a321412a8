// Queue ids as the MTAs write them, checked before any of them reaches a
// command line: an id is an argument of postsuper or sendmail, so anything
// else (an option, a path, a wildcard) is refused.
#pragma once

#include <string_view>

namespace pushback::quarantine {

// Postfix: short ids (hex, as by default) or long ids (enable_long_queue_ids:
// a base-52 time part, 'z', an inode part). Sendmail: letters and digits.
bool valid_postfix_queue_id(std::string_view id);
bool valid_sendmail_queue_id(std::string_view id);

}  // namespace pushback::quarantine
