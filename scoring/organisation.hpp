// Who stands behind a domain name: its registrable domain (the Public Suffix
// List, through libpsl), and the brand that lookalike sending domains share
// once the affixes sales tools add are removed (acme-mail.com, getacme.com and
// acmehq.io are all "acme"). Pure: the affix and shared-domain lists come in.
#pragma once

#include <string>
#include <string_view>

#include "config/data_files.hpp"

namespace pushback::scoring {

// The registrable part of a host name by the Public Suffix List (libpsl's
// built-in copy): "mail.bbc.co.uk" -> "bbc.co.uk", "x.github.io" ->
// "x.github.io". Lower case, trailing dots removed; a host that is itself a
// public suffix, or not a domain name, is returned as it is.
std::string registrable_domain(std::string_view host);

// The brand of a registrable domain: its first label with hyphenated affix
// pieces dropped ("acme-mail"), then one known prefix ("getacme") and one
// known suffix ("acmehq") removed while at least four letters remain, and
// trailing digits ("acme2"). Empty for a domain without a label.
std::string brand_of(std::string_view registrable, const config::CampaignIdentityData& data);

// The organisation a brand stands for: one designator that follows a
// company's name removed ("kestrelinsurance" -> "kestrel", as Kestrel
// Insurance writes from kestrel.co.uk and kestrelinsurance.de). Broader than
// the brand (Summit Analytics and Summit Logistics share it), so it only
// ever makes mail more welcome: a reply to one of its addresses is a dialogue.
std::string organisation_name(std::string_view brand, const config::CampaignIdentityData& data);

// Whether two brands name one organisation: equal, or one edit apart
// (Damerau-Levenshtein: a letter added, removed, changed or two swapped)
// when both have at least five letters. Short brands must be equal.
bool lookalike_brands(std::string_view a, std::string_view b);

struct Organisation {
  std::string domain;       // as given, lower case
  std::string registrable;  // registrable_domain(domain)
  std::string brand;        // brand_of(registrable); empty when shared
  std::string name;         // organisation_name(brand)
  bool shared = false;      // webmail, ESP, ...: says nothing about who sends
};

Organisation organisation_of(std::string_view domain, const config::CampaignIdentityData& data);

}  // namespace pushback::scoring
