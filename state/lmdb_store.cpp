// The embedded backend. One write transaction per observed message, so a
// message's counts are all there or none are; LMDB's copy-on-write pages keep
// the file consistent through a kill -9 at any instruction.
#include "state/lmdb_store.hpp"

#include <lmdb.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "scoring/organisation.hpp"
#include "state/address.hpp"
#include "state/campaign_link.hpp"
#include "state/decision_snapshots.hpp"
#include "state/records.hpp"
#include "state/windows.hpp"

namespace pushback::state {

namespace {

using namespace detail;

inline constexpr std::string_view format_version = lmdb_record_format;
// Runtime allowlist entries that name a campaign.
inline constexpr std::string_view campaign_entry_prefix = "campaign:";
// Message tags a sender record keeps for dedup of split deliveries.
inline constexpr std::size_t recent_tags_kept = 16;

// The 16 bits of a message's dedup tag that its pair keeps (0: no tag).
std::uint16_t short_tag(std::uint32_t tag) { return static_cast<std::uint16_t>(tag == 0 ? 0 : (tag & 0xffff) | 1); }

class LmdbError : public std::runtime_error {
 public:
  LmdbError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

void check(int rc, const char* what) {
  if (rc != 0) throw LmdbError(rc, fmt::format("LMDB {}: {}", what, mdb_strerror(rc)));
}

MDB_val as_val(std::string_view text) { return MDB_val{text.size(), const_cast<char*>(text.data())}; }
std::string_view as_view(const MDB_val& val) { return {static_cast<const char*>(val.mv_data), val.mv_size}; }

// A transaction that aborts unless committed. Views it returns live until
// the next write or the end of the transaction: decode them at once.
class Txn {
 public:
  Txn(MDB_env* env, MDB_dbi dbi, bool write) : dbi_(dbi) {
    check(mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn_), "begin transaction");
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() {
    if (txn_) mdb_txn_abort(txn_);
  }

  std::optional<std::string_view> get(std::string_view key) {
    MDB_val k = as_val(key);
    MDB_val v{};
    int rc = mdb_get(txn_, dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "get");
    return as_view(v);
  }
  void put(std::string_view key, std::string_view value) {
    MDB_val k = as_val(key);
    MDB_val v = as_val(value);
    check(mdb_put(txn_, dbi_, &k, &v, 0), "put");
  }
  void del(std::string_view key) {
    MDB_val k = as_val(key);
    int rc = mdb_del(txn_, dbi_, &k, nullptr);
    if (rc != MDB_NOTFOUND) check(rc, "delete");
  }
  void commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    check(rc, "commit");
  }
  MDB_txn* raw() { return txn_; }
  MDB_dbi dbi() const { return dbi_; }

 private:
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbi_;
};

// Visits every key with `prefix` in order; `visit` returns false to stop.
template <typename Visit>
void scan_prefix(Txn& txn, std::string_view prefix, Visit visit) {
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn.raw(), txn.dbi(), &cursor), "open cursor");
  MDB_val k = as_val(prefix);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    auto key = as_view(k);
    if (key.substr(0, prefix.size()) != prefix || !visit(key, as_view(v))) break;
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) check(rc, "scan");
}

bool within(std::uint32_t now, std::uint32_t then, std::chrono::seconds limit) {
  return then != 0 && now >= then ? now - then < limit.count() : then != 0;
}

// Moves one member's contribution in a distinct-count histogram from the
// bucket of its previous message to the bucket of this one.
void move_member(Series& members, const Windows& windows, std::uint32_t previous, std::uint32_t now) {
  Bucket next = windows.bucket_of(std::max(previous, now));
  if (previous != 0) {
    Bucket old = windows.bucket_of(previous);
    if (old == next) return;
    members.add(old, -1);
  }
  members.add(next, 1);
}

template <typename Record>
Record load(Txn& txn, const std::string& key, std::uint32_t bucket_seconds, bool* found = nullptr) {
  auto bytes = txn.get(key);
  if (found) *found = bytes.has_value();
  return bytes ? Record::decode(*bytes, bucket_seconds) : Record{};
}

PairReport pair_report(const PairRecord& pair, std::uint64_t recipient_id, const Windows& windows, Bucket now) {
  PairReport out;
  // The 40 bits a pair key keeps: the first ten hex digits of the keyed hash.
  out.recipient = fmt::format("{:010x}", recipient_id);
  out.messages_total = pair.total;
  out.messages = windows.sums(pair.messages, now);
  out.streak = pair.streak;
  out.dialogue = pair.dialogue;
  out.first_seen = from_seconds(pair.first_seen);
  out.last_seen = from_seconds(pair.last_seen);
  out.last_reply = from_seconds(pair.last_reply);
  out.steps = pair.steps;
  for (const auto& entry : pair.templates) out.templates.push_back(entry.first);
  return out;
}

WindowCounts owner_counts(const OwnerRecord& owner, const Windows& windows, Bucket now) {
  return {windows.sums(owner.messages, now), windows.sums(owner.members, now)};
}

class LmdbStore final : public Store {
 public:
  LmdbStore(const StoreSettings& settings, std::shared_ptr<const Clock> clock, KeyedHasher hasher)
      : settings_(settings), clock_(std::move(clock)), hasher_(std::move(hasher)), windows_(make_windows(settings)) {
    try {
      open_env();
    } catch (...) {
      if (env_) mdb_env_close(env_);  // a constructor that throws gets no destructor
      throw;
    }
  }

  ~LmdbStore() override {
    if (env_) {
      mdb_env_sync(env_, 1);
      mdb_env_close(env_);
    }
  }

  History observe(const Observation& observation) override {
    std::uint32_t now = to_seconds(observation.time == TimePoint{} ? clock_->now() : observation.time);
    try {
      Txn txn(env_, dbi_, true);
      History history = observation.direction == Direction::inbound ? observe_inbound(txn, observation, now)
                                                                     : observe_outbound(txn, observation, now);
      if (observation.direction == Direction::inbound) history.feedback = read_feedback(txn, observation, history);
      txn.commit();
      note_success();
      return history;
    } catch (const std::exception& error) {
      note_failure(error.what());
      History history;
      history.direction = observation.direction;
      history.outcome = Outcome::unavailable;
      return history;
    }
  }

  PairSnapshot peek(std::string_view sender_address, std::string_view recipient_address,
                    std::string_view sender_brand, std::string_view sender_organisation) override {
    PairSnapshot out;
    try {
      Txn txn(env_, dbi_, false);
      std::string sender = normalise_address(sender_address);
      const std::uint64_t recipient_id = hasher_.hash(HashKind::recipient, normalise_address(recipient_address));
      out.allowlisted = is_allowed(txn, sender);
      auto key = make_pair_key(domain_id(sender), recipient_id, hasher_.hash(HashKind::sender, sender));
      PairRecord pair = load<PairRecord>(txn, key, windows_.bucket_seconds, &out.known);
      out.streak = pair.streak;
      out.dialogue = pair.dialogue;
      out.messages_total = pair.total;
      out.last_seen = from_seconds(pair.last_seen);
      out.last_reply = from_seconds(pair.last_reply);
      // The campaign: the sender's own, or for a new mailbox the one its brand belongs to.
      OwnerRecord owner = load<OwnerRecord>(txn, make_key(key_sender, sender), windows_.bucket_seconds);
      out.campaign_dialogue = organisation_reply(txn, sender_organisation, recipient_id, to_seconds(clock_->now())) != 0;
      std::uint32_t campaign = owner.campaign;
      if (campaign == 0 && !sender_brand.empty()) campaign = evidence_campaign(txn, scoring::EvidenceKind::brand, sender_brand);
      if (campaign != 0) {
        bool found = false;
        CampaignRecord record = load<CampaignRecord>(txn, make_campaign_key(campaign), windows_.bucket_seconds, &found);
        if (found) {
          CampaignPairRecord view = campaign_view(txn, campaign, record, recipient_id);
          out.campaign_known = true;
          out.allowlisted = out.allowlisted || is_campaign_allowed(txn, campaign);
          out.campaign_streak = view.pair.streak;
          out.campaign_dialogue = out.campaign_dialogue || view.pair.dialogue;
          out.campaign_senders = static_cast<std::uint32_t>(view.senders.size());
        }
      }
      out.available = true;
    } catch (const std::exception& error) {
      note_failure(error.what());
    }
    return out;
  }

