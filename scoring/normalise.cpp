// Tokenising and masking of folded text. Word lists are in folded form. ASCII
// text is lowered and split in one walk, without building its folded copy;
// words with other bytes go through fold_text() one at a time.
#include "scoring/normalise.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "scoring/casefold.hpp"

namespace pushback::scoring {

namespace {

constexpr std::array greetings{
    std::string_view("hi"),       std::string_view("hello"),    std::string_view("hey"),     std::string_view("dear"),
    std::string_view("hiya"),     std::string_view("greetings"), std::string_view("morning"), std::string_view("afternoon"),
    std::string_view("hallo"),    std::string_view("liebe"),    std::string_view("lieber"),  std::string_view("servus"),
    std::string_view("moin"),     std::string_view("bonjour"),  std::string_view("salut"),   std::string_view("cher"),
    std::string_view("chère"),    std::string_view("hola"),     std::string_view("estimado"), std::string_view("estimada"),
    std::string_view("olá"),      std::string_view("ola"),      std::string_view("oi"),      std::string_view("prezado"),
    std::string_view("prezada"),  std::string_view("caro"),     std::string_view("cara"),    std::string_view("ciao"),
    std::string_view("gentile"),  std::string_view("beste"),    std::string_view("hoi"),     std::string_view("goedemorgen"),
    std::string_view("goedemiddag"), std::string_view("yo"),
};
// Two-word greetings: the first word, then the second.
constexpr std::array<std::array<std::string_view, 2>, 9> greeting_pairs{{
    {"good", "morning"}, {"good", "afternoon"}, {"good", "evening"}, {"guten", "tag"}, {"guten", "morgen"},
    {"sehr", "geehrte"}, {"sehr", "geehrter"}, {"buenos", "días"}, {"bom", "dia"},
}};
// Titles after a greeting belong to the name.
constexpr std::array titles{
    std::string_view("mr"), std::string_view("mrs"), std::string_view("ms"), std::string_view("dr"),
    std::string_view("herr"), std::string_view("frau"), std::string_view("m"), std::string_view("mme"),
    std::string_view("sr"), std::string_view("sra"), std::string_view("dhr"), std::string_view("mevr"),
};

// Weekdays and months in English, German, French, Spanish, Dutch, Portuguese
// and Italian. English "may" is left out: it is far more often the verb.
constexpr std::array date_words{
    std::string_view("monday"), std::string_view("tuesday"), std::string_view("wednesday"),
    std::string_view("thursday"), std::string_view("friday"), std::string_view("saturday"),
    std::string_view("sunday"), std::string_view("january"), std::string_view("february"),
    std::string_view("march"), std::string_view("april"), std::string_view("june"), std::string_view("july"),
    std::string_view("august"), std::string_view("september"), std::string_view("october"),
    std::string_view("november"), std::string_view("december"), std::string_view("mon"), std::string_view("tue"),
    std::string_view("tues"), std::string_view("wed"), std::string_view("thu"), std::string_view("thur"),
    std::string_view("thurs"), std::string_view("fri"), std::string_view("jan"), std::string_view("feb"),
    std::string_view("apr"), std::string_view("jun"), std::string_view("jul"), std::string_view("aug"),
    std::string_view("sep"), std::string_view("sept"), std::string_view("oct"), std::string_view("nov"),
    std::string_view("dec"),
    // German
    std::string_view("montag"), std::string_view("dienstag"), std::string_view("mittwoch"),
    std::string_view("donnerstag"), std::string_view("freitag"), std::string_view("samstag"),
    std::string_view("sonnabend"), std::string_view("sonntag"), std::string_view("januar"),
    std::string_view("februar"), std::string_view("märz"), std::string_view("mai"), std::string_view("juni"),
    std::string_view("juli"), std::string_view("oktober"), std::string_view("dezember"),
    // French
    std::string_view("lundi"), std::string_view("mardi"), std::string_view("mercredi"), std::string_view("jeudi"),
    std::string_view("vendredi"), std::string_view("samedi"), std::string_view("dimanche"),
    std::string_view("janvier"), std::string_view("février"), std::string_view("mars"), std::string_view("avril"),
    std::string_view("juin"), std::string_view("juillet"), std::string_view("août"), std::string_view("septembre"),
    std::string_view("octobre"), std::string_view("novembre"), std::string_view("décembre"),
    // Spanish
    std::string_view("lunes"), std::string_view("martes"), std::string_view("miércoles"), std::string_view("jueves"),
    std::string_view("viernes"), std::string_view("sábado"), std::string_view("domingo"), std::string_view("enero"),
    std::string_view("febrero"), std::string_view("marzo"), std::string_view("abril"), std::string_view("mayo"),
    std::string_view("junio"), std::string_view("julio"), std::string_view("agosto"),
    std::string_view("septiembre"), std::string_view("setiembre"), std::string_view("octubre"),
    std::string_view("noviembre"), std::string_view("diciembre"),
    // Dutch
    std::string_view("maandag"), std::string_view("dinsdag"), std::string_view("woensdag"),
    std::string_view("donderdag"), std::string_view("vrijdag"), std::string_view("zaterdag"),
    std::string_view("zondag"), std::string_view("januari"), std::string_view("februari"), std::string_view("maart"),
    std::string_view("mei"), std::string_view("augustus"),
    // Portuguese
    std::string_view("segunda"), std::string_view("terça"), std::string_view("quarta"), std::string_view("quinta"),
    std::string_view("sexta"), std::string_view("janeiro"), std::string_view("fevereiro"), std::string_view("março"),
    std::string_view("maio"), std::string_view("junho"), std::string_view("julho"), std::string_view("setembro"),
    std::string_view("outubro"), std::string_view("dezembro"),
    // Italian
    std::string_view("lunedì"), std::string_view("martedì"), std::string_view("mercoledì"),
    std::string_view("giovedì"), std::string_view("venerdì"), std::string_view("sabato"),
    std::string_view("domenica"), std::string_view("gennaio"), std::string_view("febbraio"),
    std::string_view("aprile"), std::string_view("maggio"), std::string_view("giugno"), std::string_view("luglio"),
    std::string_view("settembre"), std::string_view("ottobre"), std::string_view("dicembre"),
};

bool in(std::string_view word, auto const& list) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// The date words by a slot of (length, first, second, last byte): the index
// in date_words plus one, or 0, with words that share a slot chained. Built
// at compile time; most words are turned away by one table load.
constexpr std::size_t date_slots = 4096;
constexpr std::size_t date_slot(std::string_view word) {
  auto first = static_cast<unsigned char>(word.front());
  auto second = static_cast<unsigned char>(word.size() > 1 ? word[1] : 0);
  auto last = static_cast<unsigned char>(word.back());
  return (word.size() * 131 + first * 31 + second * 17 + last * 7) % date_slots;
}
struct DateTable {
  std::array<std::uint8_t, date_slots> head{};
  std::array<std::uint8_t, date_words.size()> next{};
};
static_assert(date_words.size() < 255);
constexpr DateTable date_table = [] {
  DateTable table;
  for (std::size_t i = 0; i < date_words.size(); ++i) {
    auto slot = date_slot(date_words[i]);
    table.next[i] = table.head[slot];
    table.head[slot] = static_cast<std::uint8_t>(i + 1);
  }
  return table;
}();

constexpr auto date_word_lengths = std::minmax_element(date_words.begin(), date_words.end(), [](auto a, auto b) {
  return a.size() < b.size();
});
constexpr std::size_t shortest_date_word = date_word_lengths.first->size();
constexpr std::size_t longest_date_word = date_word_lengths.second->size();

[[gnu::always_inline]] inline bool is_date_word(std::string_view word) {
  if (word.size() < shortest_date_word || word.size() > longest_date_word) return false;
  for (std::size_t at = date_table.head[date_slot(word)]; at != 0; at = date_table.next[at - 1]) {
    if (date_words[at - 1] == word) return true;
  }
  return false;
}

bool is_ascii_space(char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d); }

// fold_text() with a fast path: words (between ASCII white space) that are
// pure ASCII only need lowering; the others go through fold_text() one by
// one, which gives the same result since folding never joins across white
// space and every run of white space becomes one space.
std::string fold_words(std::string_view text) {
  // Most mail is ASCII: fold_text() folds it in one pass without utf8proc.
  unsigned char any = 0;
  for (char c : text) any |= static_cast<unsigned char>(c);
  if (any < 0x80) return fold_text(text);
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && is_ascii_space(text[at])) ++at;
    std::size_t end = at;
    bool ascii = true;
    while (end < text.size() && !is_ascii_space(text[end])) {
      ascii = ascii && static_cast<unsigned char>(text[end]) < 0x80 && text[end] != '\0';
      ++end;
    }
    if (end == at) break;
    std::size_t mark = out.size();
    if (!out.empty()) out.push_back(' ');
    if (ascii) {
      std::size_t base = out.size();
      out.resize(base + (end - at));
      char* to = out.data() + base;
      for (std::size_t i = at; i < end; ++i) {
        char c = text[i];
        *to++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
    } else {
      std::string folded = fold_text(text.substr(at, end - at));
      if (folded.empty()) {
        out.resize(mark);
      } else {
        out += folded;
      }
    }
    at = end;
  }
  return out;
}

