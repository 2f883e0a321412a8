// Line rules for quoted history and signatures, in several languages. Matching
// is on ASCII-lowercased lines; the non-ASCII words are written in lowercase.
#include "scoring/quote_split.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "scoring/casefold.hpp"

namespace pushback::scoring {

namespace {

// Into `out`, so that a loop over lines reuses one buffer.
void lower_ascii_into(std::string& out, std::string_view text) {
  out.resize(text.size());
  char* to = out.data();
  // Without a branch, so that it vectorises.
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    to[i] = static_cast<char>(c + ((c >= 'A' && c <= 'Z') ? 'a' - 'A' : 0));
  }
}

std::string lower_ascii(std::string_view text) {
  std::string out;
  lower_ascii_into(out, text);
  return out;
}

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '*'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Verbs of attribution lines: "On <date>, <name> wrote:" and its translations.
constexpr std::array attribution_verbs{
    std::string_view("wrote"),      std::string_view("schrieb"),   std::string_view("a écrit"),
    std::string_view("escribió"),   std::string_view("schreef"),   std::string_view("escreveu"),
    std::string_view("ha scritto"), std::string_view("skrev"),     std::string_view("napisał"),
    std::string_view("kirjoitti"),  std::string_view("написал"),   std::string_view("yazdı"),
    std::string_view("écrit"),      std::string_view("escribio"),
};
constexpr std::array attribution_openers{
    std::string_view("on "), std::string_view("am "), std::string_view("le "),  std::string_view("el "),
    std::string_view("op "), std::string_view("em "), std::string_view("il "),  std::string_view("den "),
    std::string_view("w dniu "), std::string_view("dne "), std::string_view("på "),
};

bool is_attribution(std::string_view lowered, bool next_is_quote) {
  if (lowered.size() > 400 || lowered.empty() || lowered.back() != ':') return false;
  bool has_verb = false;
  for (auto verb : attribution_verbs) has_verb = has_verb || contains(lowered, verb);
  if (!has_verb) return false;
  if (next_is_quote) return true;
  for (auto opener : attribution_openers) {
    if (lowered.starts_with(opener)) return true;
  }
  return false;
}

// Outlook-style header blocks: a From line, then Sent/Date, To, Subject lines.
constexpr std::array from_labels{
    std::string_view("from:"), std::string_view("von:"),  std::string_view("de:"),  std::string_view("van:"),
    std::string_view("da:"),   std::string_view("från:"), std::string_view("fra:"), std::string_view("od:"),
    std::string_view("expéditeur:"), std::string_view("remetente:"),
};
constexpr std::array header_labels{
    std::string_view("sent:"),      std::string_view("date:"),     std::string_view("to:"),
    std::string_view("cc:"),        std::string_view("subject:"),  std::string_view("gesendet:"),
    std::string_view("datum:"),     std::string_view("an:"),       std::string_view("betreff:"),
    std::string_view("envoyé:"),    std::string_view("à:"),        std::string_view("objet:"),
    std::string_view("enviado:"),   std::string_view("enviado el:"), std::string_view("para:"),
    std::string_view("asunto:"),    std::string_view("verzonden:"), std::string_view("aan:"),
    std::string_view("onderwerp:"), std::string_view("assunto:"),  std::string_view("data:"),
    std::string_view("inviato:"),   std::string_view("a:"),        std::string_view("oggetto:"),
    std::string_view("skickat:"),   std::string_view("till:"),     std::string_view("ämne:"),
    std::string_view("sendt:"),     std::string_view("emne:"),     std::string_view("til:"),
};

// French typography puts a space before the colon: "De : Jane".
bool starts_with_any(std::string_view lowered, auto const& labels) {
  constexpr std::size_t key_bytes = 40;
  std::string_view key = lowered.substr(0, key_bytes);
  std::array<char, key_bytes> buffer{};
  if (auto colon = key.find(" :"); colon != std::string_view::npos) {
    std::copy(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(colon), buffer.begin());
    std::copy(key.begin() + static_cast<std::ptrdiff_t>(colon) + 1, key.end(),
              buffer.begin() + static_cast<std::ptrdiff_t>(colon));
    key = std::string_view(buffer.data(), key.size() - 1);
  }
  for (auto label : labels) {
    if (key.starts_with(label)) return true;
  }
  return false;
}

// A rule of underscores or dashes that Outlook puts above its header block.
bool is_rule(std::string_view line) {
  return line.size() >= 10 && line.find_first_not_of("_-") == std::string_view::npos;
}

// Separators that open quoted or forwarded mail.
constexpr std::array separator_phrases{
    std::string_view("original message"),      std::string_view("ursprüngliche nachricht"),
    std::string_view("message d'origine"),     std::string_view("mensaje original"),
    std::string_view("oorspronkelijk bericht"), std::string_view("mensagem original"),
    std::string_view("messaggio originale"),   std::string_view("forwarded message"),
    std::string_view("weitergeleitete nachricht"), std::string_view("message transféré"),
    std::string_view("mensaje reenviado"),     std::string_view("doorgestuurd bericht"),
    std::string_view("mensagem encaminhada"),  std::string_view("messaggio inoltrato"),
    std::string_view("original-nachricht"),    std::string_view("reply message"),
};
constexpr std::array forward_openers{
    std::string_view("begin forwarded message:"), std::string_view("anfang der weitergeleiteten nachricht:"),
    std::string_view("début du message réexpédié :"),
    std::string_view("inicio del mensaje reenviado:"), std::string_view("início da mensagem reencaminhada:"),
};

bool is_separator(std::string_view lowered) {
  if (lowered.starts_with("--") || lowered.starts_with("__") || lowered.starts_with("==")) {
    for (auto phrase : separator_phrases) {
      if (contains(lowered, phrase)) return true;
    }
  }
  for (auto opener : forward_openers) {
    if (lowered == opener) return true;
  }
  return false;
}

// Sign-offs that open a closing block, in folded form (ß is "ss").
constexpr std::array sign_offs{
    std::string_view("best regards"), std::string_view("kind regards"), std::string_view("warm regards"),
    std::string_view("warmest regards"), std::string_view("regards"), std::string_view("best"),
    std::string_view("best wishes"), std::string_view("all the best"), std::string_view("cheers"),
    std::string_view("thanks"), std::string_view("thank you"), std::string_view("many thanks"),
    std::string_view("thanks again"), std::string_view("sincerely"), std::string_view("yours sincerely"),
    std::string_view("yours truly"), std::string_view("talk soon"), std::string_view("speak soon"),
    std::string_view("looking forward"), std::string_view("respectfully"), std::string_view("with gratitude"),
    std::string_view("mit freundlichen grüssen"), std::string_view("freundliche grüsse"),
    std::string_view("viele grüsse"), std::string_view("beste grüsse"), std::string_view("liebe grüsse"),
    std::string_view("grüsse"), std::string_view("gruss"), std::string_view("lg"), std::string_view("vg"),
    std::string_view("cordialement"), std::string_view("bien cordialement"), std::string_view("bien à vous"),
    std::string_view("merci"), std::string_view("bonne journée"), std::string_view("salutations"),
    std::string_view("saludos"), std::string_view("un saludo"), std::string_view("saludos cordiales"),
    std::string_view("atentamente"), std::string_view("gracias"), std::string_view("met vriendelijke groet"),
    std::string_view("met vriendelijke groeten"), std::string_view("groeten"), std::string_view("groet"),
    std::string_view("hartelijke groet"), std::string_view("atenciosamente"), std::string_view("abraços"),
    std::string_view("abs"), std::string_view("cumprimentos"), std::string_view("obrigado"),
    std::string_view("obrigada"), std::string_view("cordiali saluti"), std::string_view("distinti saluti"),
    std::string_view("saluti"), std::string_view("grazie"),
};
constexpr std::array device_lines{
    std::string_view("sent from my"), std::string_view("get outlook for"), std::string_view("von meinem"),
    std::string_view("envoyé de mon"), std::string_view("enviado desde mi"), std::string_view("verzonden vanaf mijn"),
    std::string_view("enviado do meu"), std::string_view("inviato da"),
};

bool is_sign_off(std::string_view line) {
  if (line.size() > 40) return false;
  std::string folded = fold_text(line);
  while (!folded.empty() && (folded.back() == ',' || folded.back() == '!' || folded.back() == '.' ||
                             folded.back() == '-' || folded.back() == ' ')) {
    folded.pop_back();
  }
  for (auto phrase : sign_offs) {
    if (folded == phrase) return true;
  }
  return false;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t breaks = 0;
  for (char c : text) breaks += c == '\n' ? 1 : 0;  // vectorises, unlike std::count
  lines.reserve(breaks + 1);
  std::size_t at = 0;
  while (at <= text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    at = end + 1;
  }
  return lines;
}

void append_line(std::string& out, std::string_view line) {
  if (!out.empty()) out.push_back('\n');
  out.append(line);
}

// append_line() for each of lines[begin, end), into one allocation.
void append_lines(std::string& out, const std::vector<std::string_view>& lines, std::size_t begin, std::size_t end) {
  std::size_t size = out.size();
  for (std::size_t i = begin; i < end; ++i) size += lines[i].size() + 1;
  out.reserve(size);
  for (std::size_t i = begin; i < end; ++i) append_line(out, lines[i]);
}

// The line index where a marker opens quoted history, or lines.size().
std::size_t find_marker(const std::vector<std::string_view>& lines) {
  std::string lowered;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto line = trim(lines[i]);
    if (line.empty()) continue;
    // Every marker has a colon or opens with a rule; a wrapped attribution
    // ends with a colon on the next line.
    bool next_has_colon = i + 1 < lines.size() && trim(lines[i + 1]).ends_with(':');
    if (line.find(':') == std::string_view::npos && line[0] != '-' && line[0] != '_' && line[0] != '=' &&
        !next_has_colon) {
      continue;
    }
    lower_ascii_into(lowered, line);
    if (is_separator(lowered)) return i;
    // The next non-empty line starts with '>' (attribution lines often stand alone).
    std::size_t next = i + 1;
    while (next < lines.size() && trim(lines[next]).empty()) ++next;
    bool next_is_quote = next < lines.size() && trim(lines[next]).starts_with('>');
    if (is_attribution(lowered, next_is_quote)) return i;
    // Clients wrap long attributions: try this line with the next one.
    if (next_has_colon && lowered.size() < 300) {
      std::string joined = lowered + " " + lower_ascii(trim(lines[i + 1]));
      std::size_t after = i + 2;
      while (after < lines.size() && trim(lines[after]).empty()) ++after;
      bool after_is_quote = after < lines.size() && trim(lines[after]).starts_with('>');
      bool opens = std::any_of(attribution_openers.begin(), attribution_openers.end(),
                               [&](std::string_view opener) { return lowered.starts_with(opener); });
      if (opens && is_attribution(joined, after_is_quote) && !lowered.ends_with(':')) return i;
    }
    if (starts_with_any(lowered, from_labels)) {
      int labels = 0;
      for (std::size_t j = i + 1; j < lines.size() && j <= i + 6; ++j) {
        if (starts_with_any(lower_ascii(trim(lines[j])), header_labels)) ++labels;
      }
      if (labels >= 2) {
        std::size_t rule = i;
        while (rule > 0 && trim(lines[rule - 1]).empty()) --rule;
        return rule > 0 && is_rule(trim(lines[rule - 1])) ? rule - 1 : i;
      }
    }
  }
  return lines.size();
}

