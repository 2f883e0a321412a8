// The learned evidence: a supervised text classifier (fastText) that reads
// the subject and the new text, normalised and masked as the fingerprint
// reads them, and gives the probability that they are a sales pitch or a
// sales follow-up. It trusts the model bytes it is given: config/ checked
// their container (model_file.hpp) before they get here.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "scoring/text_features.hpp"

namespace fasttext {
class FastText;
}

namespace pushback::scoring {

// The two labels a cold-pitch model is trained with.
inline constexpr std::string_view cold_pitch_label = "__label__outreach";
inline constexpr std::string_view other_label = "__label__other";

// A pitch says what it is in its first lines; the model reads at most this
// many tokens, which bounds its time on long mail.
inline constexpr std::size_t max_model_tokens = 200;

// What the model reads of a message: one line of tokens, the subject (reply
// prefixes stripped) then the new text, one space between tokens, at most
// max_model_tokens. Training and prediction both use it.
std::string model_input(const TextFeatures& text);

class ColdPitchModel {
 public:
  struct Load {
    std::shared_ptr<const ColdPitchModel> model;  // null on error
    std::string error;
  };
  // A fastText model (the container's payload). Rejects models that are not
  // supervised classifiers with exactly the two labels above.
  static Load load(std::string_view payload);

  // Probability of the outreach label for one model_input() line; nullopt
  // when the model failed (the caller logs; the symbol is then absent).
  std::optional<double> probability(std::string_view input) const;

  ~ColdPitchModel();

 private:
  ColdPitchModel();
  std::unique_ptr<fasttext::FastText> model_;
};

}  // namespace pushback::scoring