// Whether fold_words(line) has any text. A visible ASCII byte always
// folds to text; only a line without one but with other bytes is folded.
bool has_text(std::string_view line) {
  bool other = false;
  for (char c : line) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      other = true;
    } else if (c != '\0' && !is_ascii_space(c)) {
      return true;
    }
  }
  return other && !fold_words(line).empty();
}

// Lowers the ASCII letters of `text` into `out` and puts one space after
// them, so that a walk over the chunks needs no bounds check. Byte for byte,
// so that offsets into `out` are offsets into `text`.
void lower_into(std::string& out, std::string_view text) {
  out.resize(text.size() + 1);
  char* to = out.data();
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    to[i] = static_cast<char>(c + ((c >= 'A' && c <= 'Z') ? 'a' - 'A' : 0));
  }
  to[text.size()] = ' ';
}

// Word bytes of ASCII: non-zero for letters and digits, ascii_digit set for digits.
constexpr unsigned char ascii_letter = 1;
constexpr unsigned char ascii_digit = 2;
constexpr std::array<unsigned char, 128> ascii_word_bytes = [] {
  std::array<unsigned char, 128> table{};
  for (char c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = ascii_letter;
  for (char c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = ascii_letter;
  for (char c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = ascii_digit;
  return table;
}();

// Classes of the bytes of lowered text, for the walk over its chunks (runs
// of bytes between ASCII white space, as fold_text() separates them).
constexpr unsigned char byte_space = 1;    // ASCII white space: ends a chunk
constexpr unsigned char byte_word = 2;     // letter or digit
constexpr unsigned char byte_digit = 4;    // digit
constexpr unsigned char byte_other = 8;    // any other byte: splits words
constexpr unsigned char byte_fold = 16;    // NUL or not ASCII: the chunk needs fold_text()
constexpr unsigned char byte_angle = 32;   // '<': the chunk may be a mask
constexpr unsigned char byte_at = 64;      // '@': ... an address
constexpr unsigned char byte_url = 128;    // ':' or '.': ... a URL
constexpr std::array<unsigned char, 256> byte_classes = [] {
  std::array<unsigned char, 256> table{};
  for (std::size_t c = 0; c < table.size(); ++c) {
    if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
      table[c] = byte_space;
    } else if (c == 0 || c >= 0x80) {
      table[c] = byte_fold | byte_other;
    } else if (c < 0x80 && ascii_word_bytes[c] == ascii_digit) {
      table[c] = byte_word | byte_digit;
    } else if (c < 0x80 && ascii_word_bytes[c] != 0) {
      table[c] = byte_word;
    } else if (c == '<') {
      table[c] = byte_other | byte_angle;
    } else if (c == '@') {
      table[c] = byte_other | byte_at;
    } else if (c == '.' || c == ':') {
      table[c] = byte_other | byte_url;
    } else {
      table[c] = byte_other;
    }
  }
  return table;
}();

bool is_word_codepoint(utf8proc_int32_t codepoint) {
  if (codepoint < 0x80) return codepoint >= 0 && ascii_word_bytes[static_cast<std::size_t>(codepoint)] != 0;
  switch (utf8proc_category(codepoint)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool has_digit(std::string_view word) {
  return std::any_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// for_each_word() of an ASCII chunk: a table lookup per byte; the table also
// marks the digits.
template <typename Emit>
void for_each_ascii_word(std::string_view chunk, Emit&& emit) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(chunk.data());
  const std::size_t size = chunk.size();
  std::size_t at = 0;
  while (true) {
    while (at < size && ascii_word_bytes[bytes[at]] == 0) ++at;
    if (at >= size) return;
    std::size_t start = at;
    unsigned char kinds = 0;
    while (true) {
      while (at < size && ascii_word_bytes[bytes[at]] != 0) kinds |= ascii_word_bytes[bytes[at++]];
      // An apostrophe inside a word keeps it whole: "don't", "it's".
      if (at + 1 < size && bytes[at] == '\'' && ascii_word_bytes[bytes[at + 1]] != 0) {
        ++at;
        continue;
      }
      break;
    }
    emit(chunk.substr(start, at - start), (kinds & ascii_digit) != 0);
  }
}

// Calls emit(word, digit) for each run of word characters in a chunk, with
// whether the word holds an ASCII digit.
template <typename Emit>
void for_each_word(std::string_view chunk, Emit&& emit) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(chunk.data());
  unsigned char any = 0;
  for (char c : chunk) any |= static_cast<unsigned char>(c);
  if (any < 0x80) {
    for_each_ascii_word(chunk, emit);
    return;
  }
  auto size = static_cast<utf8proc_ssize_t>(chunk.size());
  utf8proc_ssize_t at = 0;
  utf8proc_ssize_t start = -1;
  while (at < size) {
    utf8proc_int32_t codepoint = bytes[at];
    utf8proc_ssize_t step = 1;
    if (codepoint >= 0x80) {
      step = utf8proc_iterate(bytes + at, size - at, &codepoint);
      if (step <= 0) step = 1, codepoint = -1;
    }
    bool word = codepoint >= 0 && is_word_codepoint(codepoint);
    // An apostrophe inside a word keeps it whole: "don't", "it's".
    if (!word && start >= 0 && (codepoint == '\'' || codepoint == 0x2019) && at + step < size &&
        bytes[at + step] < 0x80 && is_word_codepoint(bytes[at + step])) {
      word = true;
    }
    if (word && start < 0) start = at;
    if (!word && start >= 0) {
      auto found = chunk.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(at - start));
      emit(found, has_digit(found));
      start = -1;
    }
    at += step;
  }
  if (start >= 0) {
    auto found = chunk.substr(static_cast<std::size_t>(start));
    emit(found, has_digit(found));
  }
}

bool is_punctuation_byte(char c) {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '"' || c == '\'' ||
         c == ',' || c == ';' || c == '.' || c == ':' || c == '!' || c == '?';
}

std::string_view strip_punctuation(std::string_view chunk) {
  while (!chunk.empty() && is_punctuation_byte(chunk.front())) chunk.remove_prefix(1);
  while (!chunk.empty() && is_punctuation_byte(chunk.back())) chunk.remove_suffix(1);
  return chunk;
}

bool is_mask(std::string_view chunk) {
  return chunk.size() >= 3 && chunk.size() <= 12 && chunk.front() == '<' && chunk.back() == '>' &&
         std::all_of(chunk.begin() + 1, chunk.end() - 1, [](char c) { return c >= 'a' && c <= 'z'; });
}

// A byte loop: chunks are a few bytes long, shorter than a call to memchr.
bool is_email(std::string_view chunk) {
  std::size_t at = 0;
  while (at < chunk.size() && chunk[at] != '@') ++at;
  if (at == 0 || at == chunk.size()) return false;
  for (std::size_t i = at + 1; i < chunk.size(); ++i) {
    if (chunk[i] == '.') return true;
  }
  return false;
}

// The host of "http://", "https://" and "www." URLs, or empty.
std::string_view url_host(std::string_view chunk) {
  if (chunk.empty() || (chunk.front() != 'h' && chunk.front() != 'w')) return {};
  if (chunk.starts_with("https://")) {
    chunk.remove_prefix(8);
  } else if (chunk.starts_with("http://")) {
    chunk.remove_prefix(7);
  } else if (!chunk.starts_with("www.")) {
    return {};
  }
  auto end = chunk.find_first_of("/?#:");
  auto host = chunk.substr(0, end);
  if (auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  return host;
}

class Builder {
 public:
  Builder(const Personalisation& personalisation, std::size_t max_tokens, std::size_t text_size)
      : personalisation_(personalisation), max_tokens_(max_tokens) {
    result_.text.reserve(std::min(text_size, max_tokens * 8));
    // Most words are no personal word: a filter with no false negatives
    // turns them away before the lists are searched.
    for (const auto* words : {&personalisation.recipient_names, &personalisation.sender_names,
                              &personalisation.company_words}) {
      for (const auto& word : *words) set(exact_filter_, exact_slot(word));
    }
    // is_company() also takes a word of four or more bytes that starts or
    // ends a company label: it shares the label's first or last two bytes.
    for (const auto& label : personalisation.company_labels) {
      if (label.size() < 2) continue;
      set(prefix_filter_, pair_slot(label[0], label[1]));
      set(suffix_filter_, pair_slot(label[label.size() - 2], label[label.size() - 1]));
    }
  }

  // One word or mask; equal masks in a row, and numbers with dates, collapse.
  void push(std::string_view token) {
    if (result_.tokens_hit) return;
    bool numeric = token == mask::number || token == mask::date;
    if (last_mask_ && (token == last() || (numeric && last_numeric_))) {
      if (token == mask::date && last() != mask::date) replace_last(mask::date);
      return;
    }
    if (!room()) return;
    append(token);
    last_mask_ = is_mask(token);
    last_numeric_ = numeric;
  }

  // push() of a word of the text, which is never a mask and so never collapses.
  void push_plain(std::string_view word) {
    if (result_.tokens_hit || !room()) return;
    append(word);
    last_mask_ = false;
    last_numeric_ = false;
  }

  // Most words are kept as they are: that test inline, the masking apart.
  void push_word(std::string_view word, bool digit) {
    if (!digit && !maybe_personal_word(word) && !is_date_word(word) && !last_mask_) {
      push_plain(word);
    } else {
      mask_word(word, digit);
    }
  }

  [[gnu::noinline]] void mask_word(std::string_view word, bool digit) {
    if (digit) {
      push(mask::number);
      return;
    }
    if (!maybe_personal_word(word)) {
      if (is_date_word(word)) {
        push(mask::date);
      } else if (last_is(mask::company) && is_company_designator(word)) {
        push(mask::company);
      } else {
        push_plain(word);
      }
    } else if (personalisation_.is_recipient_name(word)) {
      note_recipient_named();
      push(mask::name);
    } else if (personalisation_.is_company(word) || (last_is(mask::company) && is_company_designator(word))) {
      // "Materials" of radiant-materials.com is masked but is an ordinary word.
      if (personalisation_.is_company_brand(word)) note_recipient_named();
      push(mask::company);
    } else if (personalisation_.is_sender_name(word)) {
      push(mask::sender);
    } else if (is_date_word(word)) {
      push(mask::date);
    } else {
      push_plain(word);
    }
  }

  // A chunk of folded text: a run of bytes between spaces.
  void push_chunk(std::string_view chunk) {
    if (is_mask(chunk)) {
      push(chunk);
      return;
    }
    auto stripped = strip_punctuation(chunk);
    if (is_email(stripped)) {
      push(mask::email);
      return;
    }
    if (auto host = url_host(stripped); !host.empty()) {
      push_host(host);
      return;
    }
    for_each_word(chunk, [this](std::string_view word, bool digit) { push_word(word, digit); });
  }

  // push_chunk() of a chunk of lowered ASCII, given the byte classes it
  // holds: only a chunk with '<' can be a mask, one with '@' an address,
  // one with ':' or '.' a URL; one without punctuation is a single word.
  void push_ascii_chunk(std::string_view chunk, unsigned char classes) {
    if ((classes & byte_other) == 0) {
      push_word(chunk, (classes & byte_digit) != 0);
      return;
    }
    if ((classes & byte_angle) != 0 && is_mask(chunk)) {
      push(chunk);
      return;
    }
    if ((classes & (byte_at | byte_url)) != 0) {
      auto stripped = strip_punctuation(chunk);
      if ((classes & byte_at) != 0 && is_email(stripped)) {
        push(mask::email);
        return;
      }
      if (auto host = (classes & byte_url) != 0 ? url_host(stripped) : std::string_view(); !host.empty()) {
        push_host(host);
        return;
      }
    }
    for_each_ascii_word(chunk, [this](std::string_view word, bool digit) { push_word(word, digit); });
  }

  // The token limit was hit: every further token is dropped.
  bool full() const { return result_.tokens_hit; }
  void mark_names_recipient() { result_.names_recipient = true; }
  // A mail merge fills the name in near the top; deep in a long text a
  // matching first name is more likely somebody else.
  void note_recipient_named() {
    constexpr std::size_t opening_tokens = 60;
    if (result_.token_count < opening_tokens) result_.names_recipient = true;
  }

  NormalisedText take() { return std::move(result_); }

 private:
  // A URL: its registrable domain, or <company> when it is the recipient's.
  void push_host(std::string_view host) {
    std::string domain = registrable_domain(host);
    std::string_view label = std::string_view(domain).substr(0, domain.find('.'));
    bool company = personalisation_.is_company(label);
    if (personalisation_.is_company_brand(label)) note_recipient_named();
    push(company ? mask::company : std::string_view(domain));
  }

  bool room() {
    if (result_.token_count < max_tokens_) return true;
    result_.tokens_hit = true;
    return false;
  }
  void append(std::string_view token) {
    if (!result_.text.empty()) result_.text.push_back(' ');
    last_start_ = result_.text.size();
    result_.text.append(token);
    ++result_.token_count;
  }
  std::string_view last() const { return std::string_view(result_.text).substr(last_start_); }
  bool last_is(std::string_view mask) const { return last_mask_ && last() == mask; }
  void replace_last(std::string_view token) {
    result_.text.resize(last_start_);
    result_.text.append(token);
  }

  using Filter = std::array<std::uint64_t, 64>;  // 4096 bits
  static void set(Filter& filter, std::size_t slot) { filter[slot / 64] |= std::uint64_t{1} << (slot % 64); }
  static bool test(const Filter& filter, std::size_t slot) { return (filter[slot / 64] >> (slot % 64) & 1U) != 0; }
  static std::size_t exact_slot(std::string_view word) {
    if (word.empty()) return 0;
    auto first = static_cast<unsigned char>(word.front());
    auto last = static_cast<unsigned char>(word.back());
    return (word.size() * 131 + first * 31 + last * 7) % 4096;
  }
  static std::size_t pair_slot(char a, char b) {
    return (static_cast<unsigned char>(a) * 67U + static_cast<unsigned char>(b)) % 4096;
  }
  bool maybe_personal_word(std::string_view word) const {
    if (test(exact_filter_, exact_slot(word))) return true;
    return word.size() >= 4 && (test(prefix_filter_, pair_slot(word[0], word[1])) ||
                                test(suffix_filter_, pair_slot(word[word.size() - 2], word[word.size() - 1])));
  }

  const Personalisation& personalisation_;
  Filter exact_filter_{};
  Filter prefix_filter_{};
  Filter suffix_filter_{};
  std::size_t max_tokens_;
  NormalisedText result_;
  std::size_t last_start_ = 0;  // where the last token starts in result_.text
  bool last_mask_ = false;      // the last token is a mask
  bool last_numeric_ = false;   // ... <num> or <date>
};

// Chunks are a few bytes long: a byte loop, not a call to memchr per chunk.
template <typename Each>
void for_each_chunk(std::string_view text, Each&& each) {
  const std::size_t size = text.size();
  std::size_t at = 0;
  while (at < size) {
    std::size_t end = at;
    while (end < size && text[end] != ' ') ++end;
    if (end > at) each(text.substr(at, end - at));
    at = end + 1;
  }
}

// The first `most` chunks of fold_words(line) into `chunks`, as views into
// `scratch`. While the words are ASCII without NULs each is one chunk and is
// only lowered; a line with another word among the first `most` is folded.
void fold_chunks(std::string_view line, std::string& scratch, std::vector<std::string_view>& chunks,
                 std::size_t most = std::string_view::npos) {
  chunks.clear();
  const auto* bytes = reinterpret_cast<const unsigned char*>(line.data());
  const std::size_t size = line.size();
  std::size_t at = 0;
  bool plain = true;
  while (chunks.size() < most) {
    while (at < size && byte_classes[bytes[at]] == byte_space) ++at;
    if (at >= size) break;
    std::size_t start = at;
    unsigned char classes = 0;
    for (; at < size && byte_classes[bytes[at]] != byte_space; ++at) classes |= byte_classes[bytes[at]];
    if ((classes & byte_fold) != 0) {
      plain = false;
      break;
    }
    chunks.push_back(line.substr(start, at - start));
  }
  if (plain) {
    // The same chunks, lowered.
    lower_into(scratch, line.substr(0, at));
    for (auto& chunk : chunks) {
      chunk = std::string_view(scratch).substr(static_cast<std::size_t>(chunk.data() - line.data()), chunk.size());
    }
    return;
  }
  chunks.clear();
  scratch = fold_words(line);
  for_each_chunk(scratch, [&](std::string_view chunk) {
    if (chunks.size() < most) chunks.push_back(chunk);
  });
}

// How many chunks a greeting opening the line takes: 1 ("Hi"), 2 ("Good
// morning") or 0.
std::size_t greeting_chunks(const std::vector<std::string_view>& chunks) {
  if (chunks.empty()) return 0;
  if (in(strip_punctuation(chunks[0]), greetings)) return 1;
  std::size_t found = 0;
  if (chunks.size() > 1) {
    for (const auto& pair : greeting_pairs) {
      if (strip_punctuation(chunks[0]) == pair[0] && strip_punctuation(chunks[1]) == pair[1]) found = 2;
    }
  }
  return found;
}

// Masks "Hi Jane," / "Dear Mr. Doe -" / "Hola María!": the greeting, then up
// to four words before the first punctuation mark (or the end of the line),
// then the rest of the line as it is.
void push_first_line(Builder& builder, const std::vector<std::string_view>& chunks) {
  std::size_t skip = greeting_chunks(chunks);
  std::size_t i = 0;
  if (skip > 0) {
    builder.push_chunk(mask::greeting);
    i = skip;
    // A greeting followed straight by punctuation ("Hello,") has no name.
    bool ended = chunks[skip - 1].back() == ',' || chunks[skip - 1].back() == '!';
    std::size_t name_words = 0;
    while (!ended && i < chunks.size() && name_words < 4) {
      auto chunk = chunks[i];
      char last = chunk.back();
      ++i;
      ++name_words;
      if (last == ',' || last == '!' || last == ':' || last == ';' || last == '-' || chunk == "-" ||
          (last == '.' && !in(strip_punctuation(chunk), titles))) {
        ended = true;
      }
    }
    bool whole_line = i == chunks.size();
    if (name_words > 0 && (ended || whole_line)) {
      builder.push_chunk(mask::name);
    } else {
      i = skip;  // no name found: keep the words
    }
  }
  for (; i < chunks.size(); ++i) builder.push_chunk(chunks[i]);
}

// Whether the opening greets the recipient by name. Templates may open with a
// line of their own ("From: Sarah at Acme"), so the first three lines with
// words are looked at: a greeting word and up to six words after it ("Hi
// Jane Doe —"), or a short line that ends in a comma ("Jane,").
bool greets_recipient(std::string_view text, const Personalisation& personalisation, std::string& scratch,
                      std::vector<std::string_view>& chunks) {
  constexpr std::size_t lines_looked_at = 3;
  constexpr std::size_t name_words = 6;
  std::size_t lines = 0;
  std::size_t start = 0;
  while (start < text.size() && lines < lines_looked_at) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    // The greeting and the name words after it are among the first chunks.
    fold_chunks(text.substr(start, end - start), scratch, chunks, 2 + name_words);
    start = end + 1;
    if (chunks.empty()) continue;
    ++lines;
    std::size_t first = greeting_chunks(chunks);  // the first word after the greeting
    bool short_address = first == 0 && chunks.size() <= 3 && chunks.back().back() == ',';
    if (first == 0 && !short_address) continue;
    for (std::size_t i = first; i < chunks.size() && i < first + name_words; ++i) {
      if (personalisation.is_recipient_name(strip_punctuation(chunks[i]))) return true;
    }
    return false;
  }
  return false;
}

// Pushes the chunks of a block of lines, as fold_words() would give them,
// until the token limit. ASCII chunks are views into the block lowered into
// `lowered`; a chunk with other bytes is folded on its own.
void push_block(Builder& builder, std::string_view block, std::string& lowered) {
  lower_into(lowered, block);
  const auto* bytes = reinterpret_cast<const unsigned char*>(lowered.data());
  const std::size_t size = block.size();
  std::size_t at = 0;
  while (true) {
    while (at < size && byte_classes[bytes[at]] == byte_space) ++at;
    if (at >= size || builder.full()) return;
    std::size_t start = at;
    unsigned char classes = 0;
    // The space after the block ends the last chunk.
    for (unsigned char c = byte_classes[bytes[at]]; c != byte_space; c = byte_classes[bytes[++at]]) classes |= c;
    if ((classes & byte_fold) != 0) {
      std::string folded = fold_text(block.substr(start, at - start));
      for_each_chunk(folded, [&](std::string_view chunk) {
        if (!builder.full()) builder.push_chunk(chunk);
      });
    } else {
      builder.push_ascii_chunk(std::string_view(lowered).substr(start, at - start), classes);
    }
  }
}

}  // namespace

NormalisedText normalise_text(std::string_view text, const Personalisation& personalisation,
                              std::size_t max_tokens) {
  // The greeting sits on the first line with text.
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (has_text(text.substr(start, end - start))) break;
    start = end + 1;
  }
  auto first_end = start < text.size() ? text.find('\n', start) : std::string_view::npos;
  if (first_end == std::string_view::npos) first_end = text.size();
  start = std::min(start, text.size());

  Builder builder(personalisation, max_tokens, text.size());
  std::string scratch;
  std::vector<std::string_view> chunks;
  if (greets_recipient(text, personalisation, scratch, chunks)) builder.mark_names_recipient();
  fold_chunks(text.substr(start, first_end - start), scratch, chunks);
  push_first_line(builder, chunks);
  // The rest a block of lines at a time, so that what lies past the token
  // limit (long quoted history) is not even lowered. Folding never joins
  // words across a line break, so the blocks give the same tokens.
  constexpr std::size_t block_bytes = 4096;
  std::string_view rest = text.substr(std::min(first_end, text.size()));
  while (!rest.empty() && !builder.full()) {
    std::size_t cut = rest.size() <= block_bytes ? rest.size() : rest.find('\n', block_bytes);
    if (cut == std::string_view::npos) cut = rest.size();
    push_block(builder, rest.substr(0, cut), scratch);
    rest.remove_prefix(cut);
  }
  return builder.take();
}

}  // namespace pushback::scoring