// Whose text is quoted: the From: line of a header block, the attribution
// line, or a short line that introduces the first '>' lines ("Jane wrote:",
// "[Jane Doe]"). Empty when nothing says.
std::string_view quoted_author(const std::vector<std::string_view>& lines, std::size_t marker) {
  constexpr std::size_t block_lines = 8;
  constexpr std::size_t longest = 300;
  for (std::size_t i = marker; i < lines.size() && i < marker + block_lines; ++i) {
    auto line = trim(lines[i]);
    if (line.empty() || is_rule(line)) continue;
    if (starts_with_any(lower_ascii(line), from_labels)) return line.substr(0, longest);
  }
  if (marker < lines.size()) {
    auto line = trim(lines[marker]);
    return is_separator(lower_ascii(line)) ? std::string_view() : line.substr(0, longest);  // an attribution
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!trim(lines[i]).starts_with('>')) continue;
    // A header block inside the quote: ">From: Jane Doe <jane@...>".
    for (std::size_t j = i; j < lines.size() && j < i + block_lines; ++j) {
      auto quoted = trim(lines[j]);
      if (!quoted.starts_with('>')) break;
      auto text_at = quoted.find_first_not_of("> ");
      if (text_at == std::string_view::npos) continue;
      quoted = trim(quoted.substr(text_at));
      if (starts_with_any(lower_ascii(quoted), from_labels)) return quoted.substr(0, longest);
    }
    std::size_t before = i;
    while (before > 0 && trim(lines[before - 1]).empty()) --before;
    if (before == 0) return {};
    auto line = trim(lines[before - 1]);
    bool introduces = line.size() < 100 && (line.ends_with(':') || (line.starts_with('[') && line.ends_with(']')));
    return introduces ? line : std::string_view();
  }
  return {};
}