  SenderReport inspect(std::string_view sender_address, std::string_view recipient_address) override {
    SenderReport out;
    try {
      Txn txn(env_, dbi_, false);
      Bucket now = windows_.bucket_of(to_seconds(clock_->now()));
      out.sender = normalise_address(sender_address);
      out.domain = domain_of(out.sender);
      out.windows = settings_.windows;
      OwnerRecord sender = load<OwnerRecord>(txn, make_key(key_sender, out.sender), windows_.bucket_seconds, &out.known);
      out.allowlisted_by = txn.get(make_key(key_allow, out.sender))    ? "address"
                           : txn.get(make_key(key_allow, out.domain))  ? "domain"
                           : is_campaign_allowed(txn, sender.campaign) ? "campaign"
                                                                       : "";
      out.allowlisted = !out.allowlisted_by.empty();
      OwnerRecord domain = load<OwnerRecord>(txn, make_key(key_domain, out.domain), windows_.bucket_seconds);
      out.counts = owner_counts(sender, windows_, now);
      out.domain_counts = owner_counts(domain, windows_, now);
      out.first_seen = from_seconds(sender.first_seen);
      out.last_seen = from_seconds(sender.touched);
      std::uint64_t sender_id = hasher_.hash(HashKind::sender, out.sender);
      std::string prefix = make_pair_prefix(domain_id(out.sender));
      if (!recipient_address.empty()) {
        prefix = make_pair_prefix(domain_id(out.sender),
                                  hasher_.hash(HashKind::recipient, normalise_address(recipient_address)));
      }
      std::vector<std::uint32_t> template_ids;
      scan_prefix(txn, prefix, [&](std::string_view key, std::string_view value) {
        if (pair_key_sender(key) != short_sender(sender_id)) return true;  // another sender of the domain
        PairRecord pair = PairRecord::decode(value, windows_.bucket_seconds);
        out.pairs.push_back(pair_report(pair, pair_key_recipient(key), windows_, now));
        for (auto [id, sent] : pair.templates) {
          if (std::find(template_ids.begin(), template_ids.end(), id) == template_ids.end()) template_ids.push_back(id);
        }
        out.known = true;
        return true;
      });
      for (auto id : template_ids) {
        bool found = false;
        TemplateRecord record = load<TemplateRecord>(txn, make_template_key(id), windows_.bucket_seconds, &found);
        if (found) out.templates.push_back(template_report(id, record, now));
      }
      if (sender.campaign != 0) out.campaign = campaign_report(txn, sender.campaign, now);
      out.available = true;
    } catch (const std::exception& error) {
      note_failure(error.what());
    }
    return out;
  }

  TopReport top(std::size_t n) override {
    TopReport out;
    try {
      Txn txn(env_, dbi_, false);
      Bucket now = windows_.bucket_of(to_seconds(clock_->now()));
      std::size_t longest = windows_.widths.size() - 1;
      std::map<std::uint32_t, std::string> names;  // short sender hash -> address
      scan_prefix(txn, std::string(1, key_sender), [&](std::string_view key, std::string_view value) {
        std::string sender(key.substr(1));
        OwnerRecord record = OwnerRecord::decode(value, windows_.bucket_seconds);
        names[short_sender(hasher_.hash(HashKind::sender, sender))] = sender;
        out.senders_by_volume.push_back({sender, record.messages.sum(now, windows_.widths[longest])});
        out.senders_by_reach.push_back({sender, record.members.sum(now, windows_.widths[longest])});
        return true;
      });
      std::map<std::uint32_t, std::uint32_t> streaks;
      scan_prefix(txn, std::string(1, key_pair), [&](std::string_view key, std::string_view value) {
        auto& best = streaks[pair_key_sender(key)];
        best = std::max(best, PairRecord::decode(value, windows_.bucket_seconds).streak);
        return true;
      });
      for (const auto& [id, streak] : streaks) {
        auto name = names.find(id);
        if (name != names.end()) out.senders_by_streak.push_back({name->second, streak});
      }
      std::map<std::uint32_t, std::uint32_t> campaign_streaks;
      std::vector<CampaignSummary> summaries;
      scan_prefix(txn, std::string(1, key_campaign_pair), [&](std::string_view key, std::string_view value) {
        auto& best = campaign_streaks[static_cast<std::uint32_t>(read_big_endian(key.substr(1, 4)))];
        best = std::max(best, CampaignPairRecord::decode(value, windows_.bucket_seconds).pair.streak);
        return true;
      });
      scan_prefix(txn, std::string(1, key_campaign), [&](std::string_view key, std::string_view value) {
        CampaignRecord record = CampaignRecord::decode(value, windows_.bucket_seconds);
        auto id = static_cast<std::uint32_t>(read_big_endian(key.substr(1, 4)));
        std::string name = fmt::format("{} ({:08x})", record.brand.empty() ? "-" : record.brand, id);
        auto streak = campaign_streaks[id];
        if (auto primary = streaks.find(short_sender(record.primary_sender)); primary != streaks.end()) {
          streak = std::max(streak, primary->second);
        }
        const std::uint64_t reach = record.members.sum(now, windows_.widths[longest]);
        out.campaigns_by_streak.push_back({name, streak});
        out.campaigns_by_reach.push_back({name, reach});
        out.campaigns_by_mailboxes.push_back({name, record.mailboxes.size()});
        if (reach == 0) return true;
        CampaignSummary summary;
        summary.id = id;
        summary.brand = record.brand;
        summary.reach = reach;
        summary.counts = {windows_.sums(record.messages, now), windows_.sums(record.members, now)};
        summary.mailboxes = static_cast<std::uint32_t>(record.mailboxes.size());
        summary.domains = static_cast<std::uint32_t>(record.domains.size());
        summary.longest_streak = streak;
        summary.first_seen = from_seconds(record.first_seen);
        summary.last_seen = from_seconds(record.touched);
        for (auto mailbox : record.mailboxes) {
          if (auto known = names.find(mailbox); known != names.end()) {
            summary.mailbox = known->second;
            break;
          }
        }
        summaries.push_back(std::move(summary));
        return true;
      });
      std::stable_sort(summaries.begin(), summaries.end(),
                       [](const CampaignSummary& a, const CampaignSummary& b) { return a.reach > b.reach; });
      if (summaries.size() > n) summaries.resize(n);
      for (auto& summary : summaries) summary.links = load_links(txn, summary.id).first;
      out.campaigns = std::move(summaries);
      scan_prefix(txn, std::string(1, key_template), [&](std::string_view key, std::string_view value) {
        TemplateRecord record = TemplateRecord::decode(value, windows_.bucket_seconds);
        out.templates_by_reach.push_back(
            {to_hex(read_big_endian(key.substr(1))), record.recipients.sum(now, windows_.widths[longest])});
        return true;
      });
      for (auto* list : {&out.senders_by_streak, &out.senders_by_reach, &out.senders_by_volume, &out.templates_by_reach,
                         &out.campaigns_by_streak, &out.campaigns_by_reach, &out.campaigns_by_mailboxes}) {
        std::stable_sort(list->begin(), list->end(), [](const TopEntry& a, const TopEntry& b) { return a.value > b.value; });
        std::erase_if(*list, [](const TopEntry& entry) { return entry.value == 0; });
        if (list->size() > n) list->resize(n);
      }
      out.available = true;
    } catch (const std::exception& error) {
      note_failure(error.what());
    }
    return out;
  }

  bool forget(std::string_view sender_address) override {
    try {
      Txn txn(env_, dbi_, true);
      std::string sender = normalise_address(sender_address);
      txn.del(make_key(key_sender, sender));
      std::vector<std::string> keys;
      const std::uint64_t sender_id = hasher_.hash(HashKind::sender, sender);
      scan_prefix(txn, make_pair_prefix(domain_id(sender)), [&](std::string_view key, std::string_view) {
        if (pair_key_sender(key) == short_sender(sender_id)) keys.emplace_back(key);
        return true;
      });
      for (const auto& key : keys) txn.del(key);
      txn.commit();
      return true;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return false;
    }
  }

  int forget_campaign(std::string_view address_or_brand) override {
    try {
      Txn txn(env_, dbi_, true);
      std::uint32_t campaign = find_campaign(txn, address_or_brand);
      if (campaign == 0) return 0;
      std::vector<std::string> senders;
      std::vector<std::string> keys;
      scan_prefix(txn, std::string(1, key_sender), [&](std::string_view key, std::string_view value) {
        if (OwnerRecord::decode(value, windows_.bucket_seconds).campaign == campaign) senders.emplace_back(key.substr(1));
        return true;
      });
      for (const auto& sender : senders) {
        keys.push_back(make_key(key_sender, sender));
        const std::uint32_t short_id = short_sender(hasher_.hash(HashKind::sender, sender));
        scan_prefix(txn, make_pair_prefix(domain_id(sender)), [&](std::string_view key, std::string_view) {
          if (pair_key_sender(key) == short_id) keys.emplace_back(key);
          return true;
        });
      }
      std::string campaign_key = make_campaign_key(campaign);
      keys.push_back(campaign_key);
      keys.push_back(make_campaign_links_key(campaign));
      scan_prefix(txn, make_key(key_campaign_pair, campaign_key.substr(1)), [&](std::string_view key, std::string_view) {
        keys.emplace_back(key);
        return true;
      });
      std::vector<std::pair<std::string, EvidenceRecord>> kept;
      scan_prefix(txn, std::string(1, key_evidence), [&](std::string_view key, std::string_view value) {
        EvidenceRecord record = EvidenceRecord::decode(value);
        auto& ids = record.campaigns;
        if (std::find(ids.begin(), ids.end(), campaign) == ids.end()) return true;
        std::erase(ids, campaign);
        if (ids.empty()) {
          keys.emplace_back(key);
        } else {
          kept.emplace_back(std::string(key), std::move(record));
        }
        return true;
      });
      for (const auto& key : keys) txn.del(key);
      for (const auto& [key, record] : kept) txn.put(key, record.encode());
      txn.commit();
      return static_cast<int>(senders.size());
    } catch (const std::exception& error) {
      note_failure(error.what());
      return -1;
    }
  }

