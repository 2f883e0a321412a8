// The Redis backend: a small pool of hiredis connections with connect and
// command timeouts. observe() is one EVALSHA of redis_observe_script. An
// outage is logged once when it starts and once when it ends; in between,
// a reconnect is tried at most every retry interval and every other call
// reports "unavailable" without waiting.
#include "state/redis_store.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "state/address.hpp"
#include "state/campaign_link.hpp"
#include "state/decision_snapshots.hpp"
#include "state/redis_client.hpp"
#include "state/redis_sentinel.hpp"
#include "state/streak_ceilings.hpp"
#include "state/windows.hpp"

namespace pushback::state {

namespace {

using namespace detail;

// A command runner for admin calls that throws on a failed command.
auto checked(redisContext* context) {
  return [context](const std::vector<std::string>& args) {
    Reply reply = command(context, args);
    if (!reply || context->err || reply->type == REDIS_REPLY_ERROR) throw std::runtime_error(error_text(context, reply));
    return reply;
  };
}

std::int64_t integer(const redisReply* reply) {
  if (!reply) return 0;
  if (reply->type == REDIS_REPLY_INTEGER) return reply->integer;
  if (reply->type == REDIS_REPLY_STRING) return std::strtoll(reply->str, nullptr, 10);
  return 0;
}

const redisReply* element(const redisReply* reply, std::size_t index) {
  return reply && reply->type == REDIS_REPLY_ARRAY && index < reply->elements ? reply->element[index] : nullptr;
}

std::vector<std::uint32_t> integers(const redisReply* reply) {
  std::vector<std::uint32_t> out;
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < reply->elements; ++i) out.push_back(static_cast<std::uint32_t>(integer(reply->element[i])));
  return out;
}

// Field -> value of an HGETALL reply.
std::vector<std::pair<std::string, std::string>> fields(const redisReply* reply) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; reply && reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2) {
    out.emplace_back(bulk(reply->element[i]), bulk(reply->element[i + 1]));
  }
  return out;
}

std::string field(const std::vector<std::pair<std::string, std::string>>& all, std::string_view name) {
  for (const auto& [key, value] : all) {
    if (key == name) return value;
  }
  return {};
}

std::uint32_t field_u32(const std::vector<std::pair<std::string, std::string>>& all, std::string_view name) {
  return static_cast<std::uint32_t>(std::strtoull(field(all, name).c_str(), nullptr, 10));
}

// A campaign's mailbox list as the script keeps it: "a@x,b@y".
std::vector<std::string> comma_list(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < list.size();) {
    auto comma = list.find(',', at);
    out.push_back(list.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    at = comma == std::string::npos ? list.size() : comma + 1;
  }
  return out;
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < text.size();) {
    auto end = std::min(text.find('\n', at), text.size());
    if (end > at) out.emplace_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// The campaign's 'lkr' field: "reason TAB joins" lines (redis_script.cpp, add_link).
std::vector<CampaignLinkCount> link_counts(std::string_view text) {
  std::vector<CampaignLinkCount> out;
  for (const auto& line : lines(text)) {
    auto tab = line.rfind('\t');
    if (tab == std::string::npos) continue;
    out.push_back({line.substr(0, tab), static_cast<std::uint32_t>(std::strtoul(line.c_str() + tab + 1, nullptr, 10))});
  }
  return out;
}

// The campaign's 'lkj' field: "time TAB mailbox TAB reason" lines.
std::vector<CampaignJoin> link_joins(std::string_view text) {
  std::vector<CampaignJoin> out;
  for (const auto& line : lines(text)) {
    auto first = line.find('\t');
    auto last = line.rfind('\t');
    if (first == std::string::npos || last == first) continue;
    auto when = static_cast<std::uint32_t>(std::strtoul(line.c_str(), nullptr, 10));
    out.push_back({line.substr(first + 1, last - first - 1), line.substr(last + 1), from_seconds(when)});
  }
  return out;
}

Series bucket_series(const std::vector<std::pair<std::string, std::string>>& all) {
  Series out;
  for (const auto& [key, value] : all) {
    if (key.size() > 1 && key[0] == 'm' && std::isdigit(static_cast<unsigned char>(key[1]))) {
      out.add(static_cast<Bucket>(std::strtoull(key.c_str() + 1, nullptr, 10)), std::strtoll(value.c_str(), nullptr, 10));
    }
  }
  return out;
}

std::string minhash_bytes(const scoring::Fingerprint& fp) {
  std::string out;
  out.reserve(fp.minhash.size() * 4);
  for (auto value : fp.minhash) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(value >> (8 * i)));
  }
  return out;
}

bool closed_by_server(const redisContext* context) {
  if (context->err == REDIS_ERR_EOF) return true;
  std::string_view text = context->errstr;
  return context->err == REDIS_ERR_IO &&
         (text.find("reset by peer") != std::string_view::npos || text.find("Broken pipe") != std::string_view::npos);
}

// Names the user and where, never the password.
std::string credentials_message(const RedisSettings& settings, const std::string& error) {
  if (!settings.sentinels.empty() && error.rfind("Sentinel ", 0) == 0) {
    // SentinelClient prefixes each Sentinel's answer with its address.
    std::string who = settings.sentinel_username.empty() ? "the password" : "user " + settings.sentinel_username + " and its password";
    return "the Sentinels of " + settings.master_name + " refused " + who + ": " + error;
  }
  std::string who = settings.username.empty() ? "the password" : "user " + settings.username + " and its password";
  std::string where = settings.sentinels.empty() ? "Redis " + to_string(RedisAddress{settings.host, settings.port})
                                                 : "Redis (primary " + settings.master_name + " or its Sentinels)";
  return where + " refused " + who + ": " + error;
}

// A connection and the pool generation it belongs to: after a failover (or
// a failed connection) older generations are closed instead of reused.
struct Lease {
  Context context;
  std::uint64_t generation = 0;
  bool reused = false;  // idle before: may have gone stale (a Redis restart)
  explicit operator bool() const { return static_cast<bool>(context); }
  redisContext* get() const { return context.get(); }
};

// A bounded set of connections to the primary; connects lazily and tracks
// outages. With Sentinels the primary's address is asked of them when a
// connection is needed after a failure, and a watcher thread moves the pool
// to a new primary as soon as a Sentinel announces +switch-master.
class Pool {
 public:
  explicit Pool(const RedisSettings& settings) : settings_(settings), sentinel_(settings_) {
    if (!settings_.sentinels.empty()) {
      watcher_ = std::make_unique<SwitchWatcher>(settings_, [this](const RedisAddress& address) { switched(address); });
    } else {
      primary_ = RedisAddress{settings_.host, settings_.port};
    }
  }

  // One connection attempt now, for the start-up check: what went wrong.
  ConnectFailure probe(std::string& error) {
    ConnectFailure failure = ConnectFailure::none;
    Lease lease = open_connection(failure, error);
    if (lease) release(std::move(lease));
    return failure;
  }

