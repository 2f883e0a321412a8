// The fastText wrapper: loading from memory, the label check, prediction.
#include "scoring/cold_pitch.hpp"

#include <fasttext/fasttext.h>
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace pushback::scoring {

namespace {

// checkModel() (the format's magic number and version) is protected.
class CheckedFastText : public fasttext::FastText {
 public:
  bool header_ok(std::istream& in) { return checkModel(in); }
};

// Appends up to `budget` tokens of `text`, one space apart.
void append_tokens(std::string& out, std::string_view text, std::size_t& budget) {
  std::size_t at = 0;
  while (at < text.size() && budget > 0) {
    // fastText splits on white space and ends a line at '\n'.
    auto start = text.find_first_not_of(" \t\r\n\v\f", at);
    if (start == std::string_view::npos) break;
    auto end = text.find_first_of(" \t\r\n\v\f", start);
    if (end == std::string_view::npos) end = text.size();
    if (!out.empty()) out.push_back(' ');
    out.append(text.substr(start, end - start));
    --budget;
    at = end;
  }
}

}  // namespace

std::string model_input(const TextFeatures& text) {
  std::string line;
  std::size_t budget = max_model_tokens;
  append_tokens(line, text.subject_text, budget);
  append_tokens(line, text.new_text, budget);
  return line;
}

ColdPitchModel::ColdPitchModel() = default;
ColdPitchModel::~ColdPitchModel() = default;

ColdPitchModel::Load ColdPitchModel::load(std::string_view payload) {
  Load result;
  std::shared_ptr<ColdPitchModel> model(new ColdPitchModel());
  auto checked = std::make_unique<CheckedFastText>();
  try {
    std::istringstream in{std::string(payload)};
    if (!checked->header_ok(in)) {
      result.error = "is not a fastText model of the version this build reads";
      return result;
    }
    checked->loadModel(in);
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
      result.error = "holds a damaged fastText model";
      return result;
    }
  } catch (const std::exception& e) {
    result.error = fmt::format("could not be loaded: {}", e.what());
    return result;
  }
  auto dictionary = checked->getDictionary();
  if (checked->getArgs().model != fasttext::model_name::sup || dictionary->nlabels() != 2 ||
      checked->getLabelId(std::string(cold_pitch_label)) < 0 || checked->getLabelId(std::string(other_label)) < 0) {
    result.error = fmt::format("is not a cold-pitch classifier (it needs exactly the labels {} and {})",
                               cold_pitch_label, other_label);
    return result;
  }
  model->model_ = std::move(checked);
  result.model = std::move(model);
  return result;
}

std::optional<double> ColdPitchModel::probability(std::string_view input) const {
  // No words: no evidence either way (fastText would still read its end-of-line token).
  if (input.find_first_not_of(' ') == std::string_view::npos) return 0.0;
  try {
    std::istringstream in{std::string(input) + "\n"};
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    if (!model_->predictLine(in, predictions, 2, 0.0) || predictions.empty()) return 0.0;
    for (const auto& [probability, label] : predictions) {
      if (label == cold_pitch_label) return std::clamp(static_cast<double>(probability), 0.0, 1.0);
    }
    return 0.0;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace pushback::scoring
