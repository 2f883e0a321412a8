// Between the configuration, the state layer and the decision: settings
// mapped onto the store's, the message turned into an Observation, and the
// store's History condensed into the facts the decision needs.
#pragma once

#include "config/config.hpp"
#include "scoring/analyse.hpp"
#include "scoring/decide.hpp"
#include "scoring/message.hpp"
#include "state/store.hpp"

namespace pushback::milter {

state::StoreSettings store_settings(const config::StateSettings& settings);

// Our own user sending out: from an internal domain, by an authenticated
// client or from a trusted network.
bool is_outbound(const scoring::Envelope& envelope, const config::DirectionSettings& direction);

// `identity` gives the brands of outbound recipients (a reply to any address
// of a campaign's organisation ends its streak); null: no brands.
state::Observation observation_of(const scoring::Message& message, const scoring::Analysis& analysis, bool outbound,
                                  state::TimePoint now, const config::CampaignIdentityData* identity);

// "acme (1a2b3c4d)": how headers and logs name a campaign.
std::string campaign_name(const state::CampaignFacts& campaign);

scoring::HistoryFacts facts_of(const state::History& history, state::TimePoint now);

// The History in one line for X-Pushback-History: counts per window.
std::string describe_history(const state::History& history);

}  // namespace pushback::milter
