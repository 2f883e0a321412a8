// What a sender personalises in a template, gathered from the addresses of a
// message: the recipients' names and companies and the sender's own name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scoring/mime_text.hpp"
#include "scoring/organisation.hpp"  // registrable_domain()

namespace pushback::scoring {

// Words in folded form (fold_text), each at least two characters.
struct Personalisation {
  std::vector<std::string> recipient_names;  // To:/Cc: display names, local-part pieces (jane.doe)
  std::vector<std::string> company_words;    // from the recipients' domains: acme-corp.com -> acme, corp, acmecorp, acme-corp
  std::vector<std::string> company_labels;   // the domain labels without hyphens: acmecorp
  std::vector<std::string> sender_names;     // From: display name and local-part pieces

  bool is_recipient_name(std::string_view word) const;
  // Also true for a word of four or more letters that starts or ends a
  // company label and covers at least a third of it: "northwind" and
  // "traders" of northwindtraders.com. Designators alone never are.
  bool is_company(std::string_view word) const;
  bool is_sender_name(std::string_view word) const;
  // The company's own name, not an ordinary word of its domain: the first
  // piece of a label ("radiant" of radiant-materials.com) or the whole label.
  bool is_company_brand(std::string_view word) const;
  std::vector<std::string> company_brands;
};

// Words that follow a brand in a company name ("Acme Analytics", "Tidewater
// Bank", "Redwood Logistics"): part of the company after its name, but too
// common to mask on their own.
bool is_company_designator(std::string_view word);

// Recipients are the To:/Cc: mailboxes plus the envelope recipients; at most
// 32 of them are used.
Personalisation personalisation_of(const std::vector<Mailbox>& recipients,
                                   const std::vector<std::string>& envelope_recipients,
                                   const std::vector<Mailbox>& senders);

// Whether an attribution line ("On ..., Jane Doe wrote:", "From: Doe, Jane")
// names neither the sender (any word of their name) nor a recipient (their
// whole name or address): the quoted history is a thread among other people,
// not the sender's own earlier step.
bool quotes_third_party(std::string_view author, const Personalisation& personalisation,
                        const std::vector<Mailbox>& recipients);

// Whether the message is signed as one person writes: a From: display name of
// two to four words, carried by an address that is not a role mailbox
// ("Jane Doe <jane.doe@...>", "<jdoe@...>"). Sales tools send that way;
// notices come from "Acme Billing <noreply@...>" or a bare address.
bool writes_as_person(const std::vector<Mailbox>& senders);


}  // namespace pushback::scoring
