// Reads the campaign evidence out of a message: organisation, persona,
// Reply-To, List-Unsubscribe, and the sender's own link and image hosts.
#include "scoring/campaign_evidence.hpp"

#include <algorithm>

#include "scoring/casefold.hpp"
#include "scoring/markers.hpp"

namespace pushback::scoring {

namespace {

// Folded words of letters and digits, one space apart.
std::string folded_words(std::string_view text, std::size_t max_bytes) {
  std::string folded = fold_text(text.substr(0, std::min(text.size(), max_bytes)));
  std::string out;
  bool space = false;
  for (char c : folded) {
    bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
    if (word) {
      if (space && !out.empty()) out.push_back(' ');
      out.push_back(c);
      space = false;
    } else {
      space = true;
    }
  }
  return out;
}

std::size_t word_count(std::string_view words) {
  return words.empty() ? 0 : static_cast<std::size_t>(std::count(words.begin(), words.end(), ' ')) + 1;
}

// The addr-spec of a header value: inside the last <...>, else the first
// word with an '@'.
std::string address_in(std::string_view value) {
  auto open = value.rfind('<');
  auto close = open == std::string_view::npos ? std::string_view::npos : value.find('>', open);
  if (close != std::string_view::npos) return to_lower(value.substr(open + 1, close - open - 1));
  auto at = value.find('@');
  if (at == std::string_view::npos) return {};
  auto start = value.find_last_of(" \t,;\"", at);
  start = start == std::string_view::npos ? 0 : start + 1;
  auto end = value.find_first_of(" \t,;\">", at);
  return to_lower(value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

// Phone numbers: runs of digits, spaces, dots, dashes, parentheses and a
// leading '+', holding 9 to 15 digits.
std::vector<std::string> phones_in(std::string_view text) {
  std::vector<std::string> out;
  std::string digits;
  auto flush = [&] {
    if (digits.size() >= 9 && digits.size() <= 15 && out.size() < 2) out.push_back(digits);
    digits.clear();
  };
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (!(c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '+') || c == '\n') {
      flush();
    }
  }
  flush();
  return out;
}

bool host_in(std::string_view host, const std::vector<config::HostMarker>& entries) {
  return std::any_of(entries.begin(), entries.end(), [&](const config::HostMarker& entry) {
    if (entry.host.empty()) return false;
    return host == entry.host ||
           (host.size() > entry.host.size() && host.ends_with(entry.host) && host[host.size() - entry.host.size() - 1] == '.');
  });
}

// The http(s) URLs written in plain text, at most `limit`.
void urls_in_text(std::string_view text, std::vector<std::string>& out, std::size_t limit) {
  std::size_t at = 0;
  while (out.size() < limit) {
    at = text.find("http", at);
    if (at == std::string_view::npos) break;
    auto end = text.find_first_of(" \t\r\n<>\"')]", at);
    std::string_view url = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (url.starts_with("http://") || url.starts_with("https://")) out.emplace_back(url);
    at += std::max<std::size_t>(url.size(), 4);
  }
}

class Collector {
 public:
  void add(EvidenceKind kind, std::string value) {
    if (value.empty() || items_.size() >= max_campaign_evidence) return;
    bool seen = std::any_of(items_.begin(), items_.end(),
                            [&](const EvidenceItem& item) { return item.kind == kind && item.value == value; });
    if (!seen) items_.push_back({kind, std::move(value)});
  }
  std::vector<EvidenceItem> take() { return std::move(items_); }

 private:
  std::vector<EvidenceItem> items_;
};

}  // namespace

EvidenceFamily family_of(EvidenceKind kind) {
  switch (kind) {
    case EvidenceKind::brand:
    case EvidenceKind::brand_variant: return EvidenceFamily::organisation;
    case EvidenceKind::display_name: return EvidenceFamily::persona;
    case EvidenceKind::signature:
    case EvidenceKind::phone: return EvidenceFamily::signature;
    case EvidenceKind::reply_to: return EvidenceFamily::reply_to;
    case EvidenceKind::unsubscribe: return EvidenceFamily::unsubscribe;
    case EvidenceKind::host:
    case EvidenceKind::booking: return EvidenceFamily::infrastructure;
    case EvidenceKind::platform_account: return EvidenceFamily::platform;
    case EvidenceKind::same_template: return EvidenceFamily::lineage;
  }
  return EvidenceFamily::organisation;
}

std::string_view to_string(EvidenceKind kind) {
  switch (kind) {
    case EvidenceKind::brand: return "brand";
    case EvidenceKind::display_name: return "display name";
    case EvidenceKind::signature: return "signature";
    case EvidenceKind::phone: return "phone";
    case EvidenceKind::reply_to: return "reply-to";
    case EvidenceKind::unsubscribe: return "unsubscribe host";
    case EvidenceKind::host: return "link host";
    case EvidenceKind::booking: return "booking page";
    case EvidenceKind::brand_variant: return "lookalike brand";
    case EvidenceKind::platform_account: return "platform account";
    case EvidenceKind::same_template: return "same template";
  }
  return "evidence";
}

CampaignEvidence campaign_evidence_of(const Message& message, const TextFeatures& text,
                                      const config::CampaignIdentityData& data, const config::OutreachMarkers* markers) {
  CampaignEvidence out;
  std::string sender = to_lower(message.envelope.mail_from);
  if (sender.find('@') == std::string::npos) sender = to_lower(text.from_address);
  out.sender = organisation_of(domain_of(sender), data);
  Collector evidence;
  evidence.add(EvidenceKind::brand, out.sender.brand);

  std::string name = folded_words(text.from_name, 128);
  if (word_count(name) >= 2 && name.find('@') == std::string::npos) evidence.add(EvidenceKind::display_name, name);
  // A signature of a few words ("Thanks, Sam") says little; a block with a
  // title, company or phone number is one person's.
  std::string signature = folded_words(text.signature, 1024);
  if (signature.size() >= 24 && word_count(signature) >= 4) evidence.add(EvidenceKind::signature, signature);
  for (auto& phone : phones_in(text.signature)) evidence.add(EvidenceKind::phone, std::move(phone));

  if (const Header* reply_to = message.find_header("Reply-To")) {
    std::string address = address_in(reply_to->value);
    if (address.find('@') != std::string::npos && address != sender && address.size() <= 254) {
      evidence.add(EvidenceKind::reply_to, address);
    }
  }

  // The account a platform sends for: its own id, whoever the mailbox.
  for (const auto& account_header : data.account_headers) {
    if (const Header* header = message.find_header(account_header)) {
      std::string value = to_lower(header->value);
      value.erase(0, value.find_first_not_of(" \t"));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      if (!value.empty() && value.size() <= 128) evidence.add(EvidenceKind::platform_account, to_lower(account_header) + ":" + value);
    }
  }

  auto own_host = [&](const std::string& host) -> std::string {
    if (host.empty() || host.find('.') == std::string::npos) return {};
    if (markers && (host_in(host, markers->pixels) || host_in(host, markers->links))) return {};
    Organisation org = organisation_of(host, data);
    if (org.shared || org.registrable == out.sender.registrable) return {};
    return org.registrable;
  };
  if (const Header* unsubscribe = message.find_header("List-Unsubscribe")) {
    std::string_view value = unsubscribe->value;
    for (std::size_t at = value.find('<'); at != std::string_view::npos; at = value.find('<', at + 1)) {
      auto close = value.find('>', at);
      if (close == std::string_view::npos) break;
      std::string_view target = value.substr(at + 1, close - at - 1);
      std::string host = target.starts_with("mailto:") ? domain_of(address_in(target.substr(7)))
                                                        : split_url(target).host;
      evidence.add(EvidenceKind::unsubscribe, own_host(host));
    }
  }

  std::vector<std::string> urls;
  for (const auto& link : text.html_refs.links) {
    if (urls.size() >= max_evidence_urls) break;
    urls.push_back(link);
  }
  for (const auto& image : text.html_refs.images) {
    if (urls.size() >= max_evidence_urls) break;
    urls.push_back(image.src);
  }
  urls_in_text(text.written_text, urls, max_evidence_urls);
  // A booking page or website often stands only in the signature block.
  urls_in_text(text.signature, urls, max_evidence_urls);
  std::size_t hosts = 0;
  for (const auto& url : urls) {
    UrlParts parts = split_url(url);
    if (parts.host.empty()) continue;
    if (markers && host_in(parts.host, markers->bookings)) {
      // The service is shared; the page on it is one person's.
      auto segment_end = parts.path.find('/', 1);
      std::string page = to_lower(parts.path.substr(1, segment_end == std::string::npos ? std::string::npos : segment_end - 1));
      if (page.size() >= 3) evidence.add(EvidenceKind::booking, registrable_domain(parts.host) + "/" + page);
      continue;
    }
    if (hosts >= max_evidence_hosts) continue;
    std::string host = own_host(parts.host);
    if (!host.empty()) {
      evidence.add(EvidenceKind::host, host);
      ++hosts;
    }
  }
  out.items = evidence.take();
  return out;
}

}  // namespace pushback::scoring
