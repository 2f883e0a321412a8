// The console's rankings: the store's top lists, and each ranked campaign
// with its reach, mailboxes, domains and longest unanswered streak, joined
// with one of its mailboxes among the ranked senders (the way to its page).
// Computed on the ranking thread: it walks the whole store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "state/store.hpp"

namespace pushback::web {

struct CampaignRow {
  std::string name;    // "brand (0000002a)", as the store's rankings name it
  std::uint32_t id = 0;
  std::string sender;  // one of its mailboxes; "" when no ranked sender is one
  std::uint64_t reach = 0;  // distinct recipients in the longest window
  std::uint64_t mailboxes = 0;
  std::uint64_t domains = 0;  // known only for campaigns with a ranked sender
  std::uint64_t streak = 0;   // the longest unanswered streak of any recipient
};

struct Rankings {
  state::TopReport top;
  std::vector<CampaignRow> campaigns;  // by reach, most first
};

// `n` entries per top list; the first `n` distinct ranked senders are
// inspected once each (by reach, then streak, then volume).
Rankings rank(state::Store& store, std::size_t n);

// The id in a campaign's ranking name "brand (0000002a)"; 0 when there is none.
std::uint32_t campaign_id_of(const std::string& name);

}  // namespace pushback::web
