// Fuzz target: what the MTA's queue tools print and keep, all of it filled by
// mail senders. The same bytes go to the postqueue -j parser, the header block
// parser (postcat -hq, message files), the Sendmail control file parser and
// the seal check; limits must hold and nothing may be taken for our verdict.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "quarantine/held_message.hpp"
#include "quarantine/postfix_output.hpp"
#include "quarantine/sendmail_output.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace pushback::quarantine;
  static const Sealer sealer(std::array<std::uint8_t, 32>{});

  auto listing = parse_postqueue_json(text);
  for (const auto& entry : listing.entries) check(!entry.queue_id.empty());

  auto headers = parse_header_block(text);
  check(headers.fields.size() <= max_header_fields);
  for (const auto& field : headers.fields) check(field.value.size() <= max_header_field_bytes);
  QueueEntry entry;
  entry.queue_id = "C87A0A72173";
  entry.sender = "dana@growthly.example";
  // Fuzzed bytes never carry a seal made with the key: nothing is ours.
  check(!recognise_held(entry, headers, sealer));

  auto control = parse_control_file("6B45I2UO029768", text);
  if (control.error.empty()) {
    check(control.headers.fields.size() <= max_header_fields);
    check(!recognise_held(control.entry, control.headers, sealer));
  }
  (void)queue_directory_of(text);
  return 0;
}
