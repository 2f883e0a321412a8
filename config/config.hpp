// The validated configuration as plain structs. Only config/ reads files; every
// other layer receives these values. Defaults live in the schema (schema.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/data_files.hpp"
#include "config/network.hpp"

#include "config/socket_spec.hpp"

namespace pushback::config {

enum class FailureAction { accept, tempfail };

struct MilterSettings {
  SocketSpec socket;
  std::string user;              // account to drop to when started as root; empty: stay
  std::string group;             // empty: the user's primary group
  std::string pid_file;          // empty: none
  std::uint32_t socket_mode = 0;  // permissions of a unix socket
  std::chrono::seconds timeout{0};
  FailureAction on_error = FailureAction::accept;
  std::int64_t max_body_bytes = 0;
  std::int64_t max_header_count = 0;
  std::int64_t max_header_bytes = 0;
  std::int64_t max_recipients = 0;
};

enum class LogTarget { stderr_stream, syslog };

struct LogSettings {
  LogTarget target = LogTarget::stderr_stream;
  std::string level;     // spdlog level name
  std::string facility;  // syslog facility name
};

struct HeaderSettings {
  bool add_report = true;
  std::int64_t max_report_length = 0;
};

struct AnalysisSettings {
  std::string phrases_file;   // resolved path of the follow-up lexicon
  std::string markers_file;   // resolved path of the outreach markers
  std::string campaign_file;  // resolved path of the campaign identity data
  std::string phrase_engine;  // "vectorscan" or "re2_set"
  std::string cold_pitch_model;  // resolved path of the text model; empty: no model ("none")
  // Loaded with the configuration, so that check-config and reload validate them.
  std::shared_ptr<const PhraseLexicon> lexicon;
  std::shared_ptr<const OutreachMarkers> markers;
  std::shared_ptr<const CampaignIdentityData> campaign_identity;
  // The model file's payload, its container already checked (model_file.hpp).
  std::shared_ptr<const std::string> cold_pitch_model_payload;
};

// Weights of the symbols: what an analyser's evidence is worth in the score.
struct SymbolWeights {
  double followup_phrase = 0;      // times the strongest matched phrase weight (0..1)
  double outreach_platform = 0;    // times the marker weight
  double tracking_pixel = 0;
  double link_tracking = 0;
  double booking_link = 0;
  double reply_without_thread = 0;
  double unanswered_streak = 0;    // per unanswered message after the first
  double pair_rate = 0;            // per message over pair_rate_messages in a window
  double sender_rate = 0;          // once the sender reached sender_rate_recipients
  double template_bulk = 0;        // once the template reached template_bulk_recipients
  double fake_reply = 0;
  double sequence_step = 0;
  double rotation = 0;             // the campaign writes from several mailboxes or domains
  double dialogue = 0;             // negative: the recipient wrote to the sender
  double feedback_ham = 0;         // negative: per release of this template (capped)
  double known_outreach = 0;       // an admin deleted or reported this template or sender
  double cold_pitch = 0;           // the text model reads a sales pitch or follow-up
  double mail_merge = 0;           // one text, personalised per recipient, to several of our users
};

// Where the graded symbols start.
struct SymbolLimits {
  std::int64_t unanswered_streak_cap = 0;     // messages counted at most
  std::int64_t pair_rate_messages = 0;        // per shortest window
  std::int64_t sender_rate_recipients = 0;    // distinct recipients in the shortest window
  std::int64_t template_bulk_recipients = 0;  // distinct recipients in the longest window
  std::int64_t mail_merge_recipients = 0;     // MAIL_MERGE: personalised copies to this many recipients
  std::int64_t rotation_mailboxes = 0;        // ROTATION: at least this many mailboxes...
  std::int64_t rotation_domains = 0;          // ...or this many sending domains in one campaign
  // The monologue symbols need one sign of outreach: a template this wide, a
  // phrase this strong (lexicon weight), a fake reply or sales tooling.
  std::int64_t outreach_template_recipients = 0;
  double outreach_phrase_weight = 0;
  // COLD_PITCH: the text model's probability at which the symbol fires.
  double cold_pitch_probability = 0;
};

struct StateSettings {
  std::string backend;  // "lmdb" or "redis"
  std::string dir;
  std::vector<std::chrono::seconds> windows;
  std::chrono::seconds retention{0};
  std::chrono::seconds dedup_window{0};
  std::chrono::seconds sync_interval{0};
  std::string durability;  // "periodic" or "commit"
  std::int64_t map_size = 0;
  std::int64_t snapshots_kept = 0;       // days of snapshots kept in state.dir/snapshots
  bool snapshot_whole_store = false;     // also a daily compacted copy of the LMDB store
  std::chrono::seconds verify_time_limit{0};  // the check of the LMDB store at start
  FailureAction on_unavailable = FailureAction::accept;
  double template_similarity = 0;
  std::string redis_host;
  std::int64_t redis_port = 0;
  std::string redis_socket;  // a unix socket instead of host and port
  std::int64_t redis_db = 0;
  std::string redis_password;  // from redis_password_file when that is set
  std::vector<std::string> redis_sentinels;  // "host:port"; not empty: ask them for the primary
  std::string redis_master_name;
  std::string redis_username;
  std::string redis_password_file;
  std::string redis_sentinel_username;
  std::string redis_sentinel_password_file;
  std::string redis_sentinel_password;  // read from redis_sentinel_password_file
  std::string redis_key_prefix;
  std::int64_t redis_connect_timeout_ms = 0;
  std::int64_t redis_command_timeout_ms = 0;
  std::int64_t redis_pool_size = 0;
};

// Which mail is ours going out: from an internal domain, and from an
// authenticated client or a trusted network.
struct DirectionSettings {
  std::vector<std::string> internal_domains;  // lower case
  std::vector<Network> trusted_networks;
  bool authenticated_is_outbound = true;
};

enum class Mode { enforce, monitor };

struct PolicySettings {
  Mode mode = Mode::enforce;
  double tag_threshold = 0;
  double quarantine_threshold = 0;
  double reject_threshold = 0;
  std::int64_t refuse_at_rcpt_streak = 0;  // 0: never refuse at RCPT
  bool rate_limit_tempfail = false;        // refusals driven by rates answer 451 instead of 550
  std::string subject_tag;                 // prefixed to tagged subjects; empty: none
  std::string reject_text;                 // {streak} is replaced
  std::string rcpt_reject_text;
  std::string tempfail_text;
  bool quarantine_lists = false;           // let subscribed list mail be quarantined or refused
  std::vector<std::string> allow_senders;  // normalised addresses
  std::vector<std::string> allow_domains;
  std::vector<std::string> allow_recipients;  // recipients who opted out of filtering
  std::vector<Network> allow_networks;
  std::vector<std::string> allow_auth_users;
  std::vector<std::string> block_senders;
  std::vector<std::string> block_domains;
};

struct MetricsSettings {
  bool enabled = true;
  std::string listen;             // HOST:PORT
  bool allow_non_loopback = false;
};

// Reviewing the hold queue: `pushback quarantine` and its digest.
struct QuarantineSettings {
  std::string mta;                 // auto, postfix, sendmail
  std::string command_dir;
  std::string postfix_config_dir;  // empty: Postfix's default
  std::string sendmail_config;     // sendmail.cf
  std::chrono::seconds expire_after{0};
  std::string expire_action;       // delete or release
  std::string digest_sender;       // empty: the digest is never sent
  std::chrono::seconds digest_period{0};
  std::string release_contact;
};

// The console (`pushback web`) and the digest's release links.
struct WebSettings {
  std::string listen;  // HOST:PORT
  bool allow_non_loopback = false;
  std::string public_url;     // empty: the digest carries no release links
  std::string password_file;  // the admin password's crypto_pwhash string
  std::chrono::seconds session_lifetime{0};
  std::chrono::seconds link_lifetime{0};
  std::int64_t login_attempts = 0;  // failed logins per client address per window
  std::chrono::seconds login_window{0};
  std::string staff_names;  // hash or address
};

struct Config {
  std::string source_path;  // the file this was loaded from, for messages
  MilterSettings milter;
  LogSettings log;
  HeaderSettings headers;
  AnalysisSettings analysis;
  SymbolWeights weights;
  SymbolLimits symbol_limits;
  StateSettings state;
  DirectionSettings direction;
  PolicySettings policy;
  MetricsSettings metrics;
  QuarantineSettings quarantine;
  WebSettings web;
};

}  // namespace pushback::config
