// Mapping between the plain structs of config/, state/ and scoring/.
#include "milter/state_bridge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scoring/organisation.hpp"
#include "state/address.hpp"

namespace pushback::milter {

namespace {

std::string window_name(std::chrono::seconds window) {
  if (window.count() % 86400 == 0) return fmt::format("{}d", window.count() / 86400);
  if (window.count() % 3600 == 0) return fmt::format("{}h", window.count() / 3600);
  return fmt::format("{}s", window.count());
}

std::uint32_t days_between(state::TimePoint earlier, state::TimePoint later) {
  if (earlier == state::TimePoint{} || later <= earlier) return 0;
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::hours>(later - earlier).count() / 24);
}

std::uint32_t at(const std::vector<std::uint32_t>& values, std::size_t index) {
  return index < values.size() ? values[index] : 0;
}

}  // namespace

state::StoreSettings store_settings(const config::StateSettings& s) {
  state::StoreSettings out;
  out.backend = s.backend == "redis" ? state::BackendKind::redis : state::BackendKind::lmdb;
  out.state_dir = s.dir;
  out.windows = s.windows;
  out.retention = s.retention;
  out.dedup_window = s.dedup_window;
  out.sync_interval = s.sync_interval;
  out.durability = s.durability == "commit" ? state::Durability::commit : state::Durability::periodic;
  out.lmdb_map_size = static_cast<std::uint64_t>(s.map_size);
  out.snapshots_kept = static_cast<std::size_t>(s.snapshots_kept);
  out.snapshot_whole_store = s.snapshot_whole_store;
  out.verify_time_limit = s.verify_time_limit;
  out.on_unavailable =
      s.on_unavailable == config::FailureAction::tempfail ? state::StoreFailureAction::tempfail : state::StoreFailureAction::accept;
  out.template_similarity = s.template_similarity;
  out.redis.host = s.redis_host;
  out.redis.port = static_cast<std::uint16_t>(s.redis_port);
  if (!s.redis_socket.empty()) {
    out.redis.host = s.redis_socket;  // a path: the client connects to it as a unix socket
    out.redis.port = 0;
  }
  out.redis.db = static_cast<int>(s.redis_db);
  out.redis.password = s.redis_password;
  out.redis.username = s.redis_username;
  out.redis.master_name = s.redis_master_name;
  out.redis.sentinel_username = s.redis_sentinel_username;
  out.redis.sentinel_password = s.redis_sentinel_password;
  for (const auto& endpoint : s.redis_sentinels) {
    auto colon = endpoint.rfind(':');  // checked by the schema
    std::string host = endpoint.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    out.redis.sentinels.push_back({host, static_cast<std::uint16_t>(std::stoul(endpoint.substr(colon + 1)))});
  }
  out.redis.key_prefix = s.redis_key_prefix;
  out.redis.connect_timeout = std::chrono::milliseconds(s.redis_connect_timeout_ms);
  out.redis.command_timeout = std::chrono::milliseconds(s.redis_command_timeout_ms);
  out.redis.pool_size = static_cast<std::size_t>(s.redis_pool_size);
  return out;
}

bool is_outbound(const scoring::Envelope& envelope, const config::DirectionSettings& direction) {
  std::string domain = state::domain_of(envelope.mail_from);
  if (domain.empty() ||
      std::find(direction.internal_domains.begin(), direction.internal_domains.end(), domain) ==
          direction.internal_domains.end()) {
    return false;
  }
  if (direction.authenticated_is_outbound && !envelope.auth_user.empty()) return true;
  return !envelope.client_addr.empty() && config::in_networks(direction.trusted_networks, envelope.client_addr);
}

state::Observation observation_of(const scoring::Message& message, const scoring::Analysis& analysis, bool outbound,
                                  state::TimePoint now, const config::CampaignIdentityData* identity) {
  state::Observation observation;
  observation.direction = outbound ? state::Direction::outbound : state::Direction::inbound;
  observation.sender = state::normalise_address(message.envelope.mail_from);
  for (const auto& recipient : message.envelope.recipients) {
    observation.recipients.push_back(state::normalise_address(recipient));
  }
  if (const auto* id = message.find_header("Message-ID")) {
    auto ids = state::message_ids(id->value);
    if (!ids.empty()) observation.message_id = ids.front();
  }
  if (const auto* header = message.find_header("In-Reply-To")) observation.in_reply_to = state::message_ids(header->value);
  if (const auto* header = message.find_header("References")) observation.references = state::message_ids(header->value);
  observation.fingerprint = analysis.text.fingerprint;
  observation.time = now;
  if (outbound) {
    for (const auto& recipient : observation.recipients) {
      scoring::Organisation organisation;
      if (identity) organisation = scoring::organisation_of(state::domain_of(recipient), *identity);
      observation.recipient_brands.push_back(organisation.brand);
      observation.recipient_organisations.push_back(organisation.name);
    }
  } else {
    observation.quoted_fingerprint = analysis.text.quoted_fingerprint;
    observation.campaign = analysis.campaign;
  }
  return observation;
}

