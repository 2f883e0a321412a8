// What a session may ask of the MTA, as a plain interface. The libmilter
// implementation wraps SMFICTX; tests and fuzzers drive sessions through
// their own implementation without a socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pushback::milter {

class Mta {
 public:
  virtual ~Mta() = default;
  // A macro's value, or nullopt when the MTA did not send it.
  virtual std::optional<std::string> macro(std::string_view name) = 0;
  virtual bool add_header(const std::string& name, const std::string& value) = 0;
  // Deletes the index-th (1-based) occurrence of the header `name`.
  virtual bool delete_header(const std::string& name, int index) = 0;
  // Replaces the value of the index-th (1-based) occurrence of `name`.
  virtual bool change_header(const std::string& name, int index, const std::string& value) = 0;
  virtual bool quarantine(const std::string& reason) = 0;
  // SMTP reply for a reject or tempfail; text must already be escaped.
  virtual bool set_reply(const std::string& rcode, const std::string& xcode, const std::string& text) = 0;
};

// What a callback tells libmilter; mirrors sfsistat without including it.
enum class Status { proceed, accept, reject, tempfail, discard, skip, no_reply };

}  // namespace pushback::milter
