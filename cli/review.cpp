// The shared parts of quarantine and feedback: opening what they need, and
// the audit trail.
#include "cli/review.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "config/load.hpp"
#include "milter/privileges.hpp"
#include "milter/state_bridge.hpp"
#include "state/address.hpp"

namespace pushback::cli {

std::optional<Review> open_review(const std::string& config_path, const char* command, bool need_queue) {
  auto loaded = config::load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors)
      std::fprintf(stderr, "pushback %s: %s\n", command, error.to_string().c_str());
    return std::nullopt;
  }
  Review review;
  review.config = loaded.config;
  // Root stays root for the MTA's queue, but acts as milter.user for the
  // state directory, so that a key file created here is the daemon's.
  std::string error;
  bool created = false;
  if (!milter::ensure_state_dir(review.config->state.dir, review.config->milter, error, created)) {
    std::fprintf(stderr, "pushback %s: %s\n", command, error.c_str());
    return std::nullopt;
  }
  try {
    milter::ActingAsStateOwner acting(review.config->milter);
    if (!acting.ok()) throw std::runtime_error(acting.error());
    review.sealer.emplace(quarantine::Sealer::from_state_dir(review.config->state.dir));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pushback %s: %s (the verdict seal needs it: run as root or the daemon's account)\n", command,
                 e.what());
    return std::nullopt;
  }
  if (need_queue) {
    const auto& q = review.config->quarantine;
    quarantine::QueueSettings settings{q.mta, q.command_dir, q.postfix_config_dir, q.sendmail_config};
    review.queue = quarantine::open_mta_queue(settings, error);
    if (!review.queue) {
      std::fprintf(stderr, "pushback %s: %s\n", command, error.c_str());
      return std::nullopt;
    }
  }
  return review;
}

state::Store* open_store(Review& review, const char* command) {
  if (review.store) return review.store.get();
  try {
    milter::ActingAsStateOwner acting(review.config->milter);
    if (!acting.ok()) throw std::runtime_error(acting.error());
    review.store =
        state::open_store(milter::store_settings(review.config->state), std::make_shared<state::SystemClock>());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pushback %s: cannot open the state store: %s\n", command, e.what());
  }
  return review.store.get();
}


HeldListing list_ours(Review& review, const char* command) {
  HeldListing out;
  auto listing = review.queue->list_held();
  for (const auto& error : listing.errors) std::fprintf(stderr, "pushback %s: %s\n", command, error.c_str());
  if (!listing.ok) return out;
  for (const auto& held : listing.held) {
    if (auto ours = quarantine::recognise_held(held.entry, held.headers, *review.sealer)) {
      out.ours.push_back(std::move(*ours));
    } else {
      ++out.others;
    }
  }
  out.ok = true;
  return out;
}

std::string who_ran() {
  const passwd* account = ::getpwuid(::getuid());
  std::string name = account ? account->pw_name : std::to_string(::getuid());
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) name += fmt::format(" (sudo by {})", sudo);
  return name;
}

void audit(const std::string& line) {
  ::openlog("pushback", LOG_PID, LOG_MAIL);
  ::syslog(LOG_NOTICE, "%s", line.c_str());
  ::closelog();
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);  // a long-running console's log must not wait in a buffer
}

bool count_quarantine_decisions(state::Store& store, bool release, std::uint64_t messages) {
  state::DayCounts today;
  today.day = state::day_number(state::SystemClock().now());
  today[release ? state::DailyEvent::released : state::DailyEvent::deleted] = messages;
  return store.add_daily_counts({today});
}

HeldDecision release_or_delete_held(Review& review, const quarantine::HeldMessage& held, bool release,
                                    state::Store* store, const std::string& who, const std::string& why, bool teach) {
  HeldDecision decision;
  const std::string& id = held.entry.queue_id;
  auto result = release ? review.queue->release(id) : review.queue->remove(id);
  if (!result.ok) {
    decision.message = result.message;
    return decision;
  }
  decision.done = true;
  std::string feedback = "no feedback";
  if (store && teach) {
    auto kind = release ? state::FeedbackKind::ham : state::FeedbackKind::outreach;
    auto taught = feedback_of(kind, held.entry.sender, held.entry.recipients, held.verdict);
    taught.source = release ? state::FeedbackSource::release : state::FeedbackSource::remove;
    decision.feedback_saved = store->record_feedback(taught);
    feedback = decision.feedback_saved ? (release ? "feedback: not outreach" : "feedback: outreach")
                                       : "feedback NOT recorded: the state store is unavailable";
  }
  if (store) count_quarantine_decisions(*store, release, 1);
  audit(fmt::format("quarantine {}: {} from=<{}> to=<{}> score={} template={} by {}: {} ({})",
                    release ? "released" : "deleted", id, held.entry.sender, fmt::join(held.entry.recipients, ","),
                    held.verdict.score,
                    held.verdict.template_known ? fmt::format("{:08x}", held.verdict.template_id) : "unknown", who, why,
                    feedback));
  return decision;
}

state::Feedback feedback_of(state::FeedbackKind kind, const std::string& sender,
                            const std::vector<std::string>& recipients, const quarantine::SealFacts& verdict) {
  state::Feedback feedback;
  feedback.kind = kind;
  feedback.sender = state::normalise_address(sender);
  for (const auto& recipient : recipients) feedback.recipients.push_back(state::normalise_address(recipient));
  feedback.template_known = verdict.template_known;
  feedback.template_id = verdict.template_id;
  return feedback;
}

}  // namespace pushback::cli
