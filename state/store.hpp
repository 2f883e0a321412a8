// The state interface: what the milter tells the store about each message
// (Observation), what it gets back (History), the cheap RCPT-time lookup
// (PairSnapshot) and the admin operations. Two backends implement it: LMDB
// (embedded, the default) and Redis (shared by several mail servers).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/campaign_evidence.hpp"
#include "scoring/fingerprint.hpp"
#include "state/clock.hpp"
#include "state/daily_counts.hpp"
#include "state/feedback.hpp"
#include "state/settings.hpp"
#include "state/targeted_staff.hpp"

namespace pushback::state {

enum class Direction {
  inbound,   // an external sender writes to internal recipients
  outbound,  // an internal user (sender) writes to external recipients
};

struct Observation {
  Direction direction = Direction::inbound;
  std::string sender;                   // envelope sender, normalise_address()d
  std::vector<std::string> recipients;  // envelope recipients, normalise_address()d
  std::string message_id;               // without angle brackets; empty when absent
  std::vector<std::string> in_reply_to; // ids without angle brackets (message_ids())
  std::vector<std::string> references;
  scoring::Fingerprint fingerprint;     // of the new text; ignored for outbound mail
  scoring::Fingerprint quoted_fingerprint;  // of the quoted history: links a follow-up to the step it quotes
  scoring::CampaignEvidence campaign;   // inbound: who runs the sequence (state/campaign.hpp links it)
  // Outbound: the brand and organisation name of each recipient's domain, in
  // recipient order ("" for none): a reply to any address of a campaign's
  // brand ends its streak, and to any of an organisation is a dialogue with it.
  std::vector<std::string> recipient_brands;
  std::vector<std::string> recipient_organisations;
  TimePoint time{};                     // when the message arrived; {} means the store's clock
};

enum class Outcome {
  counted,      // the message was counted
  duplicate,    // seen before (a retry or a second MX): counts are as after the first copy
  unavailable,  // the store could not be reached: nothing was counted, facts are empty
};

// Counts in each configured window, in the order of StoreSettings::windows.
struct WindowCounts {
  std::vector<std::uint32_t> messages;
  std::vector<std::uint32_t> recipients;  // distinct internal recipients
};

struct PairFacts {
  std::string recipient;             // as in the observation
  bool duplicate = false;            // this recipient already had this message
  std::uint32_t messages_total = 0;  // inbound messages from the sender to this recipient
  std::vector<std::uint32_t> messages;  // per window
  std::uint32_t streak = 0;  // inbound messages since the recipient last wrote to the sender
  bool dialogue = false;     // the recipient has written to the sender
  TimePoint first_seen{};
  TimePoint previous_seen{};  // the message before this one; {} for the first
  TimePoint last_reply{};     // the recipient's last message to the sender; {} if never
  std::uint32_t steps = 0;    // distinct templates sent to this recipient, this one included
  bool template_repeat = false;   // this template was already sent to this recipient
  bool follows_template = false;  // an earlier, different template was sent: a sequence step