scoring::HistoryFacts facts_of(const state::History& history, state::TimePoint now) {
  scoring::HistoryFacts facts;
  facts.available = history.outcome != state::Outcome::unavailable;
  if (!facts.available) return facts;
  facts.outbound = history.direction == state::Direction::outbound;
  facts.duplicate = history.outcome == state::Outcome::duplicate;
  facts.allowlisted = history.allowlisted;
  if (!history.windows.empty()) {
    facts.short_window = window_name(history.windows.front());
    facts.long_window = window_name(history.windows.back());
  }
  std::size_t last = history.windows.empty() ? 0 : history.windows.size() - 1;
  facts.sender_recipients_short = at(history.sender.recipients, 0);
  // The sender's reach, or its campaign's over all its mailboxes.
  facts.sender_recipients_long = std::max(at(history.sender.recipients, last),
                                          history.campaign.known ? at(history.campaign.counts.recipients, last) : 0u);
  facts.template_recipients_long = history.cluster.known ? at(history.cluster.counts.recipients, last) : 0;
  facts.template_senders_long = history.cluster.known ? at(history.cluster.senders, last) : 0;
  facts.template_messages_long = history.cluster.known ? at(history.cluster.counts.messages, last) : 0;
  facts.cites_ids = history.cites_ids;
  facts.answers_our_message = history.answers_our_message;
  facts.template_ham = history.feedback.template_ham;
  facts.template_outreach = history.feedback.template_outreach;
  facts.sender_ham = history.feedback.sender_ham;
  facts.sender_outreach = history.feedback.sender_outreach;
  for (const auto& pair : history.pairs) {
    if (pair.dialogue) {
      facts.dialogue = true;
      facts.days_since_reply = days_between(pair.last_reply, now);
    }
    if (pair.streak > facts.streak) {
      facts.streak = pair.streak;
      facts.streak_days = days_between(pair.first_seen, now);
    }
    facts.pair_messages_short = std::max(facts.pair_messages_short, at(pair.messages, 0));
    if (pair.follows_template) {
      facts.sequence_step = true;
      facts.steps = std::max(facts.steps, pair.steps);
    }
    facts.campaign_dialogue = facts.campaign_dialogue || pair.campaign_dialogue;
    if (pair.campaign_streak > facts.campaign_streak) {
      facts.campaign_streak = pair.campaign_streak;
      facts.campaign_streak_days = days_between(pair.campaign_first_seen, now);
      facts.campaign_streak_senders = pair.campaign_senders;
    }
    facts.campaign_pair_messages_short = std::max(facts.campaign_pair_messages_short, at(pair.campaign_messages, 0));
    if (pair.campaign_follows_template) {
      facts.campaign_sequence_step = true;
      facts.campaign_steps = std::max(facts.campaign_steps, pair.campaign_steps);
    }
  }
  if (history.campaign.known) {
    facts.campaign = campaign_name(history.campaign);
    facts.campaign_mailboxes = history.campaign.mailboxes;
    facts.campaign_domains = history.campaign.domains;
  }
  return facts;
}

std::string campaign_name(const state::CampaignFacts& campaign) {
  return fmt::format("{} ({:08x})", campaign.brand.empty() ? "-" : campaign.brand, campaign.id);
}

// The History in one line for X-Pushback-History: counts per window.
std::string describe_history(const state::History& history) {
  if (history.outcome == state::Outcome::unavailable) return "state unavailable";
  auto list = [](const std::vector<std::uint32_t>& values) { return fmt::format("{}", fmt::join(values, "/")); };
  std::string windows;
  for (auto window : history.windows) windows += (windows.empty() ? "" : "/") + window_name(window);
  std::uint32_t streak = 0;
  std::vector<std::uint32_t> pair;
  for (const auto& p : history.pairs) {
    if (p.streak >= streak) {
      streak = p.streak;
      pair = p.messages;
    }
  }
  std::string line = fmt::format("windows {}; streak {}; pair {}; sender {} msgs {} rcpts; domain {} msgs", windows,
                                 streak, list(pair), list(history.sender.messages), list(history.sender.recipients),
                                 list(history.domain.messages));
  if (history.campaign.known) {
    std::uint32_t campaign_streak = 0;
    std::uint32_t campaign_senders = 0;
    for (const auto& p : history.pairs) {
      if (p.campaign_streak >= campaign_streak) {
        campaign_streak = p.campaign_streak;
        campaign_senders = p.campaign_senders;
      }
    }
    line += fmt::format("; campaign {} {} mailboxes {} domains, streak {} from {} addresses, {} msgs {} rcpts, {}",
                        campaign_name(history.campaign), history.campaign.mailboxes, history.campaign.domains,
                        campaign_streak, campaign_senders, list(history.campaign.counts.messages),
                        list(history.campaign.counts.recipients),
                        history.campaign.joined ? "linked by " + history.campaign.linked_by : history.campaign.linked_by);
  }
  if (history.cluster.known) {
    line += fmt::format("; template {:08x} {} rcpts {} senders", history.cluster.id & 0xffffffffu,
                        list(history.cluster.counts.recipients), list(history.cluster.senders));
  }
  if (history.outcome == state::Outcome::duplicate) line += "; duplicate delivery";
  return line;
}


}  // namespace pushback::milter
