// Subject prefixes are compared after Unicode case folding, so "AW", "Aw" and
// "aw", or "ΑΠ" and "απ", are one prefix; ids are taken between angle brackets.
#include "scoring/reply_evidence.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "scoring/casefold.hpp"

namespace pushback::scoring {

namespace {

// What mail clients write in front of a reply, in their users' languages.
constexpr std::string_view reply_prefixes[] = {
    "re",    // English and most clients
    "aw",    // German: Antwort
    "sv",    // Swedish, Danish, Norwegian: svar
    "antw",  // Dutch: antwoord
    "rif",   // Italian: riferimento
    "r",     // Italian Outlook
    "res",   // Portuguese: resposta
    "odp",   // Polish: odpowiedź
    "odg",   // Croatian, Slovenian: odgovor
    "vs",    // Finnish: vastaus
    "vá",    // Hungarian: válasz
    "atb",   // Latvian: atbilde
    "ats",   // Lithuanian: atsakymas
    "ynt",   // Turkish: yanıt
    "yanit",
    "απ",    // Greek: απάντηση
    "σχετ",  // Greek: σχετικά
    "отв",   // Russian: ответ
    "відп",  // Ukrainian: відповідь
    "回复",  // Chinese (simplified)
    "回覆",  // Chinese (traditional)
    "答复",
    "返信",  // Japanese
};

// What mail clients write in front of a forwarded message.
constexpr std::string_view forward_prefixes[] = {
    "fwd", "fw",  // English
    "wg",         // German: weitergeleitet
    "tr",         // French: transféré
    "rv",         // Spanish: reenviado
    "enc",        // Portuguese: encaminhado
    "doorst",     // Dutch: doorgestuurd
    "i",          // Italian Outlook: inoltrato
    "pd",         // Polish: przekazane dalej
    "vl",         // Finnish: välitetty
    "vb",         // Swedish: vidarebefordrat
    "tov",        // Hungarian: továbbítás
    "πρθ",        // Greek
    "пересл",     // Russian
    "转发",       // Chinese (simplified)
    "轉寄",       // Chinese (traditional)
};

constexpr std::size_t max_prefix_token_bytes = 16;
constexpr std::size_t max_tag_bytes = 48;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

enum class PrefixKind { none, reply, forward };

PrefixKind classify(std::string_view token) {
  std::string folded = fold_text(token);
  if (std::find(std::begin(reply_prefixes), std::end(reply_prefixes), folded) != std::end(reply_prefixes)) return PrefixKind::reply;
  if (std::find(std::begin(forward_prefixes), std::end(forward_prefixes), folded) != std::end(forward_prefixes)) {
    return PrefixKind::forward;
  }
  return PrefixKind::none;
}

// Skips "[2]", "(2)" or "^2" after a prefix word.
std::string_view skip_counter(std::string_view text) {
  if (text.empty()) return text;
  char open = text.front();
  char close = open == '[' ? ']' : open == '(' ? ')' : '\0';
  if (open == '^') {
    std::size_t n = 1;
    while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
    return n > 1 ? text.substr(n) : text;
  }
  if (close == '\0') return text;
  std::size_t n = 1;
  while (n < text.size() && n < 8 && text[n] >= '0' && text[n] <= '9') ++n;
  if (n > 1 && n < text.size() && text[n] == close) return text.substr(n + 1);
  return text;
}

// After a prefix word: optional spaces (French "RE :"), then ':' or the
// full-width colon of East Asian clients. Returns what follows, or nothing.
std::optional<std::string_view> skip_colon(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (!text.empty() && text.front() == ':') return text.substr(1);
  constexpr std::string_view wide_colon = "\xEF\xBC\x9A";  // U+FF1A
  if (text.substr(0, wide_colon.size()) == wide_colon) return text.substr(wide_colon.size());
  return std::nullopt;
}

// One prefix at the start of `text`: its kind and the rest of the subject.
std::pair<PrefixKind, std::string_view> take_prefix(std::string_view text) {
  std::size_t end = 0;
  while (end < text.size() && end <= max_prefix_token_bytes && !is_space(text[end]) && text[end] != ':' &&
         text[end] != '[' && text[end] != '(' && text[end] != '^' &&
         text.substr(end, 3) != "\xEF\xBC\x9A") {
    ++end;
  }
  if (end == 0 || end > max_prefix_token_bytes) return {PrefixKind::none, text};
  PrefixKind kind = classify(text.substr(0, end));
  if (kind == PrefixKind::none) return {PrefixKind::none, text};
  auto rest = skip_colon(skip_counter(text.substr(end)));
  if (!rest) return {PrefixKind::none, text};
  return {kind, *rest};
}

}  // namespace

SubjectPrefixes strip_subject_prefixes(std::string_view subject) {
  SubjectPrefixes result;
  std::string_view rest = trim(subject);
  for (std::size_t round = 0; round < max_subject_prefixes; ++round) {
    auto [kind, after] = take_prefix(rest);
    if (kind == PrefixKind::none && !rest.empty() && rest.front() == '[') {
      // A bracketed tag ("[EXTERNAL]", a list name) counts only when a prefix follows it.
      auto close = rest.find(']');
      if (close != std::string_view::npos && close <= max_tag_bytes) {
        auto [tagged_kind, tagged_after] = take_prefix(trim(rest.substr(close + 1)));
        kind = tagged_kind;
        after = tagged_after;
      }
    }
    if (kind == PrefixKind::none) break;
    if (result.replies == 0 && result.forwards == 0) result.reply_first = kind == PrefixKind::reply;
    (kind == PrefixKind::reply ? result.replies : result.forwards) += 1;
    rest = trim(after);
  }
  result.base = std::string(rest);
  return result;
}

MessageIds parse_message_ids(std::string_view value, std::size_t limit) {
  MessageIds result;
  auto keep = [&](std::string_view id) {
    if (id.size() > max_message_id_bytes) {
      result.truncated = true;
      return;
    }
    result.ids.emplace_back(id);
    if (result.ids.size() > limit) {
      result.ids.erase(result.ids.begin());
      result.truncated = true;
    }
  };
  bool bracketed = false;
  std::size_t depth = 0;  // inside (comments)
  for (std::size_t at = 0; at < value.size(); ++at) {
    char c = value[at];
    if (c == '(') ++depth;
    else if (c == ')' && depth > 0) --depth;
    else if (c == '<' && depth == 0) {
      auto close = value.find('>', at + 1);
      if (close == std::string_view::npos) break;
      std::string_view inner = value.substr(at + 1, close - at - 1);
      bool clean = !inner.empty() && std::none_of(inner.begin(), inner.end(), [](char ch) {
        return is_space(ch) || ch == '<' || static_cast<unsigned char>(ch) < 0x20;
      });
      if (clean) {
        keep(value.substr(at, close - at + 1));
        bracketed = true;
      }
      at = close;
    }
  }
  if (!bracketed) {
    // Some clients drop the brackets: take bare tokens that look like ids.
    std::size_t at = 0;
    while (at < value.size()) {
      while (at < value.size() && (is_space(value[at]) || value[at] == ',')) ++at;
      std::size_t end = at;
      while (end < value.size() && !is_space(value[end]) && value[end] != ',') ++end;
      std::string_view token = value.substr(at, end - at);
      if (token.find('@') != std::string_view::npos && token.find_first_of("<>()") == std::string_view::npos) {
        if (token.size() + 2 > max_message_id_bytes) result.truncated = true;
        else {
          std::string id(1, '<');
          id.append(token).push_back('>');
          keep(id);
        }
      }
      at = end;
    }
  }
  return result;
}

ReplyEvidence reply_evidence(std::string_view subject, std::string_view in_reply_to, std::string_view references) {
  ReplyEvidence evidence;
  evidence.subject = strip_subject_prefixes(subject);
  evidence.in_reply_to = parse_message_ids(in_reply_to, max_in_reply_to_ids);
  evidence.references = parse_message_ids(references, max_reference_ids);
  return evidence;
}

ReplyEvidence reply_evidence(const Message& message) {
  auto value = [&](std::string_view name) -> std::string_view {
    const Header* header = message.find_header(name);
    return header ? std::string_view(header->value) : std::string_view{};
  };
  return reply_evidence(value("Subject"), value("In-Reply-To"), value("References"));
}

}  // namespace pushback::scoring
