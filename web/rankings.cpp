// Joining the store's top lists into campaign rows.
#include "web/rankings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace pushback::web {

std::uint32_t campaign_id_of(const std::string& name) {
  auto open = name.rfind('(');
  if (open == std::string::npos || name.size() != open + 10 || name.back() != ')') return 0;
  try {
    return static_cast<std::uint32_t>(std::stoul(name.substr(open + 1, 8), nullptr, 16));
  } catch (const std::exception&) {
    return 0;
  }
}

Rankings rank(state::Store& store, std::size_t n) {
  Rankings out;
  out.top = store.top(n);
  std::map<std::uint32_t, CampaignRow> rows;
  auto row_of = [&](const std::string& name) -> CampaignRow& {
    auto id = campaign_id_of(name);
    auto& row = rows[id];
    row.id = id;
    row.name = name;
    return row;
  };
  for (const auto& entry : out.top.campaigns_by_reach) row_of(entry.name).reach = entry.value;
  for (const auto& entry : out.top.campaigns_by_mailboxes) row_of(entry.name).mailboxes = entry.value;
  for (const auto& entry : out.top.campaigns_by_streak) row_of(entry.name).streak = entry.value;
  // Each inspection lists its campaign's mailboxes (a walk over the senders):
  // the first n distinct ranked senders are enough to reach the ranked campaigns.
  std::vector<std::string> senders;
  for (const auto* list : {&out.top.senders_by_reach, &out.top.senders_by_streak, &out.top.senders_by_volume}) {
    for (const auto& entry : *list) {
      if (senders.size() < n && std::find(senders.begin(), senders.end(), entry.name) == senders.end()) {
        senders.push_back(entry.name);
      }
    }
  }
  for (const auto& sender : senders) {
    // One pair is enough: the campaign's figures come with any of them.
    auto report = store.inspect(sender, "-");
    const auto& campaign = report.campaign;
    if (!campaign.known) continue;
    auto& row = rows[campaign.id];
    row.id = campaign.id;
    if (row.name.empty()) row.name = fmt::format("{} ({:08x})", campaign.brand.empty() ? "-" : campaign.brand, campaign.id);
    if (row.sender.empty()) row.sender = sender;
    row.domains = std::max<std::uint64_t>(row.domains, campaign.domain_count);
    row.mailboxes = std::max<std::uint64_t>(row.mailboxes, campaign.mailbox_count);
    row.streak = std::max<std::uint64_t>(row.streak, campaign.longest_streak);
    if (!campaign.counts.recipients.empty()) row.reach = std::max<std::uint64_t>(row.reach, campaign.counts.recipients.back());
  }
  for (auto& [id, row] : rows) out.campaigns.push_back(std::move(row));
  std::stable_sort(out.campaigns.begin(), out.campaigns.end(),
                   [](const CampaignRow& a, const CampaignRow& b) { return a.reach > b.reach; });
  return out;
}

}  // namespace pushback::web