  bool allow(std::string_view entry) override { return decided(write_allow(entry, true)); }

  bool disallow(std::string_view entry) override { return decided(write_allow(entry, false)); }

  std::vector<AllowEntry> allowlist() override {
    std::vector<AllowEntry> out;
    try {
      Txn txn(env_, dbi_, false);
      scan_prefix(txn, std::string(1, key_allow), [&](std::string_view key, std::string_view value) {
        out.push_back({std::string(key.substr(1)), from_seconds(decode_u32(value))});
        return true;
      });
    } catch (const std::exception& error) {
      note_failure(error.what());
    }
    return out;
  }

  std::size_t maintain() override {
    try {
      if (settings_.durability == Durability::periodic) check(mdb_env_sync(env_, 1), "sync");
      return sweep_step();
    } catch (const std::exception& error) {
      note_failure(error.what());
      return 0;
    }
  }

  const StoreSettings& settings() const override { return settings_; }

  bool record_feedback(const Feedback& feedback) override {
    std::uint32_t now = to_seconds(feedback.time == TimePoint{} ? clock_->now() : feedback.time);
    try {
      Txn txn(env_, dbi_, true);
      std::string sender = normalise_address(feedback.sender);
      const std::uint32_t campaign =
          load<OwnerRecord>(txn, make_key(key_sender, sender), windows_.bucket_seconds).campaign;
      auto subjects = feedback_subjects(sender, feedback.template_known, feedback.template_id, campaign);
      for (const auto& subject : {subjects.template_subject, subjects.sender_subject, subjects.campaign_subject}) {
        if (subject.empty()) continue;
        std::string key = make_key(key_feedback, subject);
        auto record = FeedbackRecord::decode(txn.get(key).value_or(std::string_view{}));
        record.touched = std::max(record.touched, now);
        ++(feedback.kind == FeedbackKind::ham ? record.ham : record.outreach);
        txn.put(key, record.encode());
      }
      // Totals for the metrics: meta records, never swept.
      std::string total_key = make_key(key_meta, "feedback:" + feedback_total_name(feedback.kind, feedback.source));
      auto total = txn.get(total_key);
      txn.put(total_key, encode_u32((total ? decode_u32(*total) : 0) + 1));
      for (const auto& reply : replies_of_release(feedback, now)) observe_outbound(txn, reply, now);
      txn.commit();
      note_success();
      return decided(true);
    } catch (const std::exception& error) {
      note_failure(error.what());
      return false;
    }
  }

  std::vector<FeedbackTotal> feedback_totals() override {
    try {
      Txn txn(env_, dbi_, false);
      std::vector<std::pair<std::string, std::uint64_t>> named;
      std::string prefix = make_key(key_meta, "feedback:");
      scan_prefix(txn, prefix, [&](std::string_view key, std::string_view value) {
        named.emplace_back(std::string(key.substr(prefix.size())), decode_u32(value));
        return true;
      });
      return feedback_totals_of(named);
    } catch (const std::exception& error) {
      note_failure(error.what());
      return {};
    }
  }

  // --- Daily counts (state/daily_counts.hpp): meta records "daily:" + day, which
  // the sweep never touches; the days past daily_retention_days go here. ---
  // Deletes the day records under `prefix` older than daily_retention_days.
  void expire_days(Txn& txn, const std::string& prefix) {
    std::int64_t oldest_kept = day_number(clock_->now()) - daily_retention_days;
    std::vector<std::string> expired;
    scan_prefix(txn, prefix, [&](std::string_view key, std::string_view) {
      if (day_of_key(key) >= oldest_kept) return false;  // in day order: the rest is younger
      expired.emplace_back(key);
      return true;
    });
    for (const auto& key : expired) txn.del(key);
  }

  bool add_daily_counts(const std::vector<DayCounts>& days) override {
    if (days.empty()) return true;
    try {
      Txn txn(env_, dbi_, true);
      const std::string prefix = make_key(key_meta, "daily:");
      for (const auto& day : days) {
        std::string key = prefix + day_key(day.day);
        DayCounts stored = decode_day(day.day, txn.get(key).value_or(std::string_view{}));
        for (std::size_t i = 0; i < daily_event_count; ++i) stored.counts[i] += day.counts[i];
        txn.put(key, encode_day(stored));
      }
      expire_days(txn, prefix);
      txn.commit();
      return true;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return false;
    }
  }