// Where the signature starts among the new lines, or lines.size().
std::size_t find_signature(const std::vector<std::string_view>& lines) {
  for (std::size_t i = lines.size(); i-- > 0;) {
    auto line = lines[i];
    if (line == "-- " || line == "--") return i;
  }
  // A sign-off near the end, followed by a few short lines (name, title, phone).
  std::size_t non_empty = 0;
  std::string lowered;
  for (std::size_t i = lines.size(); i-- > 0;) {
    auto line = trim(lines[i]);
    if (line.empty()) continue;
    if (++non_empty > 8) break;
    if (is_sign_off(line)) return i;
    // Below a sign-off come names, titles and phone numbers, not sentences.
    if (line.size() > 60 || line.back() == '?') break;
    lower_ascii_into(lowered, line);
    for (auto device : device_lines) {
      if (lowered.starts_with(device)) return i;
    }
  }
  return lines.size();
}

}  // namespace

SplitText split_quotes(std::string_view text, std::size_t quote_at) {
  SplitText result;
  std::string_view before = text.substr(0, std::min(quote_at, text.size()));
  std::string_view after = quote_at < text.size() ? text.substr(quote_at) : std::string_view();

  auto lines = split_lines(before);
  std::size_t marker = find_marker(lines);

  std::vector<std::string_view> fresh;
  std::vector<std::string_view> quoted;
  fresh.reserve(lines.size());
  quoted.reserve(marker < lines.size() ? lines.size() - marker + 1 : 1);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto trimmed = trim(lines[i]);
    if (i >= marker && !trimmed.starts_with('>')) {
      quoted.push_back(lines[i]);
    } else if (trimmed.starts_with('>')) {
      // One level of '>' and the space after it.
      trimmed.remove_prefix(1);
      if (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
      quoted.push_back(trimmed);
    } else {
      fresh.push_back(lines[i]);
    }
  }
  if (!after.empty()) quoted.push_back(after);
  append_lines(result.quoted, quoted, 0, quoted.size());
  result.quoted_author = std::string(quoted_author(lines, marker));

  std::size_t signature = std::min(find_signature(fresh), fresh.size());
  append_lines(result.new_text, fresh, 0, signature);
  append_lines(result.signature, fresh, signature, fresh.size());
  return result;
}

}  // namespace pushback::scoring
