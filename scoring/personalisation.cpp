// Name and company words from addresses. Role mailboxes (info@, sales@) and
// webmail domains say nothing about the person, so they give no words.
#include "scoring/personalisation.hpp"

#include <algorithm>
#include <array>

#include "scoring/casefold.hpp"

namespace pushback::scoring {

namespace {

constexpr std::array role_local_parts{
    std::string_view("info"),    std::string_view("sales"),   std::string_view("contact"), std::string_view("admin"),
    std::string_view("support"), std::string_view("hello"),   std::string_view("office"),  std::string_view("team"),
    std::string_view("marketing"), std::string_view("hr"),    std::string_view("jobs"),    std::string_view("billing"),
    std::string_view("help"),    std::string_view("noreply"), std::string_view("no"),      std::string_view("reply"),
    std::string_view("postmaster"), std::string_view("webmaster"), std::string_view("mail"), std::string_view("careers"),
    std::string_view("press"),   std::string_view("hi"),      std::string_view("ceo"),     std::string_view("founder"),
};

constexpr std::array webmail_labels{
    std::string_view("gmail"),   std::string_view("googlemail"), std::string_view("yahoo"), std::string_view("hotmail"),
    std::string_view("outlook"), std::string_view("live"),    std::string_view("msn"),     std::string_view("icloud"),
    std::string_view("me"),      std::string_view("aol"),     std::string_view("gmx"),     std::string_view("web"),
    std::string_view("proton"),  std::string_view("protonmail"), std::string_view("yandex"), std::string_view("mail"),
    std::string_view("zoho"),    std::string_view("fastmail"), std::string_view("t-online"), std::string_view("orange"),
};

constexpr std::array brand_prefixes{
    std::string_view("get"), std::string_view("try"), std::string_view("use"), std::string_view("join"),
    std::string_view("go"),  std::string_view("with"),
};

bool in(std::string_view word, auto const& list) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

constexpr std::array designators{
    std::string_view("inc"),        std::string_view("llc"),       std::string_view("ltd"),
    std::string_view("limited"),    std::string_view("gmbh"),      std::string_view("ag"),
    std::string_view("sa"),         std::string_view("sarl"),      std::string_view("bv"),
    std::string_view("nv"),         std::string_view("plc"),       std::string_view("corp"),
    std::string_view("corporation"), std::string_view("co"),       std::string_view("group"),
    std::string_view("holdings"),   std::string_view("labs"),      std::string_view("lab"),
    std::string_view("tech"),       std::string_view("technologies"), std::string_view("technology"),
    std::string_view("media"),      std::string_view("analytics"), std::string_view("bank"),
    std::string_view("pay"),        std::string_view("payments"),  std::string_view("health"),
    std::string_view("healthcare"), std::string_view("software"),  std::string_view("systems"),
    std::string_view("solutions"),  std::string_view("digital"),   std::string_view("cloud"),
    std::string_view("ai"),         std::string_view("io"),        std::string_view("hq"),
    std::string_view("studio"),     std::string_view("studios"),   std::string_view("partners"),
    std::string_view("insurance"),  std::string_view("energy"),    std::string_view("logistics"),
    std::string_view("retail"),     std::string_view("foods"),     std::string_view("security"),
    std::string_view("robotics"),   std::string_view("dental"),    std::string_view("consulting"),
    std::string_view("capital"),    std::string_view("ventures"),  std::string_view("agency"),
    std::string_view("services"),   std::string_view("international"), std::string_view("global"),
    std::string_view("app"),        std::string_view("data"),      std::string_view("marketing"),
    std::string_view("networks"),   std::string_view("freight"),   std::string_view("traders"),
};

void add(std::vector<std::string>& words, std::string_view word, std::size_t min_length = 2) {
  if (word.size() < min_length) return;
  if (std::find(words.begin(), words.end(), word) == words.end()) words.emplace_back(word);
}

bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
}

// Calls each(piece) for the folded pieces of a name or local part, split at
// anything but letters and digits.
template <typename Each>
void for_each_piece(std::string_view text, Each&& each) {
  std::string folded = fold_text(text);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= folded.size(); ++i) {
    if (i < folded.size() && is_word_byte(folded[i])) continue;
    if (i > start) each(std::string_view(folded).substr(start, i - start));
    start = i + 1;
  }
}

