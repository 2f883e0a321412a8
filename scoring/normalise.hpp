// Normalised, masked text: folded with fold_text(), personalisation replaced
// by mask tokens, so that one template sent to many people reads the same.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "scoring/personalisation.hpp"

namespace pushback::scoring {

// Mask tokens. Runs of the same mask collapse into one ("Jane Doe" -> <name>;
// "+1 (555) 123-4567" -> <num>; "Tuesday, March 4" -> <date>).
namespace mask {
inline constexpr std::string_view greeting = "<greeting>";  // Hi, Hello, Dear, Hallo, Bonjour, Hola, ...
inline constexpr std::string_view name = "<name>";          // the recipient's name, and the name after a greeting
inline constexpr std::string_view company = "<company>";    // the recipient's company
inline constexpr std::string_view sender = "<sender>";      // the sender's own name
inline constexpr std::string_view email = "<email>";
inline constexpr std::string_view number = "<num>";         // any word with a digit: numbers, phones, times
inline constexpr std::string_view date = "<date>";          // weekdays and months (several languages) with their numbers
}  // namespace mask

struct NormalisedText {
  std::string text;              // tokens separated by single spaces
  std::size_t token_count = 0;
  bool tokens_hit = false;       // more than max_tokens words: the rest was dropped
  bool names_recipient = false;  // the recipient's own name or company was masked: written to them
};

// Words are runs of letters, marks and digits; other characters separate
// them. URLs become their registrable host ("https://go.acme.com/x" ->
// "acme.com", or <company> when it is the recipient's). The greeting of the
// first line masks up to four words after it, up to the first punctuation.
NormalisedText normalise_text(std::string_view text, const Personalisation& personalisation,
                              std::size_t max_tokens);

}  // namespace pushback::scoring
