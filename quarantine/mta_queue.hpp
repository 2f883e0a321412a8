// The MTA's hold queue behind one interface: list what is held, read one
// message, release it to delivery or delete it. Postfix and Sendmail
// implement it by running their own queue tools.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarantine/postfix_output.hpp"

namespace pushback::quarantine {

struct QueueSettings {
  std::string mta = "auto";               // auto, postfix or sendmail
  std::string command_dir = "/usr/sbin";  // where postqueue, postcat, postsuper and sendmail live
  std::string postfix_config_dir;         // postfix -c DIR; empty: Postfix's default
  std::string sendmail_config;            // sendmail.cf (sendmail -C); empty: /etc/mail/sendmail.cf
};

struct HeldEntry {
  QueueEntry entry;
  HeaderBlock headers;
};

struct HoldListing {
  std::vector<HeldEntry> held;      // everything in the hold queue, Pushback's or not
  std::vector<std::string> errors;  // entries that could not be read, and why
  bool ok = true;                   // false: the queue could not be listed at all (errors says why)
};

struct ActionResult {
  bool ok = false;
  std::string message;  // what happened, or why nothing did
};

class MtaQueue {
 public:
  virtual ~MtaQueue() = default;
  virtual std::string_view name() const = 0;
  virtual bool valid_id(std::string_view id) const = 0;
  // "" when this process may read the hold queue, else what it lacks.
  virtual std::string missing_read_rights() const = 0;
  // "" when this process may release and delete, else what it lacks.
  virtual std::string missing_change_rights() const = 0;
  virtual HoldListing list_held() = 0;
  // The whole message (headers, empty line, body) of a held message; nullopt
  // with `error` set when it cannot be read.
  virtual std::optional<std::string> message_text(std::string_view id, std::string& error) = 0;
  // Each leaves the message where it was when it fails.
  virtual ActionResult release(std::string_view id) = 0;
  virtual ActionResult remove(std::string_view id) = 0;
};

// The MTA named in the settings, or the one installed (postsuper first).
// nullptr with `error` set when none fits.
std::unique_ptr<MtaQueue> open_mta_queue(const QueueSettings& settings, std::string& error);

std::unique_ptr<MtaQueue> open_postfix_queue(const QueueSettings& settings);
std::unique_ptr<MtaQueue> open_sendmail_queue(const QueueSettings& settings);

}  // namespace pushback::quarantine
