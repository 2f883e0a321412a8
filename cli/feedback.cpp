// `pushback feedback --ham|--outreach ITEM...`: a user's or an admin's verdict
// on mail Pushback judged, from message files (a Dovecot imapsieve script
// pipes the message in as "-") or from held queue ids. Only what the message's
// seal vouches for is learned: the envelope sender the milter saw and the
// template it matched. A file without a valid seal teaches nothing.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/quarantine.hpp"
#include "cli/review.hpp"
#include "milter/address.hpp"
#include "scoring/header_text.hpp"
#include "scoring/message.hpp"

namespace pushback::cli {

namespace {

constexpr std::size_t max_message_bytes = 64u << 20;

std::optional<std::string> read_message(const std::string& item, std::string& error) {
  std::string text;
  if (item == "-") {
    std::istreambuf_iterator<char> begin(std::cin), end;
    for (; begin != end && text.size() < max_message_bytes; ++begin) text.push_back(*begin);
    return text;
  }
  std::ifstream in(item, std::ios::binary);
  if (!in) {
    error = "cannot be read";
    return std::nullopt;
  }
  text.resize(max_message_bytes);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

// The first (top-most) value of a header: what the last hop, our own
// delivery agent, wrote. A sender can add the same header further down.
std::string first_value(const quarantine::HeaderBlock& block, std::string_view name) {
  for (const auto& field : block.fields) {
    if (scoring::iequals(field.name, name)) return field.value;
  }
  return {};
}

bool is_file(const std::string& item) {
  struct stat info {};
  return item == "-" || ::stat(item.c_str(), &info) == 0;
}

}  // namespace

int feedback(const FeedbackOptions& options) {
  if (options.ham == options.outreach) {
    std::fputs("pushback feedback: say --ham or --outreach\n", stderr);
    return 2;
  }
  auto kind = options.ham ? state::FeedbackKind::ham : state::FeedbackKind::outreach;
  const char* kind_name = options.ham ? "not outreach" : "outreach";
  bool any_id = false;
  for (const auto& item : options.items) any_id = any_id || !is_file(item);
  auto review = open_review(options.config_path, "feedback", any_id);
  if (!review) return 78;
  state::Store* store = open_store(*review, "feedback");
  if (!store) return 1;
  std::optional<HeldListing> listing;
  std::string who = who_ran();
  int status = 0;
  for (const auto& item : options.items) {
    std::string sender;
    std::vector<std::string> recipients;
    std::optional<quarantine::SealFacts> verdict;
    std::string where = item == "-" ? std::string("standard input") : item;
    if (is_file(item)) {
      std::string error;
      auto text = read_message(item, error);
      if (!text) {
        std::fprintf(stderr, "pushback feedback: %s: %s\n", where.c_str(), error.c_str());
        status = 1;
        continue;
      }
      auto headers = quarantine::parse_header_block(*text);
      sender = milter::strip_angle_brackets(scoring::sanitise_header_value(first_value(headers, "Return-Path")));
      verdict = quarantine::find_seal(headers, sender, *review->sealer);
      std::string recipient = options.recipient.find('@') != std::string::npos ? options.recipient : "";
      if (recipient.empty()) recipient = scoring::sanitise_header_value(first_value(headers, "Delivered-To"));
      if (recipient.empty()) recipient = scoring::sanitise_header_value(first_value(headers, "X-Original-To"));
      if (!recipient.empty()) recipients.push_back(milter::strip_angle_brackets(recipient));
    } else {
      if (auto missing = review->queue->missing_read_rights(); !missing.empty()) {
        std::fprintf(stderr, "pushback feedback: %s\n", missing.c_str());
        return 77;
      }
      if (!review->queue->valid_id(item)) {
        std::fprintf(stderr, "pushback feedback: %s: neither a file nor a queue id\n", where.c_str());
        status = 1;
        continue;
      }
      if (!listing) listing = list_ours(*review, "feedback");
      for (const auto& held : listing->ours) {
        if (held.entry.queue_id != item) continue;
        sender = held.entry.sender;
        recipients = held.entry.recipients;
        verdict = held.verdict;
      }
    }
    if (!verdict) {
      std::fprintf(stderr,
                   "pushback feedback: %s: no valid X-Pushback-Seal for sender <%s>: Pushback did not judge "
                   "this message as it is, nothing learned\n",
                   where.c_str(), sender.c_str());
      status = 1;
      continue;
    }
    if (!store->record_feedback(feedback_of(kind, sender, recipients, *verdict))) {
      std::fprintf(stderr, "pushback feedback: %s: the state store is unavailable, nothing learned\n", where.c_str());
      status = 1;
      continue;
    }
    audit(fmt::format("feedback {}: from=<{}> template={} recipients={} by {} ({})", kind_name, sender,
                      verdict->template_known ? fmt::format("{:08x}", verdict->template_id) : "unknown",
                      recipients.size(), who, where));
  }
  return status;
}

}  // namespace pushback::cli