  std::vector<DayCounts> daily_counts(std::int64_t first_day, std::int64_t last_day) override {
    std::vector<DayCounts> out;
    try {
      Txn txn(env_, dbi_, false);
      const std::string prefix = make_key(key_meta, "daily:");
      MDB_cursor* cursor = nullptr;
      check(mdb_cursor_open(txn.raw(), dbi_, &cursor), "open cursor");
      std::string start = prefix + day_key(first_day);
      MDB_val k = as_val(start);
      MDB_val v{};
      for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        auto key = as_view(k);
        if (!key.starts_with(prefix) || day_of_key(key) > last_day) break;
        out.push_back(decode_day(day_of_key(key), as_view(v)));
      }
      mdb_cursor_close(cursor);
    } catch (const std::exception& error) {
      note_failure(error.what());
      out.clear();
    }
    return out;
  }

  bool add_targets(const std::vector<DayTargets>& days) override {
    if (days.empty()) return true;
    try {
      Txn txn(env_, dbi_, true);
      const std::string prefix = make_key(key_meta, "targets:");
      for (const auto& day : days) {
        std::string key = prefix + day_key(day.day);
        auto stored = decode_targets(txn.get(key).value_or(std::string_view{}));
        std::vector<std::pair<std::uint64_t, std::uint64_t>> more;
        for (const auto& [recipient, count] : day.recipients) {
          more.emplace_back(hasher_.hash(HashKind::recipient, normalise_address(recipient)), count);
        }
        merge_targets(stored, more);
        txn.put(key, encode_targets(stored));
      }
      expire_days(txn, prefix);
      txn.commit();
      return true;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return false;
    }
  }

  std::optional<std::vector<TopEntry>> most_targeted(std::int64_t first_day, std::int64_t last_day,
                                                     std::size_t n) override {
    try {
      Txn txn(env_, dbi_, false);
      const std::string prefix = make_key(key_meta, "targets:");
      std::vector<std::pair<std::uint64_t, std::uint64_t>> total;
      for (std::int64_t day = first_day; day <= last_day; ++day) {
        if (auto value = txn.get(prefix + day_key(day))) merge_targets(total, decode_targets(*value));
      }
      std::vector<TopEntry> out;
      for (std::size_t i = 0; i < total.size() && i < n; ++i) out.push_back({to_hex(total[i].first), total[i].second});
      return out;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return std::nullopt;
    }
  }
  // --- end of daily counts ---

  std::optional<AdminDecisions> export_decisions() override {
    try {
      Txn txn(env_, dbi_, false);
      AdminDecisions out;
      std::map<std::uint32_t, std::size_t> campaign_entries;  // campaign id -> index in out.allows
      scan_prefix(txn, std::string(1, key_allow), [&](std::string_view key, std::string_view value) {
        AllowDecision decision{std::string(key.substr(1)), from_seconds(decode_u32(value)), {}, {}};
        if (decision.entry.starts_with(campaign_entry_prefix)) {
          auto id = static_cast<std::uint32_t>(
              std::strtoul(decision.entry.c_str() + campaign_entry_prefix.size(), nullptr, 16));
          bool found = false;
          auto record = load<CampaignRecord>(txn, make_campaign_key(id), windows_.bucket_seconds, &found);
          if (found) {
            decision.campaign_brand = record.brand;
            campaign_entries[id] = out.allows.size();
          }
        }
        out.allows.push_back(std::move(decision));
        return true;
      });
      if (!campaign_entries.empty()) {
        scan_prefix(txn, std::string(1, key_sender), [&](std::string_view key, std::string_view value) {
          auto it = campaign_entries.find(OwnerRecord::decode(value, windows_.bucket_seconds).campaign);
          if (it != campaign_entries.end()) out.allows[it->second].campaign_mailboxes.emplace_back(key.substr(1));
          return true;
        });
      }
      scan_prefix(txn, std::string(1, key_feedback), [&](std::string_view key, std::string_view value) {
        auto record = FeedbackRecord::decode(value);
        out.marks.push_back({std::string(key.substr(1)), record.ham, record.outreach, from_seconds(record.touched)});
        return true;
      });
      return out;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return std::nullopt;
    }
  }

  bool import_decisions(const AdminDecisions& decisions) override {
    try {
      Txn txn(env_, dbi_, true);
      auto add_entry = [&](const std::string& entry, TimePoint added) {
        std::string key = make_key(key_allow, entry);
        if (!txn.get(key)) txn.put(key, encode_u32(to_seconds(added)));
      };
      for (const auto& allow : decisions.allows) {
        add_entry(allow.entry, allow.added);
        for (const auto& mailbox : allow.campaign_mailboxes) add_entry(normalise_address(mailbox), allow.added);
      }
      for (const auto& mark : decisions.marks) {
        std::string key = make_key(key_feedback, mark.subject);
        auto record = FeedbackRecord::decode(txn.get(key).value_or(std::string_view{}));
        record.touched = std::max(record.touched, to_seconds(mark.touched));
        record.ham = std::max(record.ham, mark.ham);
        record.outreach = std::max(record.outreach, mark.outreach);
        txn.put(key, record.encode());
      }
      txn.commit();
      note_success();
      return true;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return false;
    }
  }

  bool copy_to(const std::string& path, std::string& error) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      error = "cannot create " + path + ": " + std::strerror(errno);
      return false;
    }
    // Compaction copies only live pages, from one read transaction: the copy
    // is consistent while the daemon goes on writing.
    int rc = mdb_env_copyfd2(env_, fd, MDB_CP_COMPACT);
    if (rc == 0 && ::fsync(fd) != 0) rc = errno;
    ::close(fd);
    if (rc != 0) {
      error = "cannot copy the store to " + path + ": " + mdb_strerror(rc);
      ::unlink(path.c_str());
      return false;
    }
    return true;
  }

 private:
  // An admin decision was written: the snapshot follows it.
  bool decided(bool ok) {
    if (ok) refresh_decision_snapshot(*this, clock_->now());
    return ok;
  }

  FeedbackFacts read_feedback(Txn& txn, const Observation& observation, const History& history) {
    FeedbackFacts facts;
    auto subjects = feedback_subjects(normalise_address(observation.sender), history.cluster.known,
                                      static_cast<std::uint32_t>(history.cluster.id & 0xffffffffu), history.campaign.id);
    if (!subjects.template_subject.empty()) {
      auto record = FeedbackRecord::decode(txn.get(make_key(key_feedback, subjects.template_subject)).value_or(""));
      facts.template_ham = record.ham;
      facts.template_outreach = record.outreach;
    }
    if (!subjects.sender_subject.empty()) {
      auto record = FeedbackRecord::decode(txn.get(make_key(key_feedback, subjects.sender_subject)).value_or(""));
      facts.sender_ham = record.ham;
      facts.sender_outreach = record.outreach;
    }
    if (!subjects.campaign_subject.empty()) {
      auto record = FeedbackRecord::decode(txn.get(make_key(key_feedback, subjects.campaign_subject)).value_or(""));
      facts.sender_ham = std::max(facts.sender_ham, record.ham);
      facts.sender_outreach = std::max(facts.sender_outreach, record.outreach);
    }
    return facts;
  }

  void open_env() {
    std::filesystem::create_directories(settings_.state_dir);
    check(mdb_env_create(&env_), "create environment");
    check(mdb_env_set_mapsize(env_, settings_.lmdb_map_size), "set map size");
    check(mdb_env_set_maxreaders(env_, 512), "set readers");
    // MDB_NOTLS: read transactions are not bound to a thread (libmilter moves
    // a connection between workers).
    unsigned flags = MDB_NOTLS;
    if (settings_.durability == Durability::periodic) flags |= MDB_NOSYNC;
    int rc = mdb_env_open(env_, settings_.state_dir.c_str(), flags, 0600);
    if (rc == EROFS || rc == EACCES) {
      // A store that cannot be written (a read-only file system, a directory
      // that is not ours) is still read: mail passes uncounted, logged once
      // here, and every failed write is counted in the metrics.
      mdb_env_close(env_);
      check(mdb_env_create(&env_), "create environment");
      check(mdb_env_set_mapsize(env_, settings_.lmdb_map_size), "set map size");
      check(mdb_env_set_maxreaders(env_, 512), "set readers");
      if (mdb_env_open(env_, settings_.state_dir.c_str(), flags | MDB_RDONLY, 0600) == 0) {
        read_only_ = true;
        failing_ = true;
        spdlog::error("state store {}: cannot write ({}), opened read-only; mail passes uncounted", settings_.state_dir,
                      mdb_strerror(rc));
      }
    }
    if (rc != 0 && !read_only_) {
      mdb_env_close(env_);
      env_ = nullptr;
      check(rc, "open environment");
    }
    int dead = 0;
    if (!read_only_) mdb_reader_check(env_, &dead);  // slots left by a killed process
    Txn txn(env_, 0, !read_only_);
    check(mdb_dbi_open(txn.raw(), nullptr, 0, &dbi_), "open database");
    std::string version_key = make_key(key_meta, "format");
    MDB_val k = as_val(version_key);
    MDB_val v{};
    rc = mdb_get(txn.raw(), dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) {
      MDB_val value = as_val(format_version);
      check(mdb_put(txn.raw(), dbi_, &k, &value, 0), "write format");
    } else {
      check(rc, "read format");
      if (as_view(v) != format_version) {
        throw std::runtime_error(fmt::format("state store {} has record format {}, this version reads only format {}; "
                                             "move the directory away to start afresh (counts start from zero)",
                                             settings_.state_dir, as_view(v), format_version));
      }
    }
    // Records keep their buckets relative to each other: another width
    // would misread them.
    std::string width_key = make_key(key_meta, "bucket_seconds");
    std::string width = std::to_string(windows_.bucket_seconds);
    k = as_val(width_key);
    rc = mdb_get(txn.raw(), dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) {
      MDB_val value = as_val(width);
      check(mdb_put(txn.raw(), dbi_, &k, &value, 0), "write bucket width");
    } else {
      check(rc, "read bucket width");
      if (as_view(v) != width) {
        throw std::runtime_error(fmt::format("state store {} was written with {} s buckets, the settings say {} s; "
                                             "move it away to start afresh",
                                             settings_.state_dir, as_view(v), width));
      }
    }
    txn.commit();
  }

  std::uint64_t domain_id(const std::string& address) const {
    return hasher_.hash(HashKind::sender, "@" + domain_of(address));
  }

  bool is_allowed(Txn& txn, const std::string& sender) {
    return txn.get(make_key(key_allow, sender)).has_value() || txn.get(make_key(key_allow, domain_of(sender))).has_value();
  }

  // The campaign named by one of its addresses or its brand; 0 when none.
  std::uint32_t find_campaign(Txn& txn, std::string_view address_or_brand) {
    std::uint32_t campaign = 0;
    if (address_or_brand.find('@') != std::string_view::npos) {
      campaign = load<OwnerRecord>(txn, make_key(key_sender, normalise_address(address_or_brand)), windows_.bucket_seconds).campaign;
    } else {
      campaign = evidence_campaign(txn, scoring::EvidenceKind::brand, address_or_brand);
    }
    return campaign != 0 && txn.get(make_campaign_key(campaign)) ? campaign : 0;
  }

  bool write_allow(std::string_view raw_entry, bool add) {
    try {
      Txn txn(env_, dbi_, true);
      std::string entry;
      if (raw_entry.starts_with(campaign_entry_prefix)) {
        std::uint32_t campaign = find_campaign(txn, raw_entry.substr(campaign_entry_prefix.size()));
        if (campaign == 0) return false;
        entry = campaign_allow_entry(campaign);
      } else {
        entry = raw_entry.find('@') == std::string_view::npos ? domain_of("@" + std::string(raw_entry))
                                                               : normalise_address(raw_entry);
      }
      if (add) {
        txn.put(make_key(key_allow, entry), encode_u32(to_seconds(clock_->now())));
      } else {
        txn.del(make_key(key_allow, entry));
      }
      txn.commit();
      return true;
    } catch (const std::exception& error) {
      note_failure(error.what());
      return false;
    }
  }

  // Why the campaign's mailboxes joined it: the count per reason and the latest joins.
  std::pair<std::vector<CampaignLinkCount>, std::vector<CampaignJoin>> load_links(Txn& txn, std::uint32_t campaign) {
    std::pair<std::vector<CampaignLinkCount>, std::vector<CampaignJoin>> out;
    auto bytes = txn.get(make_campaign_links_key(campaign));
    if (!bytes) return out;
    CampaignLinksRecord record = CampaignLinksRecord::decode(*bytes);
    for (auto& [reason, joins] : record.reasons) out.first.push_back({std::move(reason), joins});
    for (auto& join : record.joins) out.second.push_back({std::move(join.mailbox), std::move(join.linked_by), from_seconds(join.when)});
    return out;
  }

  CampaignReport campaign_report(Txn& txn, std::uint32_t campaign, Bucket now) {
    CampaignReport out;
    bool found = false;
    CampaignRecord record = load<CampaignRecord>(txn, make_campaign_key(campaign), windows_.bucket_seconds, &found);
    if (!found) return out;
    out.known = true;
    out.id = campaign;
    out.brand = record.brand;
    out.mailbox_count = static_cast<std::uint32_t>(record.mailboxes.size());
    out.domain_count = static_cast<std::uint32_t>(record.domains.size());
    out.counts = {windows_.sums(record.messages, now), windows_.sums(record.members, now)};
    out.first_seen = from_seconds(record.first_seen);
    out.last_seen = from_seconds(record.touched);
    std::tie(out.links, out.joins) = load_links(txn, campaign);
    scan_prefix(txn, std::string(1, key_sender), [&](std::string_view key, std::string_view value) {
      if (OwnerRecord::decode(value, windows_.bucket_seconds).campaign == campaign) out.mailboxes.emplace_back(key.substr(1));
      return true;
    });
    std::string campaign_key = make_campaign_key(campaign);
    scan_prefix(txn, make_key(key_campaign_pair, campaign_key.substr(1)), [&](std::string_view, std::string_view value) {
      out.longest_streak = std::max(out.longest_streak, CampaignPairRecord::decode(value, windows_.bucket_seconds).pair.streak);
      return true;
    });
    // Recipients only the first mailbox wrote to have no campaign pair.
    scan_prefix(txn, make_pair_prefix(record.primary_domain), [&](std::string_view key, std::string_view value) {
      if (pair_key_sender(key) == short_sender(record.primary_sender)) {
        out.longest_streak = std::max(out.longest_streak, PairRecord::decode(value, windows_.bucket_seconds).streak);
      }
      return true;
    });
    return out;
  }

  TemplateReport template_report(std::uint32_t id, const TemplateRecord& record, Bucket now) const {
    TemplateReport out;
    out.id = id;
    out.messages_total = static_cast<std::uint32_t>(record.total);
    out.counts = {windows_.sums(record.messages, now), windows_.sums(record.recipients, now)};
    out.senders = windows_.sums(record.senders, now);
    out.saturated = record.recipients.total() >= settings_.distinct_cap || record.senders.total() >= settings_.distinct_cap;
    out.first_seen = from_seconds(record.first_seen);
    out.last_seen = from_seconds(record.touched);
    return out;
  }

  struct Cluster {
    bool known = false;
    std::uint32_t id = 0;
    double similarity = 0;
    bool created = false;
    TemplateRecord record;
  };

  // The cluster whose first member is most similar to `fp` among those that
  // share an LSH band with it, or a new one (when `write`).
  Cluster find_cluster(Txn& txn, const scoring::Fingerprint& fp, std::uint32_t now, bool write) {
    Cluster best;
    if (fp.empty) return best;
    std::array<std::uint32_t, scoring::lsh_bands> band_cluster{};  // 0: no entry
    std::vector<std::uint32_t> candidates;
    std::vector<std::uint32_t> live;  // candidates whose cluster is still there, with this algorithm
    for (std::size_t band = 0; band < scoring::lsh_bands; ++band) {
      auto value = txn.get(make_band_key(fp.algorithm, band, fp.band_keys[band]));
      if (!value) continue;
      band_cluster[band] = decode_u32(*value);
      if (std::find(candidates.begin(), candidates.end(), band_cluster[band]) == candidates.end()) {
        candidates.push_back(band_cluster[band]);
      }
    }
    for (auto id : candidates) {
      bool found = false;
      TemplateRecord record = load<TemplateRecord>(txn, make_template_key(id), windows_.bucket_seconds, &found);
      if (!found || record.algorithm != fp.algorithm) continue;
      live.push_back(id);
      // The estimated Jaccard similarity over the bits a template keeps.
      std::size_t equal = 0;
      for (std::size_t i = 0; i < scoring::minhash_size; ++i) {
        equal += (fp.minhash[i] & template_minhash_mask) == record.minhash[i] ? 1U : 0U;
      }
      double similarity = static_cast<double>(equal) / static_cast<double>(scoring::minhash_size);
      if (similarity >= settings_.template_similarity && similarity > best.similarity) {
        best = {true, id, similarity, false, std::move(record)};
      }
    }
    if (!best.known) {
      if (!write) return best;
      auto id = static_cast<std::uint32_t>(fp.skeleton_hash ^ (fp.skeleton_hash >> 32));
      while (id == 0 || txn.get(make_template_key(id))) ++id;  // ids stay unique
      best.known = true;
      best.created = true;
      best.id = id;
      best.similarity = 1;
      best.record.first_seen = now;
      best.record.algorithm = fp.algorithm;
      for (std::size_t i = 0; i < scoring::minhash_size; ++i) best.record.minhash[i] = fp.minhash[i] & template_minhash_mask;
    }
    if (write && best.created) {
      // A new cluster's bands point at it where no live cluster holds the
      // band; a band lives as long as its cluster (the sweep removes the
      // others). Members that join do not add bands: similarity is measured
      // to the first member.
      for (std::size_t band = 0; band < scoring::lsh_bands; ++band) {
        bool taken = band_cluster[band] != 0 && std::find(live.begin(), live.end(), band_cluster[band]) != live.end();
        if (!taken) txn.put(make_band_key(fp.algorithm, band, fp.band_keys[band]), encode_u32(best.id));
      }
    }
    return best;
  }

  // ---- Campaigns -----------------------------------------------------------

  std::string evidence_key(scoring::EvidenceKind kind, std::string_view value) const {
    auto kind_char = static_cast<char>(kind);
    return make_evidence_key(kind_char, hasher_.hash(HashKind::evidence, std::string_view(&kind_char, 1), value));
  }

  // Our user wrote to an address of this organisation (brand): a dialogue
  // with every campaign of it, whichever colleague or mailbox writes.
  std::string organisation_key(std::string_view brand, std::uint64_t recipient_id) const {
    return make_organisation_key(hasher_.hash(HashKind::evidence, "o", brand), recipient_id);
  }

  std::uint32_t organisation_reply(Txn& txn, std::string_view brand, std::uint64_t recipient_id, std::uint32_t now) {
    if (brand.empty()) return 0;
    auto bytes = txn.get(organisation_key(brand, recipient_id));
    if (!bytes) return 0;
    std::uint32_t replied = decode_u32(*bytes);
    return within(std::max(now, replied), replied, settings_.retention) ? replied : 0;
  }

  // The live campaigns a piece of evidence points at, most recent first;
  // none when so many share it that it is infrastructure.
  std::vector<std::uint32_t> evidence_campaigns(Txn& txn, scoring::EvidenceKind kind, std::string_view value) {
    std::vector<std::uint32_t> live;
    auto bytes = txn.get(evidence_key(kind, value));
    if (!bytes) return live;
    EvidenceRecord record = EvidenceRecord::decode(*bytes);
    std::uint32_t now = to_seconds(clock_->now());
    if (!within(std::max(now, record.touched), record.touched, settings_.retention)) return live;
    for (auto id : record.campaigns) {
      if (txn.get(make_campaign_key(id))) live.push_back(id);
    }
    if (live.size() >= shared_evidence_campaigns) live.clear();
    return live;
  }

  std::uint32_t evidence_campaign(Txn& txn, scoring::EvidenceKind kind, std::string_view value) {
    auto live = evidence_campaigns(txn, kind, value);
    return live.empty() ? 0 : live.front();
  }

  bool is_campaign_allowed(Txn& txn, std::uint32_t campaign) {
    return campaign != 0 && txn.get(make_key(key_allow, campaign_allow_entry(campaign))).has_value();
  }

  static std::string campaign_allow_entry(std::uint32_t campaign) { return fmt::format("campaign:{:08x}", campaign); }

  // One recipient's view of a campaign: its campaign pair when there is one,
  // else the first mailbox's pair (all there is while it writes alone, and
  // where a second mailbox starts from). `primary_pair`: that pair when the
  // caller has it loaded already.
  CampaignPairRecord campaign_view(Txn& txn, std::uint32_t campaign, const CampaignRecord& record,
                                   std::uint64_t recipient_id, bool* stored = nullptr,
                                   const PairRecord* primary_pair = nullptr) {
    bool found = false;
    CampaignPairRecord view = load<CampaignPairRecord>(txn, make_campaign_pair_key(campaign, recipient_id),
                                                       windows_.bucket_seconds, &found);
    if (stored) *stored = found;
    if (found) return view;
    view.pair = primary_pair ? *primary_pair
                             : load<PairRecord>(txn, make_pair_key(record.primary_domain, recipient_id, record.primary_sender),
                                                windows_.bucket_seconds);
    if (view.pair.total > 0) view.senders.push_back(short_sender(record.primary_sender));
    return view;
  }

  struct Campaign {
    std::uint32_t id = 0;
    CampaignRecord record;
    bool created = false;
    bool joined = false;
    std::string linked_by;
    bool multi() const { return record.mailboxes.size() >= 2; }
  };

  // The campaign of the sender: the one it was linked to before, or the one
  // its evidence links it to now (campaign_link.hpp), or a new one.
  Campaign resolve_campaign(Txn& txn, const Observation& observation, const OwnerRecord& sender_record,
                            std::uint64_t sender_id, std::uint64_t domain_key, const Cluster& cluster,
                            const std::vector<std::uint64_t>& recipient_ids, std::uint32_t now) {
    Campaign campaign;
    if (sender_record.campaign != 0) {
      bool found = false;
      campaign.record = load<CampaignRecord>(txn, make_campaign_key(sender_record.campaign), windows_.bucket_seconds, &found);
      if (found) {
        campaign.id = sender_record.campaign;
        campaign.linked_by = "known mailbox";
        return campaign;
      }
    }
    std::vector<LinkCandidate> candidates;
    for (const auto& item : observation.campaign.items) {
      for (auto id : evidence_campaigns(txn, item.kind, item.value)) note_evidence(candidates, id, item.kind);
    }
    // A lookalike brand one edit away: the campaign's brand is one of this
    // brand's variants, or they share one (brand_variants()).
    // A shared variant is checked against the campaign's own brand: two
    // letters moved also share one.
    const std::string& brand = observation.campaign.sender.brand;
    auto lookalike = [&](std::uint32_t id) {
      if (id == 0) return;
      CampaignRecord record = load<CampaignRecord>(txn, make_campaign_key(id), windows_.bucket_seconds);
      if (record.brand != brand && scoring::lookalike_brands(record.brand, brand)) {
        note_evidence(candidates, id, scoring::EvidenceKind::brand_variant);
      }
    };
    // Only when the brand itself is new: a known brand already names its campaigns.
    const bool brand_known = std::any_of(candidates.begin(), candidates.end(), [](const LinkCandidate& c) {
      return std::find(c.kinds.begin(), c.kinds.end(), scoring::EvidenceKind::brand) != c.kinds.end();
    });
    std::vector<std::string> variants = brand_known ? std::vector<std::string>{} : brand_variants(brand);
    for (const auto& variant : variants) {
      for (auto id : evidence_campaigns(txn, scoring::EvidenceKind::brand, variant)) lookalike(id);
      for (auto id : evidence_campaigns(txn, scoring::EvidenceKind::brand_variant, variant)) lookalike(id);
    }
    if (!variants.empty()) {
      for (auto id : evidence_campaigns(txn, scoring::EvidenceKind::brand_variant, brand)) lookalike(id);
    }
    // Lineage: this recipient already got the quoted step (which links
    // alone) or this very template (one family) from the campaign.
    auto check_lineage = [&](std::uint32_t cluster_id, std::uint32_t owner, bool quoted) {
      if (owner == 0 || cluster_id == 0) return;
      bool found = false;
      CampaignRecord record = load<CampaignRecord>(txn, make_campaign_key(owner), windows_.bucket_seconds, &found);
      if (!found) return;
      for (auto recipient_id : recipient_ids) {
        CampaignPairRecord view = campaign_view(txn, owner, record, recipient_id);
        auto& sent = view.pair.templates;
        if (std::any_of(sent.begin(), sent.end(), [&](const auto& entry) { return entry.first == cluster_id; })) {
          if (quoted) {
            note_lineage(candidates, owner);
          } else {
            note_evidence(candidates, owner, scoring::EvidenceKind::same_template);
          }
          return;
        }
      }
    };
    if (cluster.known && !cluster.created) check_lineage(cluster.id, cluster.record.campaign, false);
    if (!observation.quoted_fingerprint.empty) {
      Cluster quoted = find_cluster(txn, observation.quoted_fingerprint, now, false);
      if (quoted.known) check_lineage(quoted.id, quoted.record.campaign, true);
    }
    LinkDecision decision = choose_campaign(candidates);
    if (decision.campaign != 0) {
      bool found = false;
      campaign.record = load<CampaignRecord>(txn, make_campaign_key(decision.campaign), windows_.bucket_seconds, &found);
      if (found) {
        campaign.id = decision.campaign;
        campaign.joined = true;
        campaign.linked_by = decision.linked_by;
        return campaign;
      }
    }
    auto id = short_sender(sender_id);
    while (id == 0 || txn.get(make_campaign_key(id))) ++id;  // ids stay unique
    campaign.id = id;
    campaign.created = true;
    campaign.linked_by = "new";
    campaign.record = CampaignRecord{};
    campaign.record.first_seen = now;
    campaign.record.primary_domain = domain_key;
    campaign.record.primary_sender = sender_id;
    campaign.record.brand = observation.campaign.sender.brand;
    return campaign;
  }

  // The campaign claims the evidence nobody holds (or whose holder is gone);
  // evidence another live campaign holds stays with it.
  void register_evidence(Txn& txn, const Observation& observation, std::uint32_t campaign, std::uint32_t now,
                         bool new_campaign) {
    std::vector<scoring::EvidenceItem> items = observation.campaign.items;
    if (new_campaign) {
      // The brand's variants, for lookalikes to come: once per campaign.
      for (auto& variant : brand_variants(observation.campaign.sender.brand)) {
        items.push_back({scoring::EvidenceKind::brand_variant, std::move(variant)});
      }
    }
    for (const auto& item : items) {
      std::string key = evidence_key(item.kind, item.value);
      auto bytes = txn.get(key);
      EvidenceRecord held;
      if (bytes) held = EvidenceRecord::decode(*bytes);
      const bool fresh = within(std::max(now, held.touched), held.touched, settings_.retention);
      auto& ids = held.campaigns;
      if (!fresh) ids.clear();
      bool listed = std::find(ids.begin(), ids.end(), campaign) != ids.end();
      // Touched at most daily: evidence is read at every message.
      if (listed && now < held.touched + 86400) continue;
      std::erase_if(ids, [&](std::uint32_t id) { return id == campaign || !txn.get(make_campaign_key(id)); });
      ids.insert(ids.begin(), campaign);
      if (ids.size() > evidence_campaigns_kept) ids.resize(evidence_campaigns_kept);
      held.touched = now;
      txn.put(key, held.encode());
    }
  }

  CampaignFacts campaign_facts(const Campaign& campaign, Bucket now) const {
    CampaignFacts facts;
    facts.known = campaign.id != 0;
    facts.id = campaign.id;
    facts.brand = campaign.record.brand;
    facts.joined = campaign.joined;
    facts.linked_by = campaign.linked_by;
    facts.mailboxes = static_cast<std::uint32_t>(campaign.record.mailboxes.size());
    facts.domains = static_cast<std::uint32_t>(campaign.record.domains.size());
    facts.counts = {windows_.sums(campaign.record.messages, now), windows_.sums(campaign.record.members, now)};
    return facts;
  }

  // One more inbound message on a pair (an address's or a campaign's).
  void count_message(PairRecord& p, std::uint32_t now, Bucket bucket, std::uint16_t tag) const {
    if (p.first_seen == 0) p.first_seen = now;
    p.last_seen = std::max(p.last_seen, now);
    p.touched = std::max(p.touched, now);
    ++p.total;
    ++p.streak;
    p.last_tag = tag;
    p.messages.add(bucket, 1);
    p.messages.prune(bucket, windows_.longest);
  }

  // Counts one inbound message in a campaign's view of a recipient; returns
  // whether an earlier, different template went to the recipient.
  bool add_to_view(CampaignPairRecord& view, std::uint32_t sender, std::uint32_t now, Bucket bucket, std::uint16_t tag,
                   const Cluster& cluster) {
    PairRecord& p = view.pair;
    count_message(p, now, bucket, tag);
    if (std::find(view.senders.begin(), view.senders.end(), sender) == view.senders.end() &&
        view.senders.size() < campaign_pair_senders_kept) {
      view.senders.push_back(sender);
    }
    if (!cluster.known) return false;
    bool follows = std::any_of(p.templates.begin(), p.templates.end(), [&](const auto& sent) { return sent.first != cluster.id; });
    auto entry = std::find_if(p.templates.begin(), p.templates.end(), [&](const auto& sent) { return sent.first == cluster.id; });
    if (entry != p.templates.end()) {
      entry->second = std::max(entry->second, now);
    } else {
      ++p.steps;
      p.templates.emplace_back(cluster.id, now);
      if (p.templates.size() > settings_.pair_templates) p.templates.erase(p.templates.begin());
    }
    return follows;
  }

  // Adds one member to a capped distinct count: returns false when the member
  // is new and the cap is reached.
  bool count_member(Txn& txn, Series& members, char kind, std::uint32_t owner, std::uint64_t member,
                    std::uint32_t now) {
    std::string key = make_member_key(kind, owner, member);
    auto value = txn.get(key);
    std::uint32_t previous = value ? decode_u32(*value) : 0;
    if (previous == 0 && members.total() >= settings_.distinct_cap) return false;
    move_member(members, windows_, previous, now);
    if (previous < now) txn.put(key, encode_u32(now));
    return true;
  }

  History observe_inbound(Txn& txn, const Observation& observation, std::uint32_t now) {
    History history;
    history.direction = Direction::inbound;
    history.windows = settings_.windows;
    const Bucket bucket = windows_.bucket_of(now);
    const std::string sender = normalise_address(observation.sender);
    const std::string domain = domain_of(sender);
    const std::uint64_t sender_id = hasher_.hash(HashKind::sender, sender);
    const std::uint64_t domain_key = domain_id(sender);
    const auto& fp = observation.fingerprint;
    history.allowlisted = is_allowed(txn, sender);

    // The same delivery again: by Message-ID, else by the exact text. Each
    // pair remembers the tag of its last message (a retry after a tempfail,
    // a second MX); the sender remembers its latest tags (a message whose
    // recipients came in several deliveries counts once for the sender).
    std::string dedup_text = !observation.message_id.empty() ? "id:" + observation.message_id
                             : !fp.empty                     ? "text:" + to_hex(fp.skeleton_hash)
                                                             : std::string{};
    std::uint32_t tag = 0;
    if (!dedup_text.empty()) tag = static_cast<std::uint32_t>(hasher_.hash(HashKind::dedup, sender, dedup_text)) | 1;
    const std::uint16_t pair_tag = short_tag(tag);
    OwnerRecord sender_record = load<OwnerRecord>(txn, make_key(key_sender, sender), windows_.bucket_seconds);
    const bool message_duplicate =
        tag != 0 && std::any_of(sender_record.recent_tags.begin(), sender_record.recent_tags.end(), [&](const auto& seen) {
          return seen.first == tag && within(now, seen.second, settings_.dedup_window);
        });
    // A pair keeps only 16 bits of its last tag. When a recent message of the
    // sender other than this one has those 16 bits, a match on the pair is
    // that message, not a retry of this one.
    const bool short_tag_is_another_message =
        !message_duplicate && pair_tag != 0 &&
        std::any_of(sender_record.recent_tags.begin(), sender_record.recent_tags.end(), [&](const auto& seen) {
          return seen.first != tag && short_tag(seen.first) == pair_tag;
        });

    for (const auto* ids : {&observation.in_reply_to, &observation.references}) {
      for (const auto& id : *ids) {
        history.cites_ids = true;
        if (!history.answers_our_message && txn.get(make_key(key_sent_id, hasher_.hash(HashKind::message_id, id)))) {
          history.answers_our_message = true;
        }
      }
    }

    Cluster cluster = find_cluster(txn, fp, now, !message_duplicate);
    OwnerRecord domain_record = load<OwnerRecord>(txn, make_key(key_domain, domain), windows_.bucket_seconds);
    bool any_pair_counted = false;
    std::vector<std::string> seen_recipients;

    std::vector<std::uint64_t> recipient_ids;
    for (const auto& raw : observation.recipients) recipient_ids.push_back(hasher_.hash(HashKind::recipient, normalise_address(raw)));
    Campaign campaign = resolve_campaign(txn, observation, sender_record, sender_id, domain_key, cluster, recipient_ids, now);
    history.allowlisted = history.allowlisted || is_campaign_allowed(txn, campaign.id);
    for (auto [list, member, cap] : {std::tuple{&campaign.record.mailboxes, short_sender(sender_id), campaign_mailboxes_kept},
                                     std::tuple{&campaign.record.domains, short_sender(domain_key), campaign_domains_kept}}) {
      if (std::find(list->begin(), list->end(), member) == list->end() && list->size() < cap) list->push_back(member);
    }

    const bool sender_is_primary = campaign.record.primary_sender == sender_id && campaign.record.primary_domain == domain_key;
    for (std::size_t index = 0; index < observation.recipients.size(); ++index) {
      const std::string& raw = observation.recipients[index];
      std::string recipient = normalise_address(raw);
      if (auto earlier = std::find(seen_recipients.begin(), seen_recipients.end(), recipient);
          earlier != seen_recipients.end()) {
        PairFacts facts = history.pairs[static_cast<std::size_t>(earlier - seen_recipients.begin())];
        facts.recipient = raw;
        facts.duplicate = true;
        history.pairs.push_back(std::move(facts));
        seen_recipients.push_back(recipient);
        continue;
      }
      seen_recipients.push_back(recipient);
      const std::uint64_t recipient_id = recipient_ids[index];
      const std::string key = make_pair_key(domain_key, recipient_id, sender_id);
      PairRecord pair = load<PairRecord>(txn, key, windows_.bucket_seconds);
      // The campaign's view of the recipient, read before this message
      // changes the pair: it is kept apart once a second mailbox writes.
      bool view_stored = false;
      CampaignPairRecord view =
          campaign_view(txn, campaign.id, campaign.record, recipient_id, &view_stored, sender_is_primary ? &pair : nullptr);
      const bool use_view = view_stored || campaign.multi();
      bool view_follows = false;
      PairFacts facts;
      facts.recipient = raw;
      facts.duplicate = pair_tag != 0 && pair.last_tag == pair_tag && !short_tag_is_another_message &&
                        within(now, pair.last_seen, settings_.dedup_window);
      facts.previous_seen = from_seconds(pair.last_seen);
      if (!facts.duplicate) {
        any_pair_counted = true;
        move_member(sender_record.members, windows_, pair.last_seen, now);
        // The domain reached this recipient last when any of its senders did.
        std::uint32_t domain_previous = 0;
        scan_prefix(txn, make_pair_prefix(domain_key, recipient_id), [&](std::string_view, std::string_view value) {
          domain_previous = std::max(domain_previous, PairRecord::decode(value, windows_.bucket_seconds).last_seen);
          return true;
        });
        move_member(domain_record.members, windows_, domain_previous, now);
        move_member(campaign.record.members, windows_, use_view ? view.pair.last_seen : pair.last_seen, now);
        if (use_view) {
          view_follows = add_to_view(view, short_sender(sender_id), now, bucket, pair_tag, cluster);
          txn.put(make_campaign_pair_key(campaign.id, recipient_id), view.encode(windows_.bucket_seconds));
        }
        count_message(pair, now, bucket, pair_tag);
        if (cluster.known) {
          auto entry = std::find_if(pair.templates.begin(), pair.templates.end(),
                                    [&](const auto& sent) { return sent.first == cluster.id; });
          bool repeat = entry != pair.templates.end();
          facts.template_repeat = repeat;
          facts.follows_template = std::any_of(pair.templates.begin(), pair.templates.end(),
                                               [&](const auto& sent) { return sent.first != cluster.id; });
          auto& reach = cluster.record.recipients;
          if (repeat) {
            move_member(reach, windows_, entry->second, now);
            entry->second = std::max(entry->second, now);
          } else {
            ++pair.steps;
            // Beyond the cap the template's reach saturates.
            if (reach.total() < settings_.distinct_cap) move_member(reach, windows_, 0, now);
            pair.templates.emplace_back(cluster.id, now);
            if (pair.templates.size() > settings_.pair_templates) pair.templates.erase(pair.templates.begin());
          }
        }
        txn.put(key, pair.encode(windows_.bucket_seconds));
      } else if (cluster.known) {
        // Facts as the first copy saw them.
        facts.follows_template = std::any_of(pair.templates.begin(), pair.templates.end(),
                                             [&](const auto& sent) { return sent.first != cluster.id; });
        view_follows = std::any_of(view.pair.templates.begin(), view.pair.templates.end(),
                                   [&](const auto& sent) { return sent.first != cluster.id; });
      }
      const PairRecord& seen = use_view ? view.pair : pair;
      facts.campaign_total = seen.total;
      facts.campaign_messages = windows_.sums(seen.messages, bucket);
      facts.campaign_streak = seen.streak;
      facts.campaign_dialogue = seen.dialogue;
      facts.campaign_first_seen = from_seconds(seen.first_seen);
      facts.campaign_last_reply = from_seconds(seen.last_reply);
      facts.campaign_steps = seen.steps;
      facts.campaign_follows_template = use_view ? view_follows : facts.follows_template;
      facts.campaign_senders = use_view ? static_cast<std::uint32_t>(view.senders.size()) : (pair.total > 0 ? 1u : 0u);
      if (auto replied = organisation_reply(txn, observation.campaign.sender.name, recipient_id, now); replied != 0) {
        facts.campaign_dialogue = true;
        facts.campaign_last_reply = from_seconds(std::max(replied, seen.last_reply));
      }
      facts.messages_total = pair.total;
      facts.messages = windows_.sums(pair.messages, bucket);
      facts.streak = pair.streak;
      facts.dialogue = pair.dialogue;
      facts.first_seen = from_seconds(pair.first_seen);
      facts.last_reply = from_seconds(pair.last_reply);
      facts.steps = pair.steps;
      history.pairs.push_back(std::move(facts));
    }

    bool counted = !message_duplicate || any_pair_counted;
    history.outcome = counted ? Outcome::counted : Outcome::duplicate;
    if (counted) {
      for (auto* owner : {&sender_record, &domain_record}) {
        if (!message_duplicate) {
          owner->messages.add(bucket, 1);
          ++owner->total;
        }
        if (owner->first_seen == 0) owner->first_seen = now;
        owner->touched = std::max(owner->touched, now);
        owner->messages.prune(bucket, windows_.longest);
        owner->members.prune(bucket, windows_.longest);
      }
      if (tag != 0 && !message_duplicate) {
        auto& tags = sender_record.recent_tags;
        std::erase_if(tags, [&](const auto& seen) { return seen.first == tag; });
        tags.emplace_back(tag, now);
        if (tags.size() > recent_tags_kept) tags.erase(tags.begin());
      }
      sender_record.campaign = campaign.id;
      txn.put(make_key(key_sender, sender), sender_record.encode(windows_.bucket_seconds));
      txn.put(make_key(key_domain, domain), domain_record.encode(windows_.bucket_seconds));
      auto& campaign_record = campaign.record;
      if (!message_duplicate) {
        campaign_record.messages.add(bucket, 1);
        ++campaign_record.total;
        register_evidence(txn, observation, campaign.id, now, campaign.created);
      }
      if (campaign_record.first_seen == 0) campaign_record.first_seen = now;
      campaign_record.touched = std::max(campaign_record.touched, now);
      campaign_record.messages.prune(bucket, windows_.longest);
      campaign_record.members.prune(bucket, windows_.longest);
      txn.put(make_campaign_key(campaign.id), campaign_record.encode(windows_.bucket_seconds));
      if (campaign.joined) {
        // Once per mailbox: from now on it is a known mailbox of the campaign.
        std::string links_key = make_campaign_links_key(campaign.id);
        auto bytes = txn.get(links_key);
        CampaignLinksRecord links = bytes ? CampaignLinksRecord::decode(*bytes) : CampaignLinksRecord{};
        links.add(now, sender, campaign.linked_by);
        txn.put(links_key, links.encode());
      }
      if (cluster.created) cluster.record.campaign = campaign.id;
      if (cluster.known) {
        auto& record = cluster.record;
        if (!message_duplicate) {
          record.messages.add(bucket, 1);
          ++record.total;
          count_member(txn, record.senders, member_template_sender, cluster.id, sender_id, now);
        }
        if (record.first_seen == 0) record.first_seen = now;
        record.touched = std::max(record.touched, now);
        for (auto* series : {&record.messages, &record.recipients, &record.senders}) series->prune(bucket, windows_.longest);
        txn.put(make_template_key(cluster.id), record.encode(windows_.bucket_seconds));
      }
    }

    history.sender = owner_counts(sender_record, windows_, bucket);
    history.domain = owner_counts(domain_record, windows_, bucket);
    history.campaign = campaign_facts(campaign, bucket);
    if (cluster.known) {
      TemplateReport report = template_report(cluster.id, cluster.record, bucket);
      history.cluster.known = true;
      history.cluster.id = cluster.id;
      history.cluster.new_cluster = cluster.created;
      history.cluster.similarity = cluster.similarity;
      history.cluster.messages_total = report.messages_total;
      history.cluster.counts = report.counts;
      history.cluster.senders = report.senders;
      history.cluster.saturated = report.saturated;
      history.cluster.first_seen = report.first_seen;
      history.cluster.last_seen = report.last_seen;
    }
    return history;
  }

  History observe_outbound(Txn& txn, const Observation& observation, std::uint32_t now) {
    History history;
    history.direction = Direction::outbound;
    history.outcome = Outcome::counted;
    history.windows = settings_.windows;
    const Bucket bucket = windows_.bucket_of(now);
    const std::uint64_t user_id = hasher_.hash(HashKind::recipient, normalise_address(observation.sender));
    if (!observation.message_id.empty()) {
      txn.put(make_key(key_sent_id, hasher_.hash(HashKind::message_id, observation.message_id)), encode_u32(now));
    }
    for (const auto& raw : observation.recipients) {
      std::string external = normalise_address(raw);
      std::string key = make_pair_key(domain_id(external), user_id, hasher_.hash(HashKind::sender, external));
      PairRecord pair = load<PairRecord>(txn, key, windows_.bucket_seconds);
      if (pair.first_seen == 0) pair.first_seen = now;
      pair.touched = std::max(pair.touched, now);
      // A reply older than the sender's last message does not end that streak
      // (replay of an archive out of order).
      if (now >= pair.last_seen) pair.streak = 0;
      pair.last_reply = std::max(pair.last_reply, now);
      pair.dialogue = true;
      txn.put(key, pair.encode(windows_.bucket_seconds));
      PairFacts facts;
      // The campaign the address belongs to, or its organisation's: the reply
      // ends that recipient's streak over all its mailboxes.
      std::size_t index = history.pairs.size();
      const std::string brand = index < observation.recipient_brands.size() ? observation.recipient_brands[index] : std::string();
      const std::string organisation =
          index < observation.recipient_organisations.size() ? observation.recipient_organisations[index] : std::string();
      if (!organisation.empty()) txn.put(organisation_key(organisation, user_id), encode_u32(now));
      OwnerRecord owner = load<OwnerRecord>(txn, make_key(key_sender, external), windows_.bucket_seconds);
      std::uint32_t campaign_id = owner.campaign != 0 ? owner.campaign
                                  : brand.empty() ? 0 : evidence_campaign(txn, scoring::EvidenceKind::brand, brand);
      bool found = false;
      CampaignRecord campaign;
      if (campaign_id != 0) campaign = load<CampaignRecord>(txn, make_campaign_key(campaign_id), windows_.bucket_seconds, &found);
      if (found) {
        bool stored = false;
        CampaignPairRecord view = campaign_view(txn, campaign_id, campaign, user_id, &stored);
        const bool is_primary = campaign.primary_sender == hasher_.hash(HashKind::sender, external);
        if (stored || campaign.mailboxes.size() >= 2 || !is_primary) {
          PairRecord& p = view.pair;
          if (p.first_seen == 0) p.first_seen = now;
          p.touched = std::max(p.touched, now);
          if (now >= p.last_seen) p.streak = 0;
          p.last_reply = std::max(p.last_reply, now);
          p.dialogue = true;
          view.senders.clear();  // the addresses of the streak since this reply
          txn.put(make_campaign_pair_key(campaign_id, user_id), view.encode(windows_.bucket_seconds));
        }
        facts.campaign_streak = view.pair.streak;
        facts.campaign_dialogue = true;
      }
      facts.recipient = raw;
      facts.messages_total = pair.total;
      facts.messages = windows_.sums(pair.messages, bucket);
      facts.streak = pair.streak;
      facts.dialogue = true;
      facts.first_seen = from_seconds(pair.first_seen);
      facts.previous_seen = from_seconds(pair.last_seen);
      facts.last_reply = from_seconds(pair.last_reply);
      facts.steps = pair.steps;
      history.pairs.push_back(std::move(facts));
    }
    return history;
  }

  std::size_t sweep_step() {
    std::lock_guard lock(sweep_mutex_);
    std::uint32_t now = to_seconds(clock_->now());
    Txn txn(env_, dbi_, true);
    MDB_cursor* cursor = nullptr;
    check(mdb_cursor_open(txn.raw(), dbi_, &cursor), "open cursor");
    MDB_val k = as_val(sweep_position_);
    MDB_val v{};
    int rc = mdb_cursor_get(cursor, &k, &v, sweep_position_.empty() ? MDB_FIRST : MDB_SET_RANGE);
    std::size_t examined = 0;
    std::size_t deleted = 0;
    while (rc == 0 && examined < settings_.sweep_batch) {
      auto key = as_view(k);
      std::optional<std::chrono::seconds> limit;
      bool orphan = false;
      switch (key.empty() ? '\0' : key.front()) {
        case key_allow:
        case key_meta:
          break;
        case key_band:  // lives as long as its cluster
          orphan = !txn.get(make_template_key(decode_u32(as_view(v)))).has_value();
          break;
        case key_campaign_links:  // lives as long as its campaign
          orphan = !txn.get(std::string(1, key_campaign) + std::string(key.substr(1, 4))).has_value();
          break;
        case key_sent_id:
          limit = settings_.sent_id_retention;
          break;
        default:
          limit = settings_.retention;
      }
      std::uint32_t touched = limit ? decode_u32(as_view(v)) : 0;
      if (orphan || (limit && now > touched && now - touched > limit->count())) {
        check(mdb_cursor_del(cursor, 0), "delete");
        ++deleted;
      }
      ++examined;
      // After a delete the cursor already stands on the next key: MDB_NEXT
      // returns that key rather than skipping it.
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    sweep_position_ = rc == 0 ? std::string(as_view(k)) : std::string{};
    mdb_cursor_close(cursor);
    if (rc != 0 && rc != MDB_NOTFOUND) check(rc, "sweep");
    txn.commit();
    return deleted;
  }

  void note_failure(const char* what) {
    if (!failing_.exchange(true)) spdlog::error("state store {}: {}; mail passes uncounted", settings_.state_dir, what);
  }

  void note_success() {
    if (failing_.exchange(false)) spdlog::info("state store {}: working again", settings_.state_dir);
  }

  StoreSettings settings_;
  std::shared_ptr<const Clock> clock_;
  KeyedHasher hasher_;
  Windows windows_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  std::mutex sweep_mutex_;
  std::string sweep_position_;  // where the next sweep step starts
  std::atomic<bool> failing_{false};
  bool read_only_ = false;  // opened MDB_RDONLY: the directory cannot be written
};

}  // namespace

std::unique_ptr<Store> open_lmdb_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock,
                                       KeyedHasher hasher) {
  return std::make_unique<LmdbStore>(settings, std::move(clock), std::move(hasher));
}

}  // namespace pushback::state
