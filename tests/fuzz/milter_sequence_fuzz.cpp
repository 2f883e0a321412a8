// Fuzz target: the milter's per-connection logic in process, without a socket
// or libmilter. The Session beneath the libmilter callbacks is driven by a
// sequence of events decoded from the input; the MTA side records what would
// be sent back.
//
// Input that starts with "PBEV" is an event list: after the magic, each event
// is one byte (its value modulo 11 picks the event) and its arguments, each a
// string of a two-byte little-endian length and that many bytes (cut at the
// end of the input):
//   0 connect ADDR      1 helo NAME        2 mail FROM       3 rcpt TO
//   4 header NAME VALUE 5 end of headers   6 body CHUNK      7 end of message
//   8 abort             9 macro NAME VALUE 10 negotiate FLAGS(1 byte)
// Any other input is a raw message, sent as a whole transaction: MAIL, RCPT,
// its headers, its body in chunks, end of message. Every session is closed
// (destroyed) at the end, as libmilter's close would.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"
#include "milter/runtime.hpp"
#include "milter/session.hpp"
#include "scoring/raw_message.hpp"

namespace {

using namespace pushback;
using milter::Status;

class RecordingMta final : public milter::Mta {
 public:
  std::map<std::string, std::string, std::less<>> macros;
  std::size_t actions = 0;
  bool score_added = false;

  std::optional<std::string> macro(std::string_view name) override {
    auto it = macros.find(name);
    if (it == macros.end()) return std::nullopt;
    return it->second;
  }
  bool add_header(const std::string& name, const std::string& value) override {
    check_header(name, value);
    if (name == "X-Pushback-Score") score_added = true;
    ++actions;
    return true;
  }
  bool delete_header(const std::string& name, int index) override {
    if (index < 1) __builtin_trap();  // libmilter indexes from 1
    check_name(name);
    ++actions;
    return true;
  }
  bool change_header(const std::string& name, int index, const std::string& value) override {
    if (index < 1) __builtin_trap();
    check_header(name, value);
    ++actions;
    return true;
  }
  bool quarantine(const std::string& reason) override {
    check_line(reason);
    ++actions;
    return true;
  }
  bool set_reply(const std::string& rcode, const std::string& xcode, const std::string& text) override {
    if (rcode.size() != 3 || (rcode[0] != '4' && rcode[0] != '5')) __builtin_trap();
    check_line(xcode);
    check_line(text);
    // libmilter ignores a text with a lone '%': every '%' must come doubled.
    for (std::size_t at = 0; at < text.size(); ++at) {
      if (text[at] != '%') continue;
      if (at + 1 >= text.size() || text[at + 1] != '%') __builtin_trap();
      ++at;
    }
    ++actions;
    return true;
  }

 private:
  // What goes back to the MTA must not break its protocol or its queue file.
  static void check_line(const std::string& text) {
    for (char c : text) {
      if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
    }
  }
  static void check_name(const std::string& name) {
    if (name.empty()) __builtin_trap();
    for (char c : name) {
      if (c <= ' ' || c == ':' || c == 127) __builtin_trap();
    }
  }
  // Values may be folded ("\n\t"), nothing else.
  static void check_header(const std::string& name, const std::string& value) {
    check_name(name);
    for (std::size_t at = 0; at < value.size(); ++at) {
      if (value[at] == '\0' || value[at] == '\r') __builtin_trap();
      if (value[at] == '\n' && (at + 1 >= value.size() || (value[at + 1] != '\t' && value[at + 1] != ' '))) {
        __builtin_trap();
      }
    }
  }
};

struct World {
  metrics::PushbackMetrics metrics;
  std::shared_ptr<const milter::Runtime> runtime;
  milter::Services services{metrics};