  // A connected context, or an empty lease when Redis is unavailable now.
  Lease acquire() {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + settings_.command_timeout;
    while (true) {
      if (!idle_.empty()) {
        Lease lease = std::move(idle_.back());
        idle_.pop_back();
        lease.reused = true;
        return lease;
      }
      if (open_ < settings_.pool_size) {
        if (down_ && std::chrono::steady_clock::now() < next_retry_) return {};
        lock.unlock();
        ConnectFailure failure = ConnectFailure::none;
        std::string error;
        Lease lease = open_connection(failure, error);
        lock.lock();
        if (lease) return lease;
        mark_down_locked(error);
        return {};
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return {};
    }
  }

  void release(Lease lease) {
    std::lock_guard lock(mutex_);
    if (lease.generation != generation_) {
      --open_;  // opened before a failure or a failover: closed, not reused
    } else {
      idle_.push_back(std::move(lease));
    }
    cv_.notify_one();
  }

  // The connection failed, or the server is no longer the primary: drop it
  // and every other one (they share its fate) and ask the Sentinels again.
  void discard(Lease lease, const std::string& error) {
    std::lock_guard lock(mutex_);
    drop_locked(std::move(lease));
    mark_down_locked(error);
    cv_.notify_all();
  }

  // An idle connection failed on its first use: close it and the other idle
  // ones, without declaring an outage yet; the caller tries a new one.
  void drop_stale(Lease lease) {
    std::lock_guard lock(mutex_);
    drop_locked(std::move(lease));
    cv_.notify_all();
  }

  // A copy: a new connection may load the script again and set it meanwhile.
  std::string sha() const {
    std::lock_guard lock(mutex_);
    return sha_;
  }

  std::string peek_sha() const {
    std::lock_guard lock(mutex_);
    return peek_sha_;
  }

  void reload_script(redisContext* context) {
    Reply reply = command(context, {"SCRIPT", "LOAD", std::string(redis_observe_script)});
    if (!is_error(reply) && reply->type == REDIS_REPLY_STRING) {
      std::lock_guard lock(mutex_);
      sha_ = bulk(reply.get());
    }
  }

  std::string describe() const {
    std::lock_guard lock(mutex_);
    return describe_locked();
  }

 private:
  void drop_locked(Lease lease) {
    lease.context.reset();
    --open_;
    if (lease.generation == generation_) {
      ++generation_;
      open_ -= idle_.size();
      idle_.clear();
      if (!settings_.sentinels.empty()) primary_.reset();
    }
  }

  std::string describe_locked() const {
    if (settings_.sentinels.empty()) return to_string(RedisAddress{settings_.host, settings_.port});
    return "primary " + settings_.master_name + (primary_ ? " at " + to_string(*primary_) : std::string{});
  }

  // Counts itself in open_ before connecting, out again when it fails.
  Lease open_connection(ConnectFailure& failure, std::string& error) {
    std::optional<RedisAddress> address;
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(mutex_);
      ++open_;
      address = primary_;
      generation = generation_;
    }
    Lease lease;
    auto fail = [&](ConnectFailure why, std::string text) {
      failure = why;
      error = std::move(text);
      std::lock_guard lock(mutex_);
      --open_;
      return Lease{};
    };
    if (!address) {
      address = sentinel_.primary(failure, error);
      if (!address) return fail(failure, error);
    }
    Context context = connect_to(*address, {settings_.username, settings_.password}, settings_.connect_timeout,
                                 settings_.command_timeout, failure, error);
    if (!context) return fail(failure, error);
    auto setup = [&](const std::vector<std::string>& args) -> Reply {
      Reply reply = command(context.get(), args);
      if (is_error(reply)) {
        error = error_text(context.get(), reply);
        failure = reply && is_credentials_error(error) ? ConnectFailure::credentials : ConnectFailure::unreachable;
        return nullptr;
      }
      return reply;
    };
    if (!settings_.sentinels.empty()) {
      // A Sentinel's answer can be stale for a moment: only a primary will do.
      Reply role = setup({"ROLE"});
      if (!role) return fail(failure, error);
      std::string name = role->type == REDIS_REPLY_ARRAY && role->elements > 0 ? bulk(role->element[0]) : "";
      if (name != "master") return fail(ConnectFailure::unreachable, to_string(*address) + " is a " + name + ", not the primary");
    }
    if (settings_.db != 0 && !setup({"SELECT", std::to_string(settings_.db)})) return fail(failure, error);
    Reply script = setup({"SCRIPT", "LOAD", std::string(redis_observe_script)});
    if (!script || script->type != REDIS_REPLY_STRING) return fail(failure, error.empty() ? "SCRIPT LOAD failed" : error);
    Reply peek_script = setup({"SCRIPT", "LOAD", std::string(redis_peek_script)});
    if (!peek_script || peek_script->type != REDIS_REPLY_STRING) {
      return fail(failure, error.empty() ? "SCRIPT LOAD failed" : error);
    }
    failure = ConnectFailure::none;
    std::lock_guard lock(mutex_);
    sha_ = bulk(script.get());
    peek_sha_ = bulk(peek_script.get());
    adopt_locked(*address);
    if (generation != generation_) {
      // A failover was announced while connecting: this one may be stale.
      --open_;
      error = "the primary changed while connecting";
      failure = ConnectFailure::unreachable;
      return {};
    }
    if (down_) {
      down_ = false;
      spdlog::info("Redis {} is reachable again; counting resumes", describe_locked());
    }
    return Lease{std::move(context), generation};
  }

  // From the watcher: a Sentinel announced a new primary.
  void switched(const RedisAddress& address) {
    std::lock_guard lock(mutex_);
    if (primary_ && *primary_ == address) return;
    adopt_locked(address);
    ++generation_;
    open_ -= idle_.size();
    idle_.clear();
    next_retry_ = {};  // connect to the new primary at once
    cv_.notify_all();
  }

  // The one place a change of primary is logged, so it is logged once.
  void adopt_locked(const RedisAddress& address) {
    if (settings_.sentinels.empty()) return;
    if (known_ && !(*known_ == address)) {
      spdlog::warn("Redis primary {} switched from {} to {}; counting continues there", settings_.master_name,
                   to_string(*known_), to_string(address));
    }
    known_ = address;
    primary_ = address;
  }

  void mark_down_locked(const std::string& error) {
    next_retry_ = std::chrono::steady_clock::now() + settings_.retry_interval;
    if (!down_) {
      down_ = true;
      spdlog::error("Redis {} is unavailable ({}); mail passes uncounted until it returns", describe_locked(), error);
    }
  }

  RedisSettings settings_;
  SentinelClient sentinel_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Lease> idle_;
  std::size_t open_ = 0;  // connections in use, idle or being opened
  std::uint64_t generation_ = 0;
  std::optional<RedisAddress> primary_;  // where to connect; empty: ask the Sentinels
  std::optional<RedisAddress> known_;    // the last primary connected to
  bool down_ = false;
  std::chrono::steady_clock::time_point next_retry_{};
  std::string sha_;
  std::string peek_sha_;
  std::unique_ptr<SwitchWatcher> watcher_;  // last: stopped before the rest goes
};