  // The same recipient's view of the whole campaign, over all its mailboxes;
  // the pair's own figures while the campaign writes from one mailbox.
  std::uint32_t campaign_total = 0;
  std::vector<std::uint32_t> campaign_messages;  // per window
  std::uint32_t campaign_streak = 0;   // unanswered messages from any of its mailboxes
  bool campaign_dialogue = false;      // the recipient wrote to one of its mailboxes or its organisation
  TimePoint campaign_first_seen{};
  TimePoint campaign_last_reply{};
  std::uint32_t campaign_steps = 0;
  bool campaign_follows_template = false;
  std::uint32_t campaign_senders = 0;  // distinct mailboxes that wrote to this recipient (capped)
};

// The campaign a message was linked to: what one sales tool runs for one
// organisation, followed across rotated mailboxes and lookalike domains.
struct CampaignFacts {
  bool known = false;
  std::uint32_t id = 0;
  std::string brand;       // the brand it was first seen with; may be empty (webmail)
  bool joined = false;     // this message's sender joined it now
  std::string linked_by;   // why the sender belongs to it: "template lineage", "brand, display name", "new"
  std::uint32_t mailboxes = 0;  // distinct sending addresses seen (capped)
  std::uint32_t domains = 0;    // distinct sending domains seen (capped)
  WindowCounts counts;          // messages and distinct recipients
};

struct TemplateFacts {
  bool known = false;          // the message had a fingerprint and joined or opened a cluster
  std::uint64_t id = 0;        // cluster id (stable while the cluster lives)
  bool new_cluster = false;
  double similarity = 0;       // estimated Jaccard with the cluster's first member (1 when new)
  std::uint32_t messages_total = 0;
  WindowCounts counts;                  // messages and distinct recipients
  std::vector<std::uint32_t> senders;   // distinct senders per window
  bool saturated = false;      // a distinct count reached StoreSettings::distinct_cap
  TimePoint first_seen{};
  TimePoint last_seen{};
};

struct History {
  Outcome outcome = Outcome::unavailable;
  Direction direction = Direction::inbound;
  std::vector<std::chrono::seconds> windows;  // the windows of every per-window vector
  WindowCounts sender;
  WindowCounts domain;
  CampaignFacts campaign;
  TemplateFacts cluster;
  std::vector<PairFacts> pairs;  // one per recipient, in observation order
  bool cites_ids = false;        // In-Reply-To or References present
  bool answers_our_message = false;  // one of them is a Message-ID our users sent
  bool allowlisted = false;      // sender or its domain is on the runtime allowlist
  FeedbackFacts feedback;        // inbound: feedback on this template and sender
};

// The RCPT-time view of one (sender, recipient) pair.
struct PairSnapshot {
  bool available = false;  // false when the store could not be read
  bool known = false;      // the pair has been seen
  bool allowlisted = false;
  std::uint32_t streak = 0;
  bool dialogue = false;
  std::uint32_t messages_total = 0;
  TimePoint last_seen{};
  TimePoint last_reply{};
  // The campaign's view: over all its mailboxes; for a new mailbox, the
  // campaign its domain's brand belongs to.
  bool campaign_known = false;
  std::uint32_t campaign_streak = 0;
  bool campaign_dialogue = false;
  std::uint32_t campaign_senders = 0;
};

struct PairReport {
  std::string recipient;  // the keyed hash (hex; LMDB keeps its first 10 digits): never stored in clear
  std::uint32_t messages_total = 0;
  std::vector<std::uint32_t> messages;  // per window
  std::uint32_t streak = 0;
  bool dialogue = false;
  TimePoint first_seen{};
  TimePoint last_seen{};
  TimePoint last_reply{};
  std::uint32_t steps = 0;
  std::vector<std::uint64_t> templates;  // cluster ids (low 32 bits), oldest first
};

struct TemplateReport {
  std::uint64_t id = 0;
  std::uint32_t messages_total = 0;
  WindowCounts counts;
  std::vector<std::uint32_t> senders;
  bool saturated = false;
  TimePoint first_seen{};
  TimePoint last_seen{};
};

// Why mailboxes joined a campaign after its first (campaign_link.hpp).
struct CampaignLinkCount {
  std::string linked_by;  // "template lineage", "brand, display name", ...
  std::uint32_t joins = 0;
};
struct CampaignJoin {
  std::string mailbox;
  std::string linked_by;
  TimePoint joined{};
};

struct CampaignReport {
  bool known = false;
  std::uint32_t id = 0;
  std::string brand;
  std::vector<std::string> mailboxes;  // sibling addresses still in the store, this one included
  std::uint32_t mailbox_count = 0;     // as counted (capped), including expired ones
  std::uint32_t domain_count = 0;
  WindowCounts counts;
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::uint32_t longest_streak = 0;  // over its recipients
  std::vector<CampaignLinkCount> links;  // most joins first; empty while it writes from one mailbox
  std::vector<CampaignJoin> joins;       // the latest joins, oldest first
};

// One campaign as the console lists it.
struct CampaignSummary {
  std::uint32_t id = 0;
  std::string brand;
  std::string mailbox;  // one of its mailboxes still in the store, to open it by; empty when none is
  std::uint64_t reach = 0;  // distinct recipients over the longest window
  WindowCounts counts;      // messages and distinct recipients per window
  std::uint32_t mailboxes = 0;
  std::uint32_t domains = 0;
  std::uint32_t longest_streak = 0;
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::vector<CampaignLinkCount> links;  // what linked its other mailboxes
};

struct SenderReport {
  bool available = false;
  bool known = false;
  std::string sender;
  std::string domain;
  bool allowlisted = false;
  std::string allowlisted_by;  // "address", "domain" or "campaign" when allowlisted
  std::vector<std::chrono::seconds> windows;
  WindowCounts counts;
  WindowCounts domain_counts;
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::vector<PairReport> pairs;  // all pairs, or the one asked for
  std::vector<TemplateReport> templates;  // templates seen in those pairs that still exist
  CampaignReport campaign;
};

struct TopEntry {
  std::string name;  // sender address, or template id in hex
  std::uint64_t value = 0;
};

// Rankings over the longest window.
struct TopReport {
  bool available = false;
  std::vector<TopEntry> senders_by_streak;  // the longest unanswered streak of any pair
  std::vector<TopEntry> senders_by_reach;   // distinct recipients
  std::vector<TopEntry> senders_by_volume;  // messages
  std::vector<TopEntry> templates_by_reach; // distinct recipients
  // Campaigns, named "brand (id)": by the longest unanswered streak of any
  // recipient over all mailboxes, by distinct recipients, by mailboxes.
  std::vector<TopEntry> campaigns_by_streak;
  std::vector<TopEntry> campaigns_by_reach;
  std::vector<TopEntry> campaigns_by_mailboxes;
  // The campaigns with the most reach, with everything the console lists.
  std::vector<CampaignSummary> campaigns;
};

struct AllowEntry {
  std::string entry;  // a normalised address, or a domain
  TimePoint added{};
};

// What admins decided, which a new store must not lose: the runtime
// allowlist and the feedback marks (docs/state.md, "Recovery").
struct AllowDecision {
  std::string entry;  // as in AllowEntry; "campaign:ID" (8 hex digits) for a campaign
  TimePoint added{};
  // A campaign's mailboxes and brand when it was exported, so that a store
  // that never saw the campaign still lets its known mailboxes through.
  std::vector<std::string> campaign_mailboxes;
  std::string campaign_brand;
};
struct FeedbackMark {
  std::string subject;  // as feedback_subjects() names it: "t:…", "s:…", "c:…"
  std::uint32_t ham = 0;
  std::uint32_t outreach = 0;
  TimePoint touched{};
};
struct AdminDecisions {
  std::vector<AllowDecision> allows;
  std::vector<FeedbackMark> marks;
};

class Store {
 public:
  virtual ~Store() = default;

