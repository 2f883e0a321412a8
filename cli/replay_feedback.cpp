// Reading the recorded feedback file.
#include "cli/replay_feedback.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "state/store.hpp"

namespace pushback::cli {

RecordedFeedback load_recorded_feedback(const std::string& path) {
  RecordedFeedback out;
  std::ifstream in(path);
  if (!in) {
    out.errors.push_back(fmt::format("{}: cannot be read", path));
    return out;
  }
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string kind, id, extra;
    if (!(words >> kind)) continue;
    if (!(words >> id) || (words >> extra) || (kind != "ham" && kind != "outreach")) {
      out.errors.push_back(fmt::format("{}:{}: expected \"ham MESSAGE-ID\" or \"outreach MESSAGE-ID\"", path, number));
      continue;
    }
    auto ids = state::message_ids(id);
    if (ids.empty()) ids.push_back(id);
    out.by_message_id[ids.front()] = kind == "ham" ? state::FeedbackKind::ham : state::FeedbackKind::outreach;
  }
  return out;
}

}  // namespace pushback::cli
