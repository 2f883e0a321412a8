// Opening a store, checking its settings, and reading Message-ID lists.
#include "state/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "state/address.hpp"
#include "state/lmdb_store.hpp"
#include "state/redis_store.hpp"
#include "state/windows.hpp"

namespace pushback::state {

namespace {
// References chains grow with every reply; the newest ids are the ones that matter.
constexpr std::size_t max_ids_per_header = 32;
}  // namespace

std::string validate(const StoreSettings& settings) {
  if (settings.windows.empty()) return "at least one window is needed";
  if (settings.bucket_width.count() <= 0) return "the bucket width must be positive";
  auto longest = *std::max_element(settings.windows.begin(), settings.windows.end());
  for (auto window : settings.windows) {
    if (window < settings.bucket_width) return "every window must be at least one bucket wide";
  }
  if (settings.retention < longest) return "retention must be at least the longest window";
  if (settings.dedup_window.count() <= 0) return "the dedup window must be positive";
  if (settings.state_dir.empty()) return "the state directory is needed (it holds the secret key)";
  if (settings.template_similarity <= 0 || settings.template_similarity > 1) {
    return "template similarity must be in (0, 1]";
  }
  if (settings.pair_templates == 0 || settings.pair_templates > 16) return "pair templates must be 1..16";
  if (settings.distinct_cap == 0) return "the distinct cap must be positive";
  if (settings.backend == BackendKind::redis && settings.redis.pool_size == 0) return "the Redis pool needs a connection";
  return {};
}

std::unique_ptr<Store> open_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock) {
  if (auto problem = validate(settings); !problem.empty()) throw std::runtime_error("state settings: " + problem);
  KeyedHasher hasher = KeyedHasher::from_state_dir(settings.state_dir);
  if (settings.backend == BackendKind::redis) return open_redis_store(settings, std::move(clock), std::move(hasher));
  return open_lmdb_store(settings, std::move(clock), std::move(hasher));
}

std::vector<Observation> replies_of_release(const Feedback& feedback, std::uint32_t now) {
  std::vector<Observation> replies;
  std::string sender = normalise_address(feedback.sender);
  if (feedback.kind != FeedbackKind::ham || sender.empty()) return replies;
  for (const auto& recipient : feedback.recipients) {
    Observation reply;
    reply.direction = Direction::outbound;
    reply.sender = normalise_address(recipient);
    reply.recipients = {sender};
    reply.time = detail::from_seconds(now);
    replies.push_back(std::move(reply));
  }
  return replies;
}

std::vector<std::string> message_ids(std::string_view value) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = value.find('<', at)) != std::string_view::npos) {
    auto end = value.find('>', at + 1);
    if (end == std::string_view::npos) break;
    auto id = value.substr(at + 1, end - at - 1);
    if (!id.empty() && id.find_first_of(" \t\r\n<") == std::string_view::npos) out.emplace_back(id);
    at = end + 1;
  }
  if (out.empty()) {
    // Some mailers send a bare id.
    auto first = value.find_first_not_of(" \t\r\n");
    auto last = value.find_last_not_of(" \t\r\n");
    if (first != std::string_view::npos) {
      auto id = value.substr(first, last - first + 1);
      if (id.find_first_of(" \t\r\n<>") == std::string_view::npos && id.find('@') != std::string_view::npos) {
        out.emplace_back(id);
      }
    }
  }
  if (out.size() > max_ids_per_header) out.erase(out.begin(), out.end() - max_ids_per_header);
  return out;
}

}  // namespace pushback::state
