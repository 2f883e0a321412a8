// Fuzz target: normalisation and masking. The first line is the recipient
// ("Name <address>"), the second the sender, the rest the text, which is
// split into new text and quoted history and normalised with and without a
// low token limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/casefold.hpp"
#include "scoring/normalise.hpp"
#include "scoring/personalisation.hpp"
#include "scoring/quote_split.hpp"

namespace {

std::string_view take_line(std::string_view& input) {
  auto end = input.find('\n');
  std::string_view line = input.substr(0, end);
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  return line;
}

pushback::scoring::Mailbox mailbox_of(std::string_view line) {
  auto open = line.find('<');
  auto close = line.find('>', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {std::string(), std::string(line)};
  return {std::string(line.substr(0, open)), std::string(line.substr(open + 1, close - open - 1))};
}

void check(const pushback::scoring::NormalisedText& out, std::size_t max_tokens) {
  if (out.token_count > max_tokens) __builtin_trap();
  if (out.tokens_hit && out.token_count != max_tokens) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pushback::scoring;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Mailbox recipient = mailbox_of(take_line(input));
  Mailbox sender = mailbox_of(take_line(input));
  Personalisation personalisation = personalisation_of({recipient}, {recipient.address}, {sender});

  SplitText split = split_quotes(input);
  check(normalise_text(split.new_text, personalisation, 4096), 4096);
  check(normalise_text(split.quoted, personalisation, 8), 8);
  check(normalise_text(input, personalisation, 3), 3);
  fold_text(input);
  return 0;
}