  // At end of message. Inbound: counts the message for the sender, its domain,
  // its template and each recipient. Outbound: the sender is our user and each
  // recipient an external address: resets those pairs' streaks, marks them a
  // dialogue and remembers the Message-ID. Never throws.
  virtual History observe(const Observation& observation) = 0;

  // At RCPT time: reads, no writes. `sender_brand` (scoring::organisation_of)
  // finds the campaign of a mailbox never seen before; `sender_organisation`
  // a dialogue with its organisation. Never throws.
  virtual PairSnapshot peek(std::string_view sender, std::string_view recipient, std::string_view sender_brand = {},
                            std::string_view sender_organisation = {}) = 0;

  // At RCPT time, before peek(): the highest streak that any pair of the
  // sender or of its campaign can have, when the store knows it without a
  // read; nullopt: ask peek(). A remote store skips a round trip this way
  // for senders far from a refusal. Never throws.
  virtual std::optional<std::uint32_t> streak_ceiling(std::string_view sender) {
    (void)sender;
    return std::nullopt;
  }

  // Admin. `recipient` empty: every pair of the sender.
  virtual SenderReport inspect(std::string_view sender, std::string_view recipient = {}) = 0;
  virtual TopReport top(std::size_t n) = 0;
  // Deletes the sender's own counts and pairs; returns false when unavailable.
  virtual bool forget(std::string_view sender) = 0;
  // Deletes a whole campaign, found by any of its addresses or its brand:
  // every mailbox's counts and pairs, the campaign's own records and its
  // evidence. Returns the number of mailboxes forgotten, -1 when unavailable
  // and 0 when no campaign was found.
  virtual int forget_campaign(std::string_view address_or_brand) = 0;
  // `entry` is an address, a domain, or "campaign:" and an address or brand
  // (the campaign it belongs to now, with every mailbox it adds later);
  // returns false when unavailable or when no such campaign is known.
  virtual bool allow(std::string_view entry) = 0;
  virtual bool disallow(std::string_view entry) = 0;
  virtual std::vector<AllowEntry> allowlist() = 0;

