// The embedded backend. One write transaction per observed message, so a
// message's counts are all there or none are; LMDB's copy-on-write pages keep
// the file consistent through a kill -9 at any instruction.
#include "state/lmdb_store.hpp"

#include <lmdb.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "state/address.hpp"
#include "state/records.hpp"
#include "state/windows.hpp"

namespace pushback::state {

namespace {

using namespace detail;

// The record layout (state/records.hpp). A store written with another one is
// refused: its counts cannot be read, and the admin decides to start afresh.
inline constexpr std::string_view format_version = "2";
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
  out.recipient = to_hex(recipient_id);
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

  PairSnapshot peek(std::string_view sender_address, std::string_view recipient_address) override {
    PairSnapshot out;
    try {
      Txn txn(env_, dbi_, false);
      std::string sender = normalise_address(sender_address);
      out.allowlisted = is_allowed(txn, sender);
      auto key = make_pair_key(domain_id(sender), hasher_.hash(HashKind::recipient, normalise_address(recipient_address)),
                               hasher_.hash(HashKind::sender, sender));
      PairRecord pair = load<PairRecord>(txn, key, windows_.bucket_seconds, &out.known);
      out.streak = pair.streak;
      out.dialogue = pair.dialogue;
      out.messages_total = pair.total;
      out.last_seen = from_seconds(pair.last_seen);
      out.last_reply = from_seconds(pair.last_reply);
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
      out.allowlisted = is_allowed(txn, out.sender);
      OwnerRecord sender = load<OwnerRecord>(txn, make_key(key_sender, out.sender), windows_.bucket_seconds, &out.known);
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
      scan_prefix(txn, std::string(1, key_template), [&](std::string_view key, std::string_view value) {
        TemplateRecord record = TemplateRecord::decode(value, windows_.bucket_seconds);
        out.templates_by_reach.push_back(
            {to_hex(read_big_endian(key.substr(1))), record.recipients.sum(now, windows_.widths[longest])});
        return true;
      });
      for (auto* list : {&out.senders_by_streak, &out.senders_by_reach, &out.senders_by_volume, &out.templates_by_reach}) {
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

  bool allow(std::string_view entry) override {
    return write_allow(entry, true);
  }

  bool disallow(std::string_view entry) override {
    return write_allow(entry, false);
  }

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
      auto subjects = feedback_subjects(sender, feedback.template_known, feedback.template_id);
      for (const auto& subject : {subjects.template_subject, subjects.sender_subject}) {
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
      if (feedback.kind == FeedbackKind::ham && !sender.empty()) {
        // A release is the recipient's "yes, this is for me": as if they had answered.
        for (const auto& recipient : feedback.recipients) {
          Observation reply;
          reply.direction = Direction::outbound;
          reply.sender = normalise_address(recipient);
          reply.recipients = {sender};
          observe_outbound(txn, reply, now);
        }
      }
      txn.commit();
      note_success();
      return true;
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

 private:
  FeedbackFacts read_feedback(Txn& txn, const Observation& observation, const History& history) {
    FeedbackFacts facts;
    auto subjects = feedback_subjects(normalise_address(observation.sender), history.cluster.known,
                                      static_cast<std::uint32_t>(history.cluster.id & 0xffffffffu));
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

  bool write_allow(std::string_view raw_entry, bool add) {
    try {
      std::string entry = raw_entry.find('@') == std::string_view::npos ? domain_of("@" + std::string(raw_entry))
                                                                         : normalise_address(raw_entry);
      Txn txn(env_, dbi_, true);
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

    for (const auto& raw : observation.recipients) {
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
      const std::uint64_t recipient_id = hasher_.hash(HashKind::recipient, recipient);
      const std::string key = make_pair_key(domain_key, recipient_id, sender_id);
      PairRecord pair = load<PairRecord>(txn, key, windows_.bucket_seconds);
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
        if (pair.first_seen == 0) pair.first_seen = now;
        pair.last_seen = std::max(pair.last_seen, now);
        pair.touched = std::max(pair.touched, now);
        ++pair.total;
        ++pair.streak;
        pair.last_tag = pair_tag;
        pair.messages.add(bucket, 1);
        pair.messages.prune(bucket, windows_.longest);
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
      txn.put(make_key(key_sender, sender), sender_record.encode(windows_.bucket_seconds));
      txn.put(make_key(key_domain, domain), domain_record.encode(windows_.bucket_seconds));
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