class RedisStore final : public Store {
 public:
  RedisStore(const StoreSettings& settings, std::shared_ptr<const Clock> clock, KeyedHasher hasher)
      : settings_(settings),
        clock_(std::move(clock)),
        hasher_(std::move(hasher)),
        windows_(make_windows(settings)),
        prefix_(settings.redis.key_prefix),
        pool_(settings.redis) {
    for (auto width : windows_.widths) {
      if (!widths_text_.empty()) widths_text_ += ',';
      widths_text_ += std::to_string(width);
    }
  }

  History observe(const Observation& observation) override {
    std::uint32_t now = to_seconds(observation.time == TimePoint{} ? clock_->now() : observation.time);
    History history;
    history.direction = observation.direction;
    history.windows = settings_.windows;
    history.outcome = Outcome::unavailable;
    std::vector<std::string> args = script_args(observation, now);
    Reply reply = run([&](redisContext* context) {
      std::vector<std::string> call{"EVALSHA", pool_.sha(), "0"};
      call.insert(call.end(), args.begin(), args.end());
      Reply result = command(context, call);
      if (result && result->type == REDIS_REPLY_ERROR && std::strncmp(result->str, "NOSCRIPT", 8) == 0) {
        // Redis restarted or its scripts were flushed.
        pool_.reload_script(context);
        call[1] = pool_.sha();
        result = command(context, call);
      }
      return result;
    });
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return history;
    decode_history(reply.get(), observation, history);
    // Inbound only, tagged and found wherever they are: the feedback counts
    // and the streak bounds for the RCPT check.
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const redisReply* tagged = reply->element[i];
      if (tagged->type != REDIS_REPLY_ARRAY) continue;
      auto count = [&](std::size_t at) { return static_cast<std::uint32_t>(integer(element(tagged, at))); };
      std::string tag = bulk(element(tagged, 0));
      if (tag == "feedback") history.feedback = {count(1), count(2), count(3), count(4)};
      if (tag == "ceiling" && integer(element(tagged, 1)) >= 0) {
        ceilings_.record(normalise_address(observation.sender), count(1), count(2), count(3), clock_->now());
      }
    }
    return history;
  }

  std::optional<std::uint32_t> streak_ceiling(std::string_view sender) override {
    return ceilings_.bound(normalise_address(sender), clock_->now());
  }

  bool record_feedback(const Feedback& feedback) override {
    std::uint32_t now = to_seconds(feedback.time == TimePoint{} ? clock_->now() : feedback.time);
    std::string sender = normalise_address(feedback.sender);
    for (const auto& reply : replies_of_release(feedback, now)) {
      if (observe(reply).outcome == Outcome::unavailable) return false;
    }
    const char* field = feedback.kind == FeedbackKind::ham ? "ham" : "out";
    std::string retention = std::to_string(settings_.retention.count());
    Reply reply = run([&](redisContext* context) {
      Reply campaign = command(context, {"HGET", prefix_ + "s:" + sender, "camp"});
      if (is_error(campaign)) return campaign;
      auto subjects = feedback_subjects(sender, feedback.template_known, feedback.template_id,
                                        static_cast<std::uint32_t>(std::strtoul(bulk(campaign.get()).c_str(), nullptr, 10)));
      Reply last;
      for (const auto& subject : {subjects.template_subject, subjects.sender_subject, subjects.campaign_subject}) {
        if (subject.empty()) continue;
        std::string key = prefix_ + "fb:" + subject;
        last = command(context, {"HINCRBY", key, field, "1"});
        if (is_error(last)) return last;
        last = command(context, {"EXPIRE", key, retention});
        if (is_error(last)) return last;
      }
      // Totals for the metrics: one hash, never expired.
      return command(context, {"HINCRBY", prefix_ + "fb:totals", feedback_total_name(feedback.kind, feedback.source), "1"});
    });
    return decided(reply && reply->type != REDIS_REPLY_ERROR);
  }

  std::vector<FeedbackTotal> feedback_totals() override {
    Reply reply = run([&](redisContext* context) { return command(context, {"HGETALL", prefix_ + "fb:totals"}); });
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return {};
    std::vector<std::pair<std::string, std::uint64_t>> named;
    for (const auto& [name, value] : fields(reply.get())) {
      named.emplace_back(name, static_cast<std::uint64_t>(std::strtoull(value.c_str(), nullptr, 10)));
    }
    return feedback_totals_of(named);
  }

  // --- Daily counts (state/daily_counts.hpp): one hash per day, "daily:" + the
  // day number, a field per event, expiring daily_retention_days after its last write. ---
  bool add_daily_counts(const std::vector<DayCounts>& days) override {
    if (days.empty()) return true;
    std::string lifetime = std::to_string(daily_retention_days * 86400);
    Reply reply = run([&](redisContext* context) {
      Reply last;
      for (const auto& day : days) {
        std::string key = prefix_ + "daily:" + std::to_string(day.day);
        for (std::size_t i = 0; i < daily_event_count; ++i) {
          if (day.counts[i] == 0) continue;
          last = command(context, {"HINCRBY", key, std::string(to_string(static_cast<DailyEvent>(i))),
                                   std::to_string(day.counts[i])});
          if (is_error(last)) return last;
        }
        last = command(context, {"EXPIRE", key, lifetime});
        if (is_error(last)) return last;
      }
      return last;
    });
    return reply && reply->type != REDIS_REPLY_ERROR;
  }

  std::vector<DayCounts> daily_counts(std::int64_t first_day, std::int64_t last_day) override {
    std::vector<DayCounts> out;
    for (std::int64_t day = first_day; day <= last_day; ++day) {
      Reply reply = run([&](redisContext* context) {
        return command(context, {"HGETALL", prefix_ + "daily:" + std::to_string(day)});
      });
      if (!reply || reply->type != REDIS_REPLY_ARRAY) return {};
      if (reply->elements == 0) continue;
      DayCounts counts;
      counts.day = day;
      for (const auto& [name, value] : fields(reply.get())) {
        for (std::size_t i = 0; i < daily_event_count; ++i) {
          if (name == to_string(static_cast<DailyEvent>(i))) counts.counts[i] = std::strtoull(value.c_str(), nullptr, 10);
        }
      }
      out.push_back(counts);
    }
    return out;
  }

  bool add_targets(const std::vector<DayTargets>& days) override {
    if (days.empty()) return true;
    std::string lifetime = std::to_string(daily_retention_days * 86400);
    Reply reply = run([&](redisContext* context) {
      Reply last;
      for (const auto& day : days) {
        std::string key = prefix_ + "targets:" + std::to_string(day.day);
        for (const auto& [recipient, count] : day.recipients) {
          std::string hash = to_hex(hasher_.hash(HashKind::recipient, normalise_address(recipient)));
          last = command(context, {"HINCRBY", key, hash, std::to_string(count)});
          if (is_error(last)) return last;
        }
        last = command(context, {"EXPIRE", key, lifetime});
        if (is_error(last)) return last;
      }
      return last;
    });
    return reply && reply->type != REDIS_REPLY_ERROR;
  }

  std::optional<std::vector<TopEntry>> most_targeted(std::int64_t first_day, std::int64_t last_day,
                                                     std::size_t n) override {
    std::map<std::string, std::uint64_t> total;
    for (std::int64_t day = first_day; day <= last_day; ++day) {
      Reply reply = run([&](redisContext* context) {
        return command(context, {"HGETALL", prefix_ + "targets:" + std::to_string(day)});
      });
      if (!reply || reply->type != REDIS_REPLY_ARRAY) return std::nullopt;
      for (const auto& [hash, value] : fields(reply.get())) total[hash] += std::strtoull(value.c_str(), nullptr, 10);
    }
    std::vector<TopEntry> out;
    for (const auto& [hash, count] : total) out.push_back({hash, count});
    std::stable_sort(out.begin(), out.end(), [](const TopEntry& a, const TopEntry& b) { return a.value > b.value; });
    if (out.size() > n) out.resize(n);
    return out;
  }
  // --- end of daily counts ---

  PairSnapshot peek(std::string_view sender_address, std::string_view recipient_address,
                    std::string_view sender_brand, std::string_view sender_organisation) override {
    PairSnapshot out;
    std::string sender = normalise_address(sender_address);
    std::string recipient = to_hex(hasher_.hash(HashKind::recipient, normalise_address(recipient_address)));
    std::string brand = sender_brand.empty() ? std::string{} : evidence_hash(scoring::EvidenceKind::brand, sender_brand);
    std::string organisation = sender_organisation.empty() ? std::string{} : organisation_hash(sender_organisation);
    Reply reply = run([&](redisContext* context) {
      // One round trip: the pair, the allowlist entries and the campaign's view.
      std::vector<std::string> call{"EVALSHA", pool_.peek_sha(), "0", prefix_, sender, recipient,
                                    domain_of(sender), brand, organisation};
      Reply result = command(context, call);
      if (result && result->type == REDIS_REPLY_ERROR && std::strncmp(result->str, "NOSCRIPT", 8) == 0) {
        call[0] = "EVAL";  // Redis restarted or its scripts were flushed: this loads it again
        call[1] = std::string(redis_peek_script);
        result = command(context, call);
      }
      return result;
    });
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return out;
    const redisReply* pair = element(reply.get(), 0);
    out.available = true;
    out.streak = static_cast<std::uint32_t>(integer(element(pair, 0)));
    out.dialogue = integer(element(pair, 1)) != 0;
    out.messages_total = static_cast<std::uint32_t>(integer(element(pair, 2)));
    out.last_seen = from_seconds(static_cast<std::uint32_t>(integer(element(pair, 3))));
    out.last_reply = from_seconds(static_cast<std::uint32_t>(integer(element(pair, 4))));
    out.known = integer(element(pair, 5)) != 0;
    out.allowlisted = integer(element(reply.get(), 1)) != 0;
    const redisReply* campaign = element(reply.get(), 2);
    out.campaign_known = integer(element(campaign, 0)) != 0;
    out.campaign_streak = static_cast<std::uint32_t>(integer(element(campaign, 1)));
    out.campaign_dialogue = integer(element(campaign, 2)) != 0;
    out.campaign_senders = static_cast<std::uint32_t>(integer(element(campaign, 3)));
    return out;
  }

  SenderReport inspect(std::string_view sender_address, std::string_view recipient_address) override {
    SenderReport out;
    out.sender = normalise_address(sender_address);
    out.domain = domain_of(out.sender);
    out.windows = settings_.windows;
    Bucket now = windows_.bucket_of(to_seconds(clock_->now()));
    bool ok = with_context([&](redisContext* context) {
      auto get = [&](const std::vector<std::string>& args) {
        Reply reply = command(context, args);
        if (!reply || context->err) throw std::runtime_error(error_text(context, reply));
        return reply;
      };
      auto sender = fields(get({"HGETALL", prefix_ + "s:" + out.sender}).get());
      auto domain = fields(get({"HGETALL", prefix_ + "d:" + out.domain}).get());
      out.known = !sender.empty();
      out.counts = {windows_.sums(bucket_series(sender), now), member_counts(get, prefix_ + "sr:" + out.sender, now)};
      out.domain_counts = {windows_.sums(bucket_series(domain), now), member_counts(get, prefix_ + "dr:" + out.domain, now)};
      out.first_seen = from_seconds(field_u32(sender, "first"));
      out.last_seen = from_seconds(field_u32(sender, "touched"));
      std::string campaign_id = field(sender, "camp");
      std::string campaign_entry =
          campaign_id.empty() ? "" : fmt::format("campaign:{:08x}", std::strtoul(campaign_id.c_str(), nullptr, 10));
      out.allowlisted_by = integer(get({"HEXISTS", prefix_ + "a", out.sender}).get()) != 0   ? "address"
                           : integer(get({"HEXISTS", prefix_ + "a", out.domain}).get()) != 0 ? "domain"
                           : !campaign_entry.empty() && integer(get({"HEXISTS", prefix_ + "a", campaign_entry}).get()) != 0
                               ? "campaign"
                               : "";
      out.allowlisted = !out.allowlisted_by.empty();
      std::vector<std::string> recipients;
      if (!recipient_address.empty()) {
        recipients.push_back(to_hex(hasher_.hash(HashKind::recipient, normalise_address(recipient_address))));
      } else {
        Reply list = get({"ZRANGE", prefix_ + "ps:" + out.sender, "0", "-1"});
        for (std::size_t i = 0; i < list->elements; ++i) recipients.push_back(bulk(list->element[i]));
      }
      std::vector<std::string> template_ids;
      for (const auto& recipient : recipients) {
        auto pair = fields(get({"HGETALL", prefix_ + "p:" + out.sender + ":" + recipient}).get());
        if (pair.empty()) continue;
        out.known = true;
        PairReport report;
        report.recipient = recipient;
        report.messages_total = field_u32(pair, "total");
        report.messages = windows_.sums(bucket_series(pair), now);
        report.streak = field_u32(pair, "streak");
        report.dialogue = field_u32(pair, "dialogue") != 0;
        report.first_seen = from_seconds(field_u32(pair, "first"));
        report.last_seen = from_seconds(field_u32(pair, "last"));
        report.last_reply = from_seconds(field_u32(pair, "reply"));
        report.steps = field_u32(pair, "steps");
        std::string list = field(pair, "tpl");
        for (std::size_t at = 0; at < list.size();) {
          auto comma = list.find(',', at);
          std::string id = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
          report.templates.push_back(std::strtoull(id.c_str(), nullptr, 10));
          if (std::find(template_ids.begin(), template_ids.end(), id) == template_ids.end()) template_ids.push_back(id);
          at = comma == std::string::npos ? list.size() : comma + 1;
        }
        out.pairs.push_back(std::move(report));
      }
      if (std::string campaign = field(sender, "camp"); !campaign.empty()) {
        auto record = fields(get({"HGETALL", prefix_ + "c:" + campaign}).get());
        if (!record.empty()) {
          auto& c = out.campaign;
          c.known = true;
          c.id = static_cast<std::uint32_t>(std::strtoul(campaign.c_str(), nullptr, 10));
          c.brand = field(record, "brand");
          c.mailboxes = comma_list(field(record, "mbx"));
          c.mailbox_count = static_cast<std::uint32_t>(c.mailboxes.size());
          std::string domains = field(record, "dom");
          c.domain_count = domains.empty() ? 0 : static_cast<std::uint32_t>(std::count(domains.begin(), domains.end(), ',') + 1);
          c.counts = {windows_.sums(bucket_series(record), now), member_counts(get, prefix_ + "cr:" + campaign, now)};
          c.first_seen = from_seconds(field_u32(record, "first"));
          c.last_seen = from_seconds(field_u32(record, "touched"));
          Reply longest = get({"ZSCORE", prefix_ + "top:cstreak", campaign});
          c.longest_streak = static_cast<std::uint32_t>(integer(longest.get()));
          c.links = link_counts(field(record, "lkr"));
          c.joins = link_joins(field(record, "lkj"));
        }
      }
      for (const auto& id : template_ids) {
        auto record = fields(get({"HGETALL", prefix_ + "t:" + id}).get());
        if (record.empty()) continue;
        TemplateReport report;
        report.id = std::strtoull(id.c_str(), nullptr, 10);
        report.messages_total = field_u32(record, "total");
        report.counts = {windows_.sums(bucket_series(record), now), member_counts(get, prefix_ + "tr:" + id, now)};
        report.senders = member_counts(get, prefix_ + "ts:" + id, now);
        report.saturated = integer(get({"ZCARD", prefix_ + "tr:" + id}).get()) >= settings_.distinct_cap ||
                           integer(get({"ZCARD", prefix_ + "ts:" + id}).get()) >= settings_.distinct_cap;
        report.first_seen = from_seconds(field_u32(record, "first"));
        report.last_seen = from_seconds(field_u32(record, "touched"));
        out.templates.push_back(std::move(report));
      }
    });
    out.available = ok;
    return out;
  }

  TopReport top(std::size_t n) override {
    TopReport out;
    out.available = with_context([&](redisContext* context) {
      auto ranking = [&](const std::string& name, std::vector<TopEntry>& into) {
        Reply reply = command(context, {"ZREVRANGE", prefix_ + name, "0", std::to_string(n == 0 ? 0 : n - 1),
                                        "WITHSCORES"});
        if (!reply || context->err) throw std::runtime_error(error_text(context, reply));
        if (n == 0) return;
        for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
          auto value = static_cast<std::uint64_t>(std::strtoull(bulk(reply->element[i + 1]).c_str(), nullptr, 10));
          if (value > 0) into.push_back({bulk(reply->element[i]), value});
        }
      };
      ranking("top:streak", out.senders_by_streak);
      ranking("top:reach", out.senders_by_reach);
      ranking("top:volume", out.senders_by_volume);
      ranking("top:treach", out.templates_by_reach);
      for (auto& entry : out.templates_by_reach) entry.name = to_hex(std::strtoull(entry.name.c_str(), nullptr, 10));
      ranking("top:cstreak", out.campaigns_by_streak);
      ranking("top:creach", out.campaigns_by_reach);
      ranking("top:cmbx", out.campaigns_by_mailboxes);
      // The console's rows: the campaigns with the most reach, each read once.
      auto get = checked(context);
      Bucket now = windows_.bucket_of(to_seconds(clock_->now()));
      for (const auto& entry : out.campaigns_by_reach) {
        auto record = fields(get({"HGETALL", prefix_ + "c:" + entry.name}).get());
        if (record.empty()) continue;
        CampaignSummary summary;
        summary.id = static_cast<std::uint32_t>(std::strtoul(entry.name.c_str(), nullptr, 10));
        summary.brand = field(record, "brand");
        summary.reach = entry.value;
        summary.counts = {windows_.sums(bucket_series(record), now), member_counts(get, prefix_ + "cr:" + entry.name, now)};
        auto mailboxes = comma_list(field(record, "mbx"));
        summary.mailbox = mailboxes.empty() ? "" : mailboxes.front();
        summary.mailboxes = static_cast<std::uint32_t>(mailboxes.size());
        summary.domains = static_cast<std::uint32_t>(comma_list(field(record, "dom")).size());
        Reply longest = get({"ZSCORE", prefix_ + "top:cstreak", entry.name});
        summary.longest_streak = static_cast<std::uint32_t>(integer(longest.get()));
        summary.first_seen = from_seconds(field_u32(record, "first"));
        summary.last_seen = from_seconds(field_u32(record, "touched"));
        summary.links = link_counts(field(record, "lkr"));
        out.campaigns.push_back(std::move(summary));
      }
      for (auto* list : {&out.campaigns_by_streak, &out.campaigns_by_reach, &out.campaigns_by_mailboxes}) {
        for (auto& entry : *list) {
          Reply brand = command(context, {"HGET", prefix_ + "c:" + entry.name, "brand"});
          std::string name = bulk(brand.get());
          entry.name = fmt::format("{} ({:08x})", name.empty() ? "-" : name, std::strtoul(entry.name.c_str(), nullptr, 10));
        }
      }
    });
    return out;
  }

  bool forget(std::string_view sender_address) override {
    std::string sender = normalise_address(sender_address);
    return with_context([&](redisContext* context) {
      Reply list = command(context, {"ZRANGE", prefix_ + "ps:" + sender, "0", "-1"});
      if (!list || context->err) throw std::runtime_error(error_text(context, list));
      std::vector<std::string> del{"DEL", prefix_ + "s:" + sender, prefix_ + "sr:" + sender, prefix_ + "ps:" + sender};
      for (std::size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; ++i) {
        del.push_back(prefix_ + "p:" + sender + ":" + bulk(list->element[i]));
      }
      // Dropping the rankings' marker makes the next message refresh their
      // TTLs, in case this sender was their last member and they are re-created.
      for (const auto& args : {del, {"ZREM", prefix_ + "top:streak", sender}, {"ZREM", prefix_ + "top:reach", sender},
                               {"ZREM", prefix_ + "top:volume", sender}, {"ZREM", prefix_ + "top:seen", sender},
                               {"DEL", prefix_ + "hk:top:seen"}}) {
        Reply reply = command(context, args);
        if (!reply || context->err) throw std::runtime_error(error_text(context, reply));
      }
    });
  }

  int forget_campaign(std::string_view address_or_brand) override {
    std::vector<std::string> mailboxes;
    std::string campaign;
    bool ok = with_context([&](redisContext* context) {
      auto get = checked(context);
      campaign = find_campaign(get, address_or_brand);
      if (campaign.empty()) return;
      std::string list = bulk(get({"HGET", prefix_ + "c:" + campaign, "mbx"}).get());
      for (std::size_t at = 0; at < list.size();) {
        auto comma = list.find(',', at);
        mailboxes.push_back(list.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        at = comma == std::string::npos ? list.size() : comma + 1;
      }
      std::vector<std::string> del{"DEL", prefix_ + "c:" + campaign, prefix_ + "cr:" + campaign, prefix_ + "cps:" + campaign};
      for (const auto& pattern : {prefix_ + "q:" + campaign + ":*", prefix_ + "e:*"}) {
        std::string cursor = "0";
        do {
          Reply page = get({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
          cursor = bulk(element(page.get(), 0));
          const redisReply* keys = element(page.get(), 1);
          for (std::size_t i = 0; keys && i < keys->elements; ++i) {
            std::string key = bulk(keys->element[i]);
            if (key.rfind(prefix_ + "e:", 0) == 0) {
              // Evidence keys list their campaigns: this one leaves the list.
              std::string ids = bulk(get({"GET", key}).get());
              std::string rest;
              bool listed = false;
              for (std::size_t at = 0; at < ids.size();) {
                auto comma = ids.find(',', at);
                std::string id = ids.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
                if (id == campaign) {
                  listed = true;
                } else {
                  rest += (rest.empty() ? "" : ",") + id;
                }
                at = comma == std::string::npos ? ids.size() : comma + 1;
              }
              if (!listed) continue;
              if (!rest.empty()) {
                get({"SET", key, rest, "KEEPTTL"});
                continue;
              }
            }
            del.push_back(std::move(key));
          }
        } while (cursor != "0");
      }
      get(del);
      for (const char* list_name : {"top:cstreak", "top:creach", "top:cmbx", "top:cseen"}) {
        get({"ZREM", prefix_ + list_name, campaign});
      }
    });
    if (!ok) return -1;
    if (campaign.empty()) return 0;
    for (const auto& mailbox : mailboxes) {
      if (!forget(mailbox)) return -1;
    }
    return static_cast<int>(mailboxes.size());
  }

  bool allow(std::string_view entry) override {
    std::string key = allow_entry(entry);
    if (key.empty()) return false;
    return decided(with_context([&](redisContext* context) {
      Reply reply = command(context, {"HSET", prefix_ + "a", key, std::to_string(to_seconds(clock_->now()))});
      if (!reply || context->err) throw std::runtime_error(error_text(context, reply));
    }));
  }

  bool disallow(std::string_view entry) override {
    std::string key = allow_entry(entry);
    if (key.empty()) return false;
    return decided(with_context([&](redisContext* context) {
      Reply reply = command(context, {"HDEL", prefix_ + "a", key});
      if (!reply || context->err) throw std::runtime_error(error_text(context, reply));
    }));
  }

  std::vector<AllowEntry> allowlist() override {
    std::vector<AllowEntry> out;
    with_context([&](redisContext* context) {
      Reply reply = command(context, {"HGETALL", prefix_ + "a"});
      if (!reply || context->err) throw std::runtime_error(error_text(context, reply));
      for (const auto& [entry, added] : fields(reply.get())) {
        out.push_back({entry, from_seconds(static_cast<std::uint32_t>(std::strtoull(added.c_str(), nullptr, 10)))});
      }
      std::sort(out.begin(), out.end(), [](const AllowEntry& a, const AllowEntry& b) { return a.entry < b.entry; });
    });
    return out;
  }

  std::optional<AdminDecisions> export_decisions() override {
    AdminDecisions out;
    bool ok = with_context([&](redisContext* context) {
      auto get = checked(context);
      for (const auto& [entry, added] : fields(get({"HGETALL", prefix_ + "a"}).get())) {
        AllowDecision decision{entry, from_seconds(static_cast<std::uint32_t>(std::strtoull(added.c_str(), nullptr, 10))),
                               {}, {}};
        if (entry.starts_with("campaign:")) {
          std::string id = std::to_string(std::strtoul(entry.c_str() + 9, nullptr, 16));
          auto record = fields(get({"HGETALL", prefix_ + "c:" + id}).get());
          decision.campaign_brand = field(record, "brand");
          decision.campaign_mailboxes = comma_list(field(record, "mbx"));
        }
        out.allows.push_back(std::move(decision));
      }
      const std::string pattern = prefix_ + "fb:*";
      std::string cursor = "0";
      do {
        Reply page = get({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (page->type != REDIS_REPLY_ARRAY || page->elements != 2) throw std::runtime_error("unexpected SCAN reply");
        cursor = bulk(page->element[0]);
        const redisReply* keys = page->element[1];
        for (std::size_t i = 0; i < keys->elements; ++i) {
          std::string key = bulk(keys->element[i]);
          std::string subject = key.substr(pattern.size() - 1);
          if (subject == "totals") continue;
          auto record = fields(get({"HGETALL", key}).get());
          FeedbackMark mark{subject, field_u32(record, "ham"), field_u32(record, "out"), {}};
          Reply ttl = get({"TTL", key});
          // Redis keeps no touched time: the mark was last written a
          // retention before it expires.
          if (integer(ttl.get()) > 0) {
            mark.touched = clock_->now() - (settings_.retention - std::chrono::seconds(integer(ttl.get())));
          }
          out.marks.push_back(std::move(mark));
        }
      } while (cursor != "0");
    });
    if (!ok) return std::nullopt;
    return out;
  }

  bool import_decisions(const AdminDecisions& decisions) override {
    const std::string retention = std::to_string(settings_.retention.count());
    return with_context([&](redisContext* context) {
      auto get = checked(context);
      for (const auto& allow : decisions.allows) {
        std::string added = std::to_string(to_seconds(allow.added));
        get({"HSETNX", prefix_ + "a", allow.entry, added});
        for (const auto& mailbox : allow.campaign_mailboxes) {
          get({"HSETNX", prefix_ + "a", normalise_address(mailbox), added});
        }
      }
      for (const auto& mark : decisions.marks) {
        std::string key = prefix_ + "fb:" + mark.subject;
        auto record = fields(get({"HGETALL", key}).get());
        get({"HSET", key, "ham", std::to_string(std::max(field_u32(record, "ham"), mark.ham)), "out",
             std::to_string(std::max(field_u32(record, "out"), mark.outreach))});
        get({"EXPIRE", key, retention});
      }
    });
  }

  // Redis expires keys itself (EXPIRE on every write); nothing to sweep.
  std::size_t maintain() override { return 0; }

  const StoreSettings& settings() const override { return settings_; }

  ConnectFailure probe(std::string& error) { return pool_.probe(error); }

 private:
  // An admin decision was written: the snapshot follows it.
  bool decided(bool ok) {
    if (ok) refresh_decision_snapshot(*this, clock_->now());
    return ok;
  }

  // The campaign (decimal id) named by one of its addresses or its brand; "" when none.
  template <typename Get>
  std::string find_campaign(Get& get, std::string_view address_or_brand) const {
    std::string campaign;
    if (address_or_brand.find('@') != std::string_view::npos) {
      campaign = bulk(get({"HGET", prefix_ + "s:" + normalise_address(address_or_brand), "camp"}).get());
    } else {
      campaign = bulk(get({"GET", prefix_ + "e:" + evidence_hash(scoring::EvidenceKind::brand, address_or_brand)}).get());
      campaign = campaign.substr(0, campaign.find(','));  // the most recent
    }
    if (campaign.empty() || integer(get({"EXISTS", prefix_ + "c:" + campaign}).get()) == 0) return {};
    return campaign;
  }

  // The allowlist field of an entry: an address, a domain, or "campaign:"
  // with the id of the campaign an address or brand names ("" when none).
  std::string allow_entry(std::string_view entry) {
    if (!entry.starts_with("campaign:")) return plain_allow_entry(entry);
    std::string campaign;
    if (!with_context([&](redisContext* context) {
          auto get = checked(context);
          campaign = find_campaign(get, entry.substr(9));
        }) || campaign.empty()) {
      return {};
    }
    return fmt::format("campaign:{:08x}", std::strtoul(campaign.c_str(), nullptr, 10));
  }

  static std::string plain_allow_entry(std::string_view entry) {
    return entry.find('@') == std::string_view::npos ? domain_of("@" + std::string(entry)) : normalise_address(entry);
  }

  static std::uint32_t short_sender_hash(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

  // A piece of campaign evidence as the store keys it: a keyed hash of its
  // kind and value, so no message text reaches Redis.
  std::string evidence_hash(scoring::EvidenceKind kind, std::string_view value) const {
    auto kind_char = static_cast<char>(kind);
    return to_hex(hasher_.hash(HashKind::evidence, std::string_view(&kind_char, 1), value));
  }

  std::string organisation_hash(std::string_view name) const { return to_hex(hasher_.hash(HashKind::evidence, "o", name)); }

  std::string pair_key_of(const std::string& sender, std::uint64_t recipient_id) const {
    return prefix_ + "p:" + sender + ":" + to_hex(recipient_id);
  }

  template <typename Get>
  std::vector<std::uint32_t> member_counts(Get& get, const std::string& key, Bucket now) const {
    std::vector<std::uint32_t> out;
    for (auto width : windows_.widths) {
      auto from = static_cast<std::uint64_t>(now >= width ? now - width + 1 : 0) * windows_.bucket_seconds;
      auto to = (static_cast<std::uint64_t>(now) + 1) * windows_.bucket_seconds - 1;
      out.push_back(static_cast<std::uint32_t>(
          integer(get({"ZCOUNT", key, std::to_string(from), std::to_string(to)}).get())));
    }
    return out;
  }

  // Runs `call` on a pooled connection; nullptr when Redis is unavailable.
  template <typename Call>
  Reply run(Call call) {
    Lease lease = pool_.acquire();
    if (!lease) return nullptr;
    Reply reply = call(lease.get());
    if (!reply && lease.reused && closed_by_server(lease.get())) {
      // Closed by a restart or failover while idle, so the command never ran
      // (a timeout is not retried: the script may have run): one new connection.
      pool_.drop_stale(std::move(lease));
      lease = pool_.acquire();
      if (!lease) return nullptr;
      reply = call(lease.get());
    }
    if (!reply || lease.get()->err) {
      std::string error = error_text(lease.get(), reply);
      pool_.discard(std::move(lease), error);
      return nullptr;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string error(reply->str, reply->len);
      if (error.rfind("READONLY", 0) == 0) {
        // A former primary that came back as a replica: find the new one.
        pool_.discard(std::move(lease), error);
        return nullptr;
      }
      // The server answered: the connection is fine, the command was not.
      spdlog::error("Redis: {}", error);
      pool_.release(std::move(lease));
      return nullptr;
    }
    pool_.release(std::move(lease));
    return reply;
  }

  // For admin calls with several commands; `body` throws on a failed command.
  template <typename Body>
  bool with_context(Body body) {
    Lease lease = pool_.acquire();
    if (!lease) return false;
    try {
      body(lease.get());
    } catch (const std::exception& error) {
      if (lease.get()->err || std::string_view(error.what()).rfind("READONLY", 0) == 0) {
        pool_.discard(std::move(lease), error.what());
      } else {
        spdlog::error("Redis: {}", error.what());
        pool_.release(std::move(lease));
      }
      return false;
    }
    pool_.release(std::move(lease));
    return true;
  }

  std::vector<std::string> script_args(const Observation& observation, std::uint32_t now) const {
    const bool inbound = observation.direction == Direction::inbound;
    const std::string sender = normalise_address(observation.sender);
    const auto& fp = observation.fingerprint;
    std::vector<std::string> args{prefix_,
                                  inbound ? "in" : "out",
                                  std::to_string(now),
                                  std::to_string(windows_.bucket_seconds),
                                  widths_text_,
                                  std::to_string(settings_.retention.count()),
                                  std::to_string(settings_.dedup_window.count()),
                                  std::to_string(settings_.sent_id_retention.count()),
                                  std::to_string(settings_.distinct_cap),
                                  fmt::format("{}", settings_.template_similarity),
                                  std::to_string(settings_.pair_templates)};
    std::string dedup_text;
    std::uint32_t tag = 0;
    std::string dedup_hex;
    if (inbound) {
      dedup_text = !observation.message_id.empty() ? "id:" + observation.message_id
                   : !fp.empty                     ? "text:" + to_hex(fp.skeleton_hash)
                                                   : std::string{};
      if (!dedup_text.empty()) {
        std::uint64_t id = hasher_.hash(HashKind::dedup, sender, dedup_text);
        tag = static_cast<std::uint32_t>(id) | 1;
        dedup_hex = to_hex(id);
      }
      args.push_back(sender);
      args.push_back(domain_of(sender));
    } else {
      args.push_back(to_hex(hasher_.hash(HashKind::recipient, sender)));
      args.emplace_back();
    }
    args.push_back(to_hex(hasher_.hash(HashKind::sender, sender)));
    args.push_back(dedup_hex);
    args.push_back(std::to_string(tag));
    args.push_back(!inbound && !observation.message_id.empty()
                       ? to_hex(hasher_.hash(HashKind::message_id, observation.message_id))
                       : std::string{});
    std::vector<std::string> ids;
    if (inbound) {
      for (const auto* list : {&observation.in_reply_to, &observation.references}) {
        for (const auto& id : *list) ids.push_back(to_hex(hasher_.hash(HashKind::message_id, id)));
      }
    }
    args.push_back(std::to_string(ids.size()));
    args.insert(args.end(), ids.begin(), ids.end());
    bool use_fp = inbound && !fp.empty;
    args.push_back(use_fp ? "0" : "1");
    args.push_back(std::to_string(fp.algorithm));
    args.push_back(minhash_bytes(fp));
    args.push_back(std::to_string(static_cast<std::uint32_t>(fp.skeleton_hash ^ (fp.skeleton_hash >> 32))));
    for (std::size_t band = 0; band < scoring::lsh_bands; ++band) args.push_back(to_hex(fp.band_keys[band]));
    std::vector<std::string> recipients;
    for (const auto& raw : observation.recipients) {
      std::string recipient = normalise_address(raw);
      recipients.push_back(inbound ? to_hex(hasher_.hash(HashKind::recipient, recipient)) : recipient);
    }
    args.push_back(std::to_string(recipients.size()));
    args.insert(args.end(), recipients.begin(), recipients.end());
    // Campaign identity: the values are keyed hashes, never text.
    args.push_back(inbound ? observation.campaign.sender.brand : std::string{});
    args.push_back(std::to_string(short_sender_hash(hasher_.hash(HashKind::sender, sender))));
    args.push_back(inbound && !observation.campaign.sender.name.empty() ? organisation_hash(observation.campaign.sender.name)
                                                                        : std::string{});
    const auto& items = inbound ? observation.campaign.items : std::vector<scoring::EvidenceItem>{};
    args.push_back(std::to_string(items.size()));
    for (const auto& item : items) {
      args.push_back(evidence_hash(item.kind, item.value));
      args.push_back(std::to_string(static_cast<int>(scoring::family_of(item.kind))));
      args.emplace_back(scoring::to_string(item.kind));
    }
    std::vector<std::string> variants = inbound ? brand_variants(observation.campaign.sender.brand) : std::vector<std::string>{};
    args.push_back(std::to_string(variants.size()));
    for (const auto& variant : variants) {
      args.push_back(evidence_hash(scoring::EvidenceKind::brand, variant));
      args.push_back(evidence_hash(scoring::EvidenceKind::brand_variant, variant));
    }
    args.push_back(variants.empty() ? std::string{}
                                    : evidence_hash(scoring::EvidenceKind::brand_variant, observation.campaign.sender.brand));
    const auto& quoted = observation.quoted_fingerprint;
    bool use_quoted = inbound && !quoted.empty && quoted.algorithm == fp.algorithm;
    args.push_back(use_quoted ? "1" : "0");
    args.push_back(use_quoted ? minhash_bytes(quoted) : std::string{});
    for (std::size_t band = 0; band < scoring::lsh_bands; ++band) args.push_back(use_quoted ? to_hex(quoted.band_keys[band]) : "");
    args.push_back(std::to_string(inbound ? 0 : observation.recipients.size()));
    for (std::size_t k = 0; !inbound && k < observation.recipients.size(); ++k) {
      const std::string brand = k < observation.recipient_brands.size() ? observation.recipient_brands[k] : std::string();
      const std::string organisation =
          k < observation.recipient_organisations.size() ? observation.recipient_organisations[k] : std::string();
      args.push_back(brand.empty() ? std::string{} : evidence_hash(scoring::EvidenceKind::brand, brand));
      args.push_back(organisation.empty() ? std::string{} : organisation_hash(organisation));
    }
    return args;
  }

  void decode_history(const redisReply* reply, const Observation& observation, History& history) const {
    history.outcome = integer(element(reply, 0)) == 2 ? Outcome::duplicate : Outcome::counted;
    history.allowlisted = integer(element(reply, 1)) != 0;
    history.answers_our_message = integer(element(reply, 2)) != 0;
    history.cites_ids = observation.direction == Direction::inbound &&
                        (!observation.in_reply_to.empty() || !observation.references.empty());
    history.sender = {integers(element(reply, 3)), integers(element(reply, 4))};
    history.domain = {integers(element(reply, 5)), integers(element(reply, 6))};
    const redisReply* cluster = element(reply, 7);
    if (integer(element(cluster, 0)) == 1) {
      auto& out = history.cluster;
      out.known = true;
      out.id = static_cast<std::uint64_t>(integer(element(cluster, 1)));
      out.new_cluster = integer(element(cluster, 2)) != 0;
      out.similarity = static_cast<double>(integer(element(cluster, 3))) / 1000.0;
      out.messages_total = static_cast<std::uint32_t>(integer(element(cluster, 4)));
      out.first_seen = from_seconds(static_cast<std::uint32_t>(integer(element(cluster, 5))));
      out.last_seen = from_seconds(static_cast<std::uint32_t>(integer(element(cluster, 6))));
      out.saturated = integer(element(cluster, 7)) != 0;
      out.counts = {integers(element(cluster, 8)), integers(element(cluster, 9))};
      out.senders = integers(element(cluster, 10));
    }
    const redisReply* pairs = element(reply, 8);
    for (std::size_t i = 0; i < observation.recipients.size(); ++i) {
      const redisReply* p = element(pairs, i);
      PairFacts facts;
      facts.recipient = observation.recipients[i];
      facts.duplicate = integer(element(p, 0)) != 0;
      facts.messages_total = static_cast<std::uint32_t>(integer(element(p, 1)));
      facts.messages = integers(element(p, 2));
      facts.streak = static_cast<std::uint32_t>(integer(element(p, 3)));
      facts.dialogue = integer(element(p, 4)) != 0;
      facts.first_seen = from_seconds(static_cast<std::uint32_t>(integer(element(p, 5))));
      facts.previous_seen = from_seconds(static_cast<std::uint32_t>(integer(element(p, 6))));
      facts.last_reply = from_seconds(static_cast<std::uint32_t>(integer(element(p, 7))));
      facts.steps = static_cast<std::uint32_t>(integer(element(p, 8)));
      facts.template_repeat = integer(element(p, 9)) != 0;
      facts.follows_template = integer(element(p, 10)) != 0;
      facts.campaign_total = static_cast<std::uint32_t>(integer(element(p, 11)));
      facts.campaign_messages = integers(element(p, 12));
      facts.campaign_streak = static_cast<std::uint32_t>(integer(element(p, 13)));
      facts.campaign_dialogue = integer(element(p, 14)) != 0;
      facts.campaign_first_seen = from_seconds(static_cast<std::uint32_t>(integer(element(p, 15))));
      facts.campaign_last_reply = from_seconds(static_cast<std::uint32_t>(integer(element(p, 16))));
      facts.campaign_steps = static_cast<std::uint32_t>(integer(element(p, 17)));
      facts.campaign_follows_template = integer(element(p, 18)) != 0;
      facts.campaign_senders = static_cast<std::uint32_t>(integer(element(p, 19)));
      history.pairs.push_back(std::move(facts));
    }
    const redisReply* campaign = element(reply, 9);
    if (integer(element(campaign, 0)) == 1) {
      auto& out = history.campaign;
      out.known = true;
      out.id = static_cast<std::uint32_t>(integer(element(campaign, 1)));
      out.joined = integer(element(campaign, 2)) != 0;
      out.linked_by = bulk(element(campaign, 3));
      out.brand = bulk(element(campaign, 4));
      out.mailboxes = static_cast<std::uint32_t>(integer(element(campaign, 5)));
      out.domains = static_cast<std::uint32_t>(integer(element(campaign, 6)));
      out.counts = {integers(element(campaign, 7)), integers(element(campaign, 8))};
    }
  }

  StoreSettings settings_;
  std::shared_ptr<const Clock> clock_;
  KeyedHasher hasher_;
  Windows windows_;
  std::string prefix_;
  std::string widths_text_;
  Pool pool_;
  // A minute: mail servers sharing this Redis raise streaks this process
  // does not see; past it the RCPT check asks Redis again.
  StreakCeilings ceilings_{std::chrono::seconds(60)};
};

}  // namespace

std::unique_ptr<Store> open_redis_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock,
                                        KeyedHasher hasher) {
  auto store = std::make_unique<RedisStore>(settings, std::move(clock), std::move(hasher));
  // An unreachable Redis may come back; refused credentials will not.
  std::string error;
  if (store->probe(error) == ConnectFailure::credentials) throw std::runtime_error(credentials_message(settings.redis, error));
  return store;
}

std::string check_redis(const RedisSettings& settings, bool& credentials_refused) {
  StoreSettings store;
  store.redis = settings;
  store.redis.pool_size = 1;
  Pool pool(store.redis);
  std::string error;
  ConnectFailure failure = pool.probe(error);
  credentials_refused = failure == ConnectFailure::credentials;
  if (failure == ConnectFailure::none) return {};
  return credentials_refused ? credentials_message(settings, error) : "Redis " + pool.describe() + " is unreachable: " + error;
}

}  // namespace pushback::state
