// The decision: forced results, graded history symbols, thresholds.
#include "scoring/decide.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "scoring/header_text.hpp"

namespace pushback::scoring {

namespace {


bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// "example.com" matches example.com and its subdomains.
bool domain_listed(const std::vector<std::string>& domains, std::string_view domain) {
  for (const auto& listed : domains) {
    if (domain == listed) return true;
    if (domain.size() > listed.size() && domain.substr(domain.size() - listed.size()) == listed &&
        domain[domain.size() - listed.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string allowlisted_reason(const Envelope& envelope, bool runtime_allowlisted, const config::PolicySettings& policy) {
  std::string sender = to_lower(envelope.mail_from);
  if (contains(policy.allow_senders, sender)) return "allowlisted sender";
  if (domain_listed(policy.allow_domains, domain_of(sender))) return "allowlisted domain";
  if (!envelope.client_addr.empty() && config::in_networks(policy.allow_networks, envelope.client_addr)) {
    return "allowlisted client network";
  }
  if (!envelope.auth_user.empty() && contains(policy.allow_auth_users, envelope.auth_user)) {
    return "allowlisted authenticated user";
  }
  if (runtime_allowlisted) return "allowlisted at run time";
  if (!envelope.recipients.empty() &&
      std::all_of(envelope.recipients.begin(), envelope.recipients.end(),
                  [&](const std::string& r) { return contains(policy.allow_recipients, to_lower(r)); })) {
    return "recipients opted out";
  }
  return {};
}

namespace {

std::string forced_reject(const Message& message, const config::PolicySettings& policy) {
  std::string sender = to_lower(message.envelope.mail_from);
  if (contains(policy.block_senders, sender)) return "blocklisted sender";
  if (domain_listed(policy.block_domains, domain_of(sender))) return "blocklisted domain";
  return {};
}

// Counts alone do not make outreach: colleagues and automated senders also
// write many times without an answer. The monologue symbols count only when
// the message also looks like outreach: a template that reached several of our
// users, clear follow-up wording, a fake reply or sales tooling.
// What the message itself says: clear follow-up wording, a fake reply, or
// sales tooling. Automated notices share templates and go unanswered too, but
// they do not pretend to be a conversation.
bool has_outreach_content(const Analysis& analysis, const config::Config& config, const std::vector<Symbol>& symbols) {
  for (const auto& hit : analysis.phrases) {
    if (hit.weight >= config.symbol_limits.outreach_phrase_weight) return true;
  }
  for (const auto& symbol : symbols) {
    // The text model reads a pitch or a sales follow-up where no phrase of the lexicon is.
    if (symbol.name == "FAKE_REPLY" || symbol.name == "OUTREACH_PLATFORM" || symbol.name == "COLD_PITCH") return true;
    // Newsletters carry pixels too; a pixel in mail signed by a person is a sales tool's.
    if (symbol.name == "TRACKING_PIXEL" && analysis.text.from_person) return true;
  }
  return false;
}

// A pitch that reached several of our users counts when it is from a person
// or to one: signed by one ("Jane Doe <jane@...>") or written to one (the
// recipient's name or company filled in). Reach is the template's, or the
// sender's (its campaign's) over the longest window: the first recipients of
// a new step have not seen its text yet, but the sender already wrote to many.
// The same notice from "noreply@" or a bare role address is an announcement.
bool looks_like_outreach(const Analysis& analysis, const HistoryFacts& h, const config::Config& config,
                         const std::vector<Symbol>& symbols) {
  const auto& text = analysis.text;
  bool personal = text.from_person || text.names_recipient;
  std::uint32_t reach = std::max(h.template_recipients_long, h.sender_recipients_long);
  bool personal_pitch = personal && reach >= config.symbol_limits.outreach_template_recipients;
  return personal_pitch || has_outreach_content(analysis, config, symbols);
}

void add_history_symbols(const HistoryFacts& h, const config::Config& config, bool outreach, bool names_recipient,
                         std::vector<Symbol>& symbols) {
  const auto& w = config.weights;
  const auto& limits = config.symbol_limits;
  if (h.dialogue) {
    symbols.push_back({"DIALOGUE", w.dialogue,
                       h.days_since_reply > 0 ? fmt::format("the recipient wrote to the sender {} days ago", h.days_since_reply)
                                              : std::string("the recipient wrote to the sender")});
    return;  // a conversation: no monologue symbols
  }
  if (h.campaign_dialogue) {
    symbols.push_back({"DIALOGUE", w.dialogue,
                       fmt::format("the recipient wrote to another mailbox of campaign {}", h.campaign)});
    return;
  }
  if (!outreach) return;
  // The campaign's count over all its mailboxes when it is the higher one.
  const bool campaign_streak = h.campaign_streak > h.streak;
  const std::uint32_t streak = campaign_streak ? h.campaign_streak : h.streak;
  if (streak >= 2) {
    auto counted = std::min<std::int64_t>(streak, limits.unanswered_streak_cap);
    symbols.push_back(
        {"UNANSWERED_STREAK", w.unanswered_streak * static_cast<double>(counted - 1),
         campaign_streak ? fmt::format("{} messages from {} addresses of one campaign, 0 replies, {} days", streak,
                                       h.campaign_streak_senders, h.campaign_streak_days)
                         : fmt::format("{} messages, 0 replies, {} days", h.streak, h.streak_days)});
  }
  const bool campaign_rate = h.campaign_pair_messages_short > h.pair_messages_short;
  const std::uint32_t pair_messages = campaign_rate ? h.campaign_pair_messages_short : h.pair_messages_short;
  if (pair_messages > limits.pair_rate_messages) {
    // Capped, so that a burst cannot outweigh everything else.
    auto excess = std::min<std::int64_t>(pair_messages - limits.pair_rate_messages, 3);
    symbols.push_back({"PAIR_RATE", w.pair_rate * static_cast<double>(excess),
                       fmt::format("{} messages to this recipient in {}{}", pair_messages, h.short_window,
                                   campaign_rate ? " from one campaign" : "")});
  }
  if (!h.campaign.empty() && (h.campaign_mailboxes >= limits.rotation_mailboxes ||
                              h.campaign_domains >= limits.rotation_domains)) {
    // Each sending domain beyond the limit is more infrastructure bought to
    // send one sequence: half the weight more, up to twice the weight.
    double strength = 1.0;
    if (h.campaign_domains >= limits.rotation_domains) {
      strength = std::min(1.0 + 0.5 * static_cast<double>(h.campaign_domains - limits.rotation_domains), 2.0);
    }
    symbols.push_back({"ROTATION", w.rotation * strength,
                       fmt::format("campaign {} writes from {} mailboxes / {} domains", h.campaign,
                                   h.campaign_mailboxes, h.campaign_domains)});
  }
  if (h.sender_recipients_short >= limits.sender_rate_recipients) {
    symbols.push_back({"SENDER_RATE", w.sender_rate,
                       fmt::format("{} recipients in {}", h.sender_recipients_short, h.short_window)});
  }
  if (names_recipient && h.template_recipients_long >= limits.mail_merge_recipients &&
      h.template_messages_long >= h.template_recipients_long &&
      h.sender_recipients_long >= static_cast<std::uint32_t>(limits.mail_merge_recipients)) {
    // One copy per person, each with that person's name, from this sender (or
    // its campaign): a mail merge. People who happen to write alike do not
    // add up, and one message to several people is no merge.
    symbols.push_back({"MAIL_MERGE", w.mail_merge,
                       fmt::format("same text with each recipient's name, to {} recipients in {} messages in {}",
                                   h.template_recipients_long, h.template_messages_long, h.long_window)});
  }
  if (h.template_recipients_long >= limits.template_bulk_recipients) {
    symbols.push_back({"TEMPLATE_BULK", w.template_bulk,
                       fmt::format("same text to {} recipients from {} sender(s) in {}", h.template_recipients_long,
                                   h.template_senders_long, h.long_window)});
  }
  if (h.campaign_sequence_step && (!h.sequence_step || h.campaign_steps > h.steps)) {
    symbols.push_back({"SEQUENCE_STEP", w.sequence_step,
                       fmt::format("step {} to this recipient from campaign {}", h.campaign_steps, h.campaign)});
  } else if (h.sequence_step) {
    symbols.push_back({"SEQUENCE_STEP", w.sequence_step, fmt::format("step {} to this recipient", h.steps)});
  }
}

// First-contact evidence (the text model's reading, a mail merge) lifts a
// message to the tag line and no further: it counts while the other evidence
// stays under the tag threshold, only its strongest piece counts, and that at
// most the gap between the tag and hold thresholds, so the sum stays under
// the hold line whatever the weights. Once other evidence tags the message (a
// streak, a step, admins' feedback) it adds nothing: a text the model
// misreads, or a merge, is never held for it.
bool lifts_to_tag_line(const Symbol& symbol) { return symbol.name == "COLD_PITCH" || symbol.name == "MAIL_MERGE"; }

void count_first_contact_evidence_up_to_the_tag_line(const config::PolicySettings& policy,
                                                      std::vector<Symbol>& symbols) {
  double others = 0;
  Symbol* strongest = nullptr;
  for (auto& symbol : symbols) {
    if (!std::isfinite(symbol.score)) continue;
    if (!lifts_to_tag_line(symbol)) {
      others += symbol.score;
    } else if (strongest == nullptr || symbol.score > strongest->score) {
      strongest = &symbol;
    }
  }
  for (auto& symbol : symbols) {
    if (!lifts_to_tag_line(symbol) || symbol.score == 0) continue;
    if (others >= policy.tag_threshold) {
      symbol.score = 0;
      symbol.reason += "; the other evidence already tags";
    } else if (&symbol != strongest) {
      symbol.score = 0;
      symbol.reason += fmt::format("; counted once, as {}", strongest->name);
    } else {
      symbol.score = std::min(symbol.score, policy.quarantine_threshold - policy.tag_threshold);
    }
  }
}

// What admins decided about earlier mail of this template or sender. A
// release lowers the template's score for everyone; a delete tags its next
// first message at once, unless the recipient is in a conversation with the sender.
void add_feedback_symbols(const HistoryFacts& h, const config::Config& config, std::vector<Symbol>& symbols) {
  constexpr std::uint32_t ham_counted = 3;
  std::uint32_t ham = std::max(h.template_ham, h.sender_ham);
  if (ham > 0) {
    symbols.push_back({"FEEDBACK_HAM", config.weights.feedback_ham * static_cast<double>(std::min(ham, ham_counted)),
                       fmt::format("released {} time(s) as not outreach", ham)});
  }
  if (!h.dialogue && (h.template_outreach > 0 || h.sender_outreach > 0)) {
    std::string reason = h.template_outreach > 0
                             ? fmt::format("this template was marked outreach {} time(s)", h.template_outreach)
                             : fmt::format("this sender was marked outreach {} time(s)", h.sender_outreach);
    symbols.push_back({"KNOWN_OUTREACH", config.weights.known_outreach, reason});
  }
}

Action action_for(double score, const config::PolicySettings& policy) {
  if (score >= policy.reject_threshold) return Action::reject;
  if (score >= policy.quarantine_threshold) return Action::quarantine;
  if (score >= policy.tag_threshold) return Action::tag;
  return Action::pass;
}

std::string fill(std::string text, std::uint32_t streak) {
  auto at = text.find("{streak}");
  if (at != std::string::npos) text.replace(at, 8, std::to_string(streak));
  return text;
}

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::pass: return "pass";
    case Action::tag: return "tag";
    case Action::quarantine: return "quarantine";
    case Action::reject: return "reject";
    case Action::tempfail: return "tempfail";
  }
  return "pass";
}

bool is_list_mail(const Message& message) {
  if (!message.find_header("List-Id")) return false;
  for (const char* name : {"List-Unsubscribe", "List-Post", "List-Help", "List-Subscribe", "List-Archive",
                           "X-Mailman-Version", "X-BeenThere"}) {
    if (message.find_header(name)) return true;
  }
  const Header* precedence = message.find_header("Precedence");
  return precedence && (iequals(precedence->value, "bulk") || iequals(precedence->value, "list"));
}

bool is_automated_mail(const Message& message) {
  if (const Header* auto_submitted = message.find_header("Auto-Submitted")) {
    std::string value = to_lower(auto_submitted->value);
    value.erase(0, value.find_first_not_of(" \t"));
    if (!value.empty() && value.rfind("no", 0) != 0) return true;
  }
  const Header* precedence = message.find_header("Precedence");
  if (!precedence) return false;
  std::string value = to_lower(precedence->value);
  return value.find("bulk") != std::string::npos || value.find("junk") != std::string::npos ||
         value.find("list") != std::string::npos;
}

Verdict decide(const Message& message, const Analysis& analysis, const HistoryFacts& history,
               const config::Config& config) {
  const auto& policy = config.policy;
  Verdict verdict;
  verdict.monitor = policy.mode == config::Mode::monitor;
  verdict.list_mail = is_list_mail(message);
  verdict.automated = !verdict.list_mail && is_automated_mail(message);
  verdict.streak = std::max(history.streak, history.campaign_streak);
  if (history.outbound) {
    verdict.forced = "outbound";
    return verdict;
  }

  verdict.symbols = analysis.symbols;
  if (history.available && !verdict.list_mail && !verdict.automated) {
    // A list is many-to-many: streaks and replies say nothing about it.
    // With the store's knowledge a reply is checked against what our users
    // sent: FAKE_REPLY replaces the analysis-only REPLY_WITHOUT_THREAD.
    // A reply that quotes other people (a thread our user was copied into
    // or sent on) is real even though none of our users wrote to the sender.
    bool looks_like_reply = analysis.reply.subject.replies > 0 || history.cites_ids;
    if (looks_like_reply && !history.answers_our_message && !history.dialogue && !history.campaign_dialogue &&
        !analysis.text.quotes_third_party) {
      std::erase_if(verdict.symbols, [](const Symbol& s) { return s.name == "REPLY_WITHOUT_THREAD"; });
      verdict.symbols.push_back({"FAKE_REPLY", config.weights.fake_reply,
                                 history.cites_ids ? "replies to a message none of our users sent"
                                                   : "Re: subject, and none of our users wrote to the sender"});
    }
    add_history_symbols(history, config, looks_like_outreach(analysis, history, config, verdict.symbols),
                        analysis.text.names_recipient, verdict.symbols);
    add_feedback_symbols(history, config, verdict.symbols);
  }
  count_first_contact_evidence_up_to_the_tag_line(policy, verdict.symbols);
  for (auto& symbol : verdict.symbols) {
    if (!std::isfinite(symbol.score)) symbol.score = 0;
  }
  std::stable_sort(verdict.symbols.begin(), verdict.symbols.end(),
                   [](const Symbol& a, const Symbol& b) { return std::fabs(a.score) > std::fabs(b.score); });
  verdict.score = total_score(verdict.symbols);

  if (auto why = allowlisted_reason(message.envelope, history.allowlisted, policy); !why.empty()) {
    verdict.forced = why;
    verdict.computed = Action::pass;
  } else if (auto block = forced_reject(message, policy); !block.empty()) {
    verdict.forced = block;
    verdict.computed = Action::reject;
  } else {
    verdict.computed = action_for(verdict.score, policy);
    if ((verdict.list_mail || verdict.automated) && !policy.quarantine_lists && verdict.computed > Action::tag) {
      verdict.computed = Action::tag;  // subscribed lists are never held or refused by default
    }

  }
  if (verdict.computed == Action::reject && verdict.forced.empty() && policy.rate_limit_tempfail &&
      !verdict.symbols.empty() &&
      (verdict.symbols.front().name == "PAIR_RATE" || verdict.symbols.front().name == "SENDER_RATE")) {
    verdict.computed = Action::tempfail;
  }
  if (verdict.computed == Action::reject) verdict.reply_text = fill(policy.reject_text, verdict.streak);
  if (verdict.computed == Action::tempfail) verdict.reply_text = policy.tempfail_text;
  verdict.action = verdict.monitor ? Action::pass : verdict.computed;
  return verdict;
}

}  // namespace pushback::scoring