  // Periodic work for the maintenance timer: flush to disk and expire one batch
  // of idle keys. Returns the number of keys deleted.
  virtual std::size_t maintain() = 0;

  virtual const StoreSettings& settings() const = 0;

  // Feedback on one judged message (state/feedback.hpp): counts it for the
  // template and the sender; ham also makes each recipient's pair with the
  // sender a dialogue. Returns false when the store is unavailable.
  virtual bool record_feedback(const Feedback& feedback) = 0;
  // Every kind and source of decision with its count so far; empty when unavailable.
  virtual std::vector<FeedbackTotal> feedback_totals() = 0;

  // Every admin decision; nothing when the store is unavailable.
  virtual std::optional<AdminDecisions> export_decisions() = 0;
  // Adds decisions (a restore, a recovery): allowlist entries are added,
  // with a campaign's recorded mailboxes as address entries; a mark keeps
  // the higher of the stored and the imported counts, so importing twice
  // changes nothing. Returns false when unavailable.
  virtual bool import_decisions(const AdminDecisions& decisions) = 0;
  // A consistent copy of the whole store to a new file `path`, taken while
  // it is in use (LMDB, compacted); false with `error` set when the backend
  // cannot (Redis keeps its own persistence) or the copy fails.
  virtual bool copy_to(const std::string& path, std::string& error) {
    (void)path;
    error = "this backend keeps no file to copy";
    return false;
  }

  // --- Daily counts for the console (state/daily_counts.hpp) ---
  // Adds `days` to the stored counts, day by day; days older than
  // daily_retention_days expire. Returns false when unavailable.
  virtual bool add_daily_counts(const std::vector<DayCounts>& days) {
    (void)days;
    return false;
  }
  // The stored days in [first_day, last_day], oldest first; days without
  // counts are left out. Empty when unavailable.
  virtual std::vector<DayCounts> daily_counts(std::int64_t first_day, std::int64_t last_day) {
    (void)first_day;
    (void)last_day;
    return {};
  }
  // Adds each day's outreach per recipient (state/targeted_staff.hpp),
  // keeping the recipients only as keyed hashes; days older than
  // daily_retention_days expire. Returns false when unavailable.
  virtual bool add_targets(const std::vector<DayTargets>& days) {
    (void)days;
    return false;
  }
  // The `n` recipients most targeted in [first_day, last_day], named by
  // their keyed hash (hex), most first; nullopt when unavailable.
  virtual std::optional<std::vector<TopEntry>> most_targeted(std::int64_t first_day, std::int64_t last_day,
                                                             std::size_t n) {
    (void)first_day;
    (void)last_day;
    (void)n;
    return std::nullopt;
  }
};

// Opens the configured backend. Creates the state directory's secret key file
// on first start. Throws std::runtime_error when the LMDB store or the key file
// cannot be opened; a Redis store opens even when Redis is down.
std::unique_ptr<Store> open_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock);

// A release (ham feedback) is each recipient's "yes, this is for me": as if
// they had answered. The outbound observations both backends record for it;
// none for outreach feedback or without a sender.
std::vector<Observation> replies_of_release(const Feedback& feedback, std::uint32_t now);

// The ids in a Message-ID, In-Reply-To or References header value, without
// angle brackets (capped: long References chains keep their last 32 ids).
std::vector<std::string> message_ids(std::string_view header_value);

}  // namespace pushback::state