  World() {
    // The smallest caps the schema allows, so short inputs reach every limit.
    auto loaded = config::load_config_text(
        "[milter]\nmax_body_bytes = 1024\nmax_header_count = 10\nmax_header_bytes = 256\nmax_recipients = 3\n"
        "[policy]\nmode = \"enforce\"\nsubject_tag = \"[pushback %]\"\n",
        "fuzz.toml");
    if (!loaded.ok()) {
      for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
      __builtin_trap();
    }
    auto built = milter::make_runtime(loaded.config);
    if (!built.ok()) __builtin_trap();
    runtime = built.runtime;
  }
};

World& world() {
  static World instance;
  return instance;
}

class Reader {
 public:
  explicit Reader(std::string_view input) : input_(input) {}
  bool done() const { return input_.empty(); }
  std::uint8_t byte() {
    if (input_.empty()) return 0;
    auto value = static_cast<std::uint8_t>(input_.front());
    input_.remove_prefix(1);
    return value;
  }
  std::string_view string() {
    std::size_t length = byte();
    length |= static_cast<std::size_t>(byte()) << 8;
    std::string_view value = input_.substr(0, length);
    input_.remove_prefix(value.size());
    return value;
  }

 private:
  std::string_view input_;
};

void end_of_message(milter::Session& session, RecordingMta& mta) {
  session.on_end_of_message(mta);  // outbound mail gets no headers: nothing to check here
  mta.score_added = false;
}

void run_events(Reader reader) {
  RecordingMta mta;
  auto session = std::make_unique<milter::Session>(world().runtime, world().services);
  while (!reader.done()) {
    switch (reader.byte() % 11) {
      case 0: session->on_connect(reader.string()); break;
      case 1: reader.string(); break;  // HELO: not negotiated by the callbacks
      case 2: session->on_mail_from(mta, reader.string()); break;
      case 3: session->on_rcpt_to(mta, reader.string()); break;
      case 4: {
        auto name = reader.string();
        session->on_header(name, reader.string());
        break;
      }
      case 5: break;  // end of headers: not negotiated
      case 6: session->on_body_chunk(reader.string()); break;
      case 7: end_of_message(*session, mta); break;
      case 8: session->on_abort(); break;
      case 9: {
        auto name = reader.string();
        mta.macros[std::string(name)] = std::string(reader.string());
        break;
      }
      case 10: {
        auto flags = reader.byte();
        session->set_no_reply_steps({.connect = (flags & 1) != 0, .mail = (flags & 2) != 0,
                                     .header = (flags & 4) != 0, .body = (flags & 16) != 0,
                                     .skip_supported = (flags & 8) != 0});
        break;
      }
    }
  }
  session.reset();  // close
}

// A raw message as Postfix would hand it over: body chunks of up to 64 KB
// (smaller for small inputs, so that chunk boundaries move).
void run_raw(std::string_view raw) {
  scoring::Message message = scoring::parse_raw_message(raw);
  RecordingMta mta;
  mta.macros["i"] = "FUZZ1";
  mta.macros["{client_addr}"] = "192.0.2.1";
  milter::Session session(world().runtime, world().services);
  session.set_no_reply_steps({.connect = true, .mail = true, .header = true, .skip_supported = true});
  session.on_connect("192.0.2.1");
  const auto* from = message.find_header("From");
  session.on_mail_from(mta, from ? from->value : "<sender@vendor.example>");
  session.on_rcpt_to(mta, "<user@corp.example>");
  for (const auto& header : message.headers) session.on_header(header.name, header.value);
  std::size_t chunk = 1 + raw.size() % 65536;
  std::string_view body = message.body;
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    if (session.on_body_chunk(body.substr(at, chunk)) == Status::skip) break;
  }
  Status status = session.on_end_of_message(mta);
  if (status == Status::proceed && !mta.score_added) __builtin_trap();  // an inbound message always gets its score
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.substr(0, 4) == "PBEV") {
    run_events(Reader(input.substr(4)));
  } else {
    run_raw(input);
  }
  return 0;
}
