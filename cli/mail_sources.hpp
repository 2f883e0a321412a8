// Where `pushback scan` and `pushback replay` read mail from: single files,
// directories of .eml files, mbox files and Maildirs, in a stable order.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace pushback::cli {

struct MailItem {
  std::string name;  // file path, "mbox-path#N" or Maildir file path
  std::string raw;   // the message as stored
};

// Calls `visit` for each message under `paths`, in order: paths as given,
// directory entries sorted by name, mbox messages in file order. Unreadable
// items are reported through `warn` and skipped. Returns false when a path
// does not exist.
bool for_each_message(const std::vector<std::string>& paths, const std::function<void(MailItem&&)>& visit,
                      const std::function<void(const std::string&)>& warn);

}  // namespace pushback::cli