bool has_digit(std::string_view word) {
  return std::any_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void add_local_part(std::vector<std::string>& names, std::string_view local) {
  for_each_piece(local, [&](std::string_view piece) {
    if (!has_digit(piece) && !in(piece, role_local_parts)) add(names, piece);
  });
}

void add_company(Personalisation& result, std::string_view domain) {
  std::string registrable = registrable_domain(domain);
  std::string label = registrable.substr(0, registrable.find('.'));
  if (label.empty() || in(label, webmail_labels)) return;
  auto& companies = result.company_words;
  auto& brands = result.company_brands;
  add(companies, label);
  add(brands, label, 3);
  std::string joined;
  for_each_piece(label, [&](std::string_view piece) {
    if (joined.empty() && !in(piece, designators)) add(brands, piece, 3);
    joined += piece;
    if (!in(piece, designators)) add(companies, piece, 3);
  });
  add(companies, joined);
  add(brands, joined, 3);
  add(result.company_labels, joined, 3);
  for (auto suffix : designators) {
    if (joined.size() > suffix.size() + 2 && joined.ends_with(suffix)) {
      auto bare = std::string_view(joined).substr(0, joined.size() - suffix.size());
      add(companies, bare, 3);
      add(brands, bare, 3);
    }
  }
  for (auto prefix : brand_prefixes) {
    if (joined.size() > prefix.size() + 2 && joined.starts_with(prefix)) {
      auto bare = std::string_view(joined).substr(prefix.size());
      add(companies, bare, 3);
      add(brands, bare, 3);
    }
  }
}

// `domains_seen` holds the domains already given to add_company(): a domain
// seen before adds nothing new (add() keeps every word once), so it is
// skipped. Recipients of one message often share a domain.
void add_mailbox(std::vector<std::string>& names, Personalisation* companies, std::string_view name,
                 std::string_view address, std::vector<std::string_view>* domains_seen = nullptr) {
  for_each_piece(name, [&](std::string_view piece) { add(names, piece); });
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return;
  add_local_part(names, address.substr(0, at));
  if (companies == nullptr) return;
  auto domain = address.substr(at + 1);
  if (domains_seen != nullptr) {
    if (std::find(domains_seen->begin(), domains_seen->end(), domain) != domains_seen->end()) return;
    domains_seen->push_back(domain);
  }
  add_company(*companies, domain);
}

}  // namespace

bool Personalisation::is_recipient_name(std::string_view word) const { return in(word, recipient_names); }
bool is_company_designator(std::string_view word) { return in(word, designators); }

bool Personalisation::is_company(std::string_view word) const {
  if (in(word, company_words)) return true;
  if (word.size() < 4) return false;
  bool starts_or_ends_a_label = std::any_of(company_labels.begin(), company_labels.end(), [&](const std::string& label) {
    return word.size() * 3 >= label.size() && (label.starts_with(word) || label.ends_with(word));
  });
  // The long list of designators only for a word that does.
  return starts_or_ends_a_label && !in(word, designators);
}
bool Personalisation::is_sender_name(std::string_view word) const { return in(word, sender_names); }
bool Personalisation::is_company_brand(std::string_view word) const { return in(word, company_brands); }

bool quotes_third_party(std::string_view author, const Personalisation& personalisation,
                        const std::vector<Mailbox>& recipients) {
  std::vector<std::string> words;
  bool names_sender = false;
  for_each_piece(author, [&](std::string_view piece) {
    if (has_digit(piece)) return;
    words.emplace_back(piece);
    names_sender = names_sender || personalisation.is_sender_name(piece);
  });
  if (words.empty() || names_sender) return false;
  // A recipient by their whole name or address: one shared surname is chance.
  std::string folded_author = fold_text(author);
  for (const auto& recipient : recipients) {
    if (!recipient.address.empty() && folded_author.find(fold_text(recipient.address)) != std::string::npos) return false;
    std::size_t pieces = 0;
    std::size_t found = 0;
    for_each_piece(recipient.name, [&](std::string_view piece) {
      ++pieces;
      if (in(piece, words)) ++found;
    });
    if (pieces > 0 && found == pieces) return false;
  }
  return true;
}

bool writes_as_person(const std::vector<Mailbox>& senders) {
  if (senders.size() != 1) return false;
  const auto& sender = senders.front();
  auto at = sender.address.rfind('@');
  if (at == std::string::npos || at == 0) return false;
  std::string local = fold_text(std::string_view(sender.address).substr(0, at));
  if (in(std::string_view(local), role_local_parts)) return false;
  std::vector<std::string> name;
  bool plain_words = true;
  for_each_piece(sender.name, [&](std::string_view piece) {
    plain_words = plain_words && !has_digit(piece);
    name.emplace_back(piece);
  });
  if (!plain_words || name.size() < 2 || name.size() > 4) return false;
  // jane.doe@, jane@, doe@, jdoe@, janed@: the address carries the name.
  for (const auto& word : name) {
    if (word.size() >= 3 && local.find(word) != std::string::npos) return true;
  }
  const auto& first = name.front();
  const auto& last = name.back();
  return local == first.substr(0, 1) + last || local == first + last.substr(0, 1);
}

Personalisation personalisation_of(const std::vector<Mailbox>& recipients,
                                   const std::vector<std::string>& envelope_recipients,
                                   const std::vector<Mailbox>& senders) {
  constexpr std::size_t max_recipients = 32;
  Personalisation result;
  std::vector<std::string_view> domains_seen;  // views into recipients and envelope_recipients
  // A recipient gives a few name words, a domain a few company words: room
  // for them at once rather than growing a word at a time.
  std::size_t expected = std::min(recipients.size() + envelope_recipients.size(), max_recipients);
  result.recipient_names.reserve(4 * expected);
  domains_seen.reserve(expected);
  std::size_t used = 0;
  for (const auto& mailbox : recipients) {
    if (++used > max_recipients) break;
    add_mailbox(result.recipient_names, &result, mailbox.name, mailbox.address, &domains_seen);
  }
  for (const auto& address : envelope_recipients) {
    if (++used > max_recipients) break;
    add_mailbox(result.recipient_names, &result, {}, address, &domains_seen);
  }
  for (const auto& mailbox : senders) add_mailbox(result.sender_names, nullptr, mailbox.name, mailbox.address);
  // A word of the sender's own name is not the recipient's.
  std::erase_if(result.recipient_names, [&](const std::string& word) { return in(word, result.sender_names); });
  return result;
}

}  // namespace pushback::scoring
