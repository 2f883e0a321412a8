// Choosing the MTA driver: configured, or detected by its queue tool.
#include "quarantine/mta_queue.hpp"

#include <unistd.h>

namespace pushback::quarantine {

std::unique_ptr<MtaQueue> open_mta_queue(const QueueSettings& settings, std::string& error) {
  std::string mta = settings.mta;
  if (mta == "auto") {
    if (::access((settings.command_dir + "/postsuper").c_str(), X_OK) == 0) {
      mta = "postfix";
    } else if (::access((settings.command_dir + "/sendmail").c_str(), X_OK) == 0) {
      mta = "sendmail";
    } else {
      error = "no MTA found: neither " + settings.command_dir + "/postsuper nor " + settings.command_dir +
              "/sendmail exists (set quarantine.mta and quarantine.command_dir)";
      return nullptr;
    }
  }
  if (mta == "postfix") return open_postfix_queue(settings);
  if (mta == "sendmail") return open_sendmail_queue(settings);
  error = "unknown MTA \"" + mta + "\"";
  return nullptr;
}

}  // namespace pushback::quarantine
