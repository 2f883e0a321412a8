// MIME decoding through GMime 3. GMime is initialised once per process (a
// library init, not state of ours); every object is released before return.
#include "scoring/mime_text.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string_view>

namespace pushback::scoring {

namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns one GObject reference.
template <typename T>
struct GRef {
  T* ptr = nullptr;
  explicit GRef(T* p) : ptr(p) {}
  GRef(const GRef&) = delete;
  GRef& operator=(const GRef&) = delete;
  ~GRef() {
    if (ptr != nullptr) g_object_unref(ptr);
  }
};

void note_limit(std::vector<std::string>& hit, std::string_view name) {
  if (std::find(hit.begin(), hit.end(), name) == hit.end()) hit.emplace_back(name);
}

bool is_utf8_name(std::string_view charset) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  std::string name;
  for (char c : charset) name.push_back(lower(c));
  return name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii";
}

// Charsets that iconv knows and that map 0x00-0x7f to ASCII (ASCII itself
// among them, under the name ANSI_X3.4-1968): pure ASCII text in them is
// already UTF-8. Not the 7-bit encodings with escapes (UTF-7, ISO-2022-*,
// HZ), whose ASCII bytes mean other characters, nor windows-1258, whose
// converter holds back a base letter for a diacritic.
bool is_ascii_superset(std::string_view charset) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  std::string name;
  for (char c : charset.substr(0, 16)) name.push_back(lower(c));
  if (name.size() != charset.size()) return false;
  if (name == "ansi_x3.4-1968") return true;
  if (name.starts_with("iso-8859-")) {
    auto part = std::string_view(name).substr(9);
    return part == "1" || part == "2" || part == "3" || part == "4" || part == "5" || part == "6" || part == "7" ||
           part == "8" || part == "9" || part == "10" || part == "11" || part == "13" || part == "14" ||
           part == "15" || part == "16";
  }
  return name.size() == 12 && name.starts_with("windows-125") && name[11] >= '0' && name[11] <= '7';
}

// Bytes from `at` on up to the first one over 0x7f, eight at a time.
std::size_t ascii_end(std::string_view text, std::size_t at) {
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  while (text.size() - at >= 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + at, 8);
    if ((word & highs) != 0) break;
    at += 8;
  }
  while (at < text.size() && static_cast<unsigned char>(text[at]) < 0x80) ++at;
  return at;
}

bool is_ascii(std::string_view text) { return ascii_end(text, 0) == text.size(); }

// What iconv makes of each byte over 0x7f in a single-byte charset: its
// UTF-8, or nothing for a byte the charset leaves undefined.
struct ByteTable {
  std::array<std::array<char, 4>, 128> utf8{};
  std::array<std::uint8_t, 128> length{};
  bool usable = false;  // every byte converted on its own, ASCII as itself
};

// Single-byte charsets whose iconv converter reads each byte on its own: no
// state, and no base letter held back for a diacritic (as in windows-1255
// and windows-1258), so converting byte by byte gives what iconv gives for
// the whole text.
constexpr std::array<std::string_view, 23> byte_charsets{
    "ansi_x3.4-1968", "iso-8859-1",   "iso-8859-2",   "iso-8859-3",   "iso-8859-4",   "iso-8859-5",
    "iso-8859-6",     "iso-8859-7",   "iso-8859-8",   "iso-8859-9",   "iso-8859-10",  "iso-8859-11",
    "iso-8859-13",    "iso-8859-14",  "iso-8859-15",  "iso-8859-16",  "windows-1250", "windows-1251",
    "windows-1252",   "windows-1253", "windows-1254", "windows-1256", "windows-1257"};

ByteTable build_byte_table(std::string_view charset) {
  ByteTable table;
  iconv_t cd = g_mime_iconv_open("UTF-8", std::string(charset).c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return table;
  bool usable = true;
  for (unsigned value = 0; value < 256 && usable; ++value) {
    char byte = static_cast<char>(value);
    std::array<char, 8> out{};
    char* in = &byte;
    std::size_t in_left = 1;
    char* out_at = out.data();
    std::size_t out_left = out.size();
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
    std::size_t rc = iconv(cd, &in, &in_left, &out_at, &out_left);
    auto written = static_cast<std::size_t>(out_at - out.data());
    if (value < 0x80) {
      usable = rc == 0 && written == 1 && out[0] == byte;
    } else if (rc == static_cast<std::size_t>(-1)) {
      usable = errno == EILSEQ && written == 0;  // undefined: iconv's caller drops the byte
    } else if (written <= 4) {
      std::copy_n(out.begin(), written, table.utf8[value - 0x80].begin());
      table.length[value - 0x80] = static_cast<std::uint8_t>(written);
    } else {
      usable = false;
    }
  }
  g_mime_iconv_close(cd);
  table.usable = usable;
  return table;
}

// The table for a charset named in byte_charsets, built on first use; null
// for any other charset.
const ByteTable* byte_table(std::string_view charset) {
  static std::array<ByteTable, byte_charsets.size()> tables;
  static std::array<std::once_flag, byte_charsets.size()> built;
  for (std::size_t i = 0; i < byte_charsets.size(); ++i) {
    if (!iequals(charset, byte_charsets[i])) continue;
    std::call_once(built[i], [i] { tables[i] = build_byte_table(byte_charsets[i]); });
    return tables[i].usable ? &tables[i] : nullptr;
  }
  return nullptr;
}

void convert_by_table(const ByteTable& table, std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t run = at;
    at = ascii_end(text, at);
    out.append(text, run, at - run);
    for (; at < text.size() && static_cast<unsigned char>(text[at]) >= 0x80; ++at) {
      std::size_t index = static_cast<unsigned char>(text[at]) - 0x80U;
      out.append(table.utf8[index].data(), table.length[index]);
    }
  }
  text = std::move(out);
}

// Converts with iconv, skipping bytes that are invalid in the source charset.
bool convert_charset(std::string_view from, std::string& text) {
  if (is_ascii_superset(from) && is_ascii(text)) return true;
  if (const ByteTable* table = byte_table(from)) {
    convert_by_table(*table, text);
    return true;
  }
  iconv_t cd = g_mime_iconv_open("UTF-8", std::string(from).c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  std::string out;
  out.resize(text.size() * 2 + 16);
  char* in = text.data();
  std::size_t in_left = text.size();
  std::size_t used = 0;
  while (in_left > 0) {
    char* out_at = out.data() + used;
    std::size_t out_left = out.size() - used;
    std::size_t rc = iconv(cd, &in, &in_left, &out_at, &out_left);
    used = static_cast<std::size_t>(out_at - out.data());
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
    } else {  // EILSEQ or EINVAL: drop one byte and go on
      ++in;
      --in_left;
    }
  }
  g_mime_iconv_close(cd);
  out.resize(used);
  text = std::move(out);
  return true;
}

// Windows-1252 is what unlabelled or mislabelled 8-bit mail most often is.
void best_effort_utf8(std::string& text) {
  if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return;
  convert_charset("windows-1252", text);
}

// Text in the part's charset (null when none is given) to UTF-8.
void to_utf8(const char* charset, std::string& text, MimeText& result) {
  if (charset != nullptr && !is_utf8_name(charset)) {
    if (!convert_charset(charset, text)) {
      result.charset_unknown = true;
      best_effort_utf8(text);
    }
  } else if (charset == nullptr) {
    best_effort_utf8(text);
  }
}

// At most this many mailboxes are kept per list (From, or To and Cc together).
constexpr std::size_t max_mailboxes = 64;

void collect_mailboxes(InternetAddressList* list, std::vector<Mailbox>& out, int depth = 0) {
  if (list == nullptr) return;
  int count = internet_address_list_length(list);
  for (int i = 0; i < count && out.size() < max_mailboxes; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      const char* name = internet_address_get_name(address);
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
      out.push_back({name != nullptr ? name : "", addr != nullptr ? addr : ""});
    } else if (INTERNET_ADDRESS_IS_GROUP(address) && depth == 0) {
      collect_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out, depth + 1);
    }
  }
}

// Address lists in the plainest form, read without GMime, which builds and
// releases a GObject per address: items split at commas, each a bare
// addr-spec, "<addr-spec>" or "Display Name <addr-spec>", in printable ASCII
// with nothing to decode or unquote (no quotes, comments, groups, encoded
// words, escapes, IDN labels; phrases of atoms between single spaces; tabs
// only around items, as folding leaves them). For
// these GMime gives the phrase as the name and the addr-spec as the address,
// which the unit tests check through both paths. Anything else returns
// false with `out` unchanged, and goes to GMime.
constexpr auto atext = [] {
  std::array<bool, 256> table{};
  for (unsigned char c = '0'; c <= '9'; ++c) table[c] = true;
  for (unsigned char c = 'a'; c <= 'z'; ++c) table[c] = table[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+/^_`{|}~-=?")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_atext(char c) { return atext[static_cast<unsigned char>(c)]; }

// Bytes that rule out the simple form anywhere in a list: controls but tab,
// non-ASCII, quotes, comments, escapes, groups and domain literals.
constexpr auto not_simple = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0; c < 256; ++c) table[c] = (c < 0x20 && c != '\t') || c > 0x7e;
  for (char c : std::string_view("\"()\\:;[]")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

enum class AddrSpec { other, simple, dropped };

// A simple addr-spec, or one that GMime drops from the list: a local part
// of atoms whose dots are misplaced ("m..doe@", ".doe@", "doe.@"), which
// legacy mail systems wrote.
AddrSpec addr_spec_kind(std::string_view addr) {
  auto at = addr.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= addr.size()) return AddrSpec::other;
  auto local = addr.substr(0, at);
  auto domain = addr.substr(at + 1);
  // 0: not atoms and dots; 1: a dot-atom; 2: atoms and dots, misplaced.
  auto dot_atoms = [](std::string_view text, bool domain_labels) {
    bool misplaced = text.front() == '.' || text.back() == '.';
    char previous = 0;
    for (char c : text) {
      if (c == '.') {
        misplaced = misplaced || previous == '.';
      } else if (domain_labels ? !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                   c == '-')
                               : !is_atext(c)) {
        return 0;
      }
      previous = c;
    }
    return misplaced ? 2 : 1;
  };
  int local_kind = dot_atoms(local, false);
  if (local_kind == 0 || dot_atoms(domain, true) != 1) return AddrSpec::other;
  // Punycode labels ("xn--"): GMime gives them decoded.
  if (domain.find("--") != std::string_view::npos) {
    for (std::size_t i = 0; i + 4 <= domain.size(); ++i) {
      if (istarts_with(domain.substr(i), "xn--")) return AddrSpec::other;
    }
  }
  return local_kind == 1 ? AddrSpec::simple : AddrSpec::dropped;
}

bool simple_address_list(std::string_view value, std::vector<Mailbox>& out) {
  for (char c : value) {
    if (not_simple[static_cast<unsigned char>(c)]) return false;
  }
  if (value.find("=?") != std::string_view::npos) return false;  // maybe an encoded word
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  std::vector<Mailbox> found;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    auto item = value.substr(start, end - start);
    while (!item.empty() && blank(item.front())) item.remove_prefix(1);
    while (!item.empty() && blank(item.back())) item.remove_suffix(1);
    if (item.empty()) return false;
    auto open = item.find('<');
    if (open == std::string_view::npos) {
      if (item.find('>') != std::string_view::npos) return false;
      auto kind = addr_spec_kind(item);
      if (kind == AddrSpec::other) return false;
      if (kind == AddrSpec::simple) found.push_back({"", std::string(item)});
    } else {
      if (item.back() != '>' || item.find('<', open + 1) != std::string_view::npos) return false;
      auto addr = item.substr(open + 1, item.size() - open - 2);
      if (addr.find('>') != std::string_view::npos || addr_spec_kind(addr) != AddrSpec::simple) return false;
      auto phrase = item.substr(0, open);
      if (!phrase.empty()) {
        if (phrase.back() != ' ') return false;  // "Jane<j@x>": left to GMime
        phrase.remove_suffix(1);
        char previous = ' ';
        for (char c : phrase) {
          if (c == ' ' ? previous == ' ' : (!is_atext(c) || c == '=' || c == '?')) return false;
          previous = c;
        }
        if (phrase.empty() || phrase.back() == ' ') return false;
      }
      found.push_back({std::string(phrase), std::string(addr)});
    }
    start = end + 1;
  }
  for (auto& mailbox : found) {
    if (out.size() >= max_mailboxes) break;
    out.push_back(std::move(mailbox));
  }
  return true;
}

class Walker {
 public:
  Walker(const TextLimits& limits, MimeText& result) : limits_(limits), result_(result) {}

  void walk(GMimeObject* object, std::size_t depth) {
    if (object == nullptr) return;
    if (depth > limits_.mime_depth) {
      note_limit(result_.limits_hit, limit_name::mime_depth);
      return;
    }
    if (++parts_ > limits_.mime_parts) {
      note_limit(result_.limits_hit, limit_name::mime_parts);
      return;
    }
    if (GMIME_IS_MULTIPART(object)) {
      auto* multipart = GMIME_MULTIPART(object);
      int count = g_mime_multipart_get_count(multipart);
      for (int i = 0; i < count; ++i) {
        walk(g_mime_multipart_get_part(multipart, i), depth + 1);
        if (parts_ > limits_.mime_parts) return;
      }
    } else if (GMIME_IS_MESSAGE_PART(object)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      if (inner != nullptr) walk(g_mime_message_get_mime_part(inner), depth + 1);
    } else if (GMIME_IS_TEXT_PART(object)) {
      take_text(object);
    }
  }

 private:
  void take_text(GMimeObject* object) {
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
    if (disposition != nullptr && g_mime_content_disposition_is_attachment(disposition)) return;
    GMimeContentType* type = g_mime_object_get_content_type(object);
    bool plain = g_mime_content_type_is_type(type, "text", "plain");
    bool html = g_mime_content_type_is_type(type, "text", "html");
    if ((plain && have_plain_) || (html && have_html_) || (!plain && !html)) return;
    std::string text = decode(GMIME_PART(object));
    if (plain) {
      have_plain_ = true;
      result_.text = std::move(text);
      result_.from_html = false;
    } else {
      have_html_ = true;
      result_.html = text;
      if (!have_plain_) {
        result_.text = std::move(text);
        result_.from_html = true;
      }
    }
  }

  std::string decode(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (content == nullptr) return {};
    std::string text;
    if (!decode_in_memory(content, text)) decode_through_stream(content, text);
    if (text.size() > limits_.text_bytes) {
      note_limit(result_.limits_hit, limit_name::text_bytes);
      text.resize(limits_.text_bytes);
    }
    to_utf8(g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset"), text, result_);
    return text;
  }

  // The parser keeps a part's content as a window on the memory stream of
  // the message: decoded from there in one step, as GMime's decoding filter
  // would in many. False, with `text` unchanged, for any other content (and
  // for uuencode, whose filter also looks for the "begin" line).
  static bool decode_in_memory(GMimeDataWrapper* content, std::string& text) {
    if (G_OBJECT_TYPE(content) != GMIME_TYPE_DATA_WRAPPER) return false;
    GMimeStream* stream = g_mime_data_wrapper_get_stream(content);
    if (stream == nullptr || !GMIME_IS_STREAM_MEM(stream)) return false;
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
    if (bytes == nullptr) return false;
    gint64 start = stream->bound_start;
    gint64 end = stream->bound_end == -1 ? static_cast<gint64>(bytes->len) : stream->bound_end;
    if (start < 0 || end < start || end > static_cast<gint64>(bytes->len)) return false;
    const char* raw = reinterpret_cast<const char*>(bytes->data) + start;
    auto length = static_cast<std::size_t>(end - start);
    GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    switch (encoding) {
      case GMIME_CONTENT_ENCODING_BASE64:
      case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE: {
        GMimeEncoding state;
        g_mime_encoding_init_decode(&state, encoding);
        text.resize(g_mime_encoding_outlen(&state, length));
        std::size_t used = g_mime_encoding_step(&state, raw, length, text.data());
        used += g_mime_encoding_flush(&state, "", 0, text.data() + used);
        text.resize(used);
        return true;
      }
      case GMIME_CONTENT_ENCODING_UUENCODE:
        return false;
      default:
        text.assign(raw, length);
        return true;
    }
  }

  static void decode_through_stream(GMimeDataWrapper* content, std::string& text) {
    GRef<GMimeStream> stream(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, stream.ptr);
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.ptr));
    text.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
  }

  const TextLimits& limits_;
  MimeText& result_;
  std::size_t parts_ = 0;
  bool have_plain_ = false;
  bool have_html_ = false;
};

// Only the headers the MIME parser and the text analysis need: fewer to parse.
bool wanted_header(std::string_view name) {
  return istarts_with(name, "content-") || iequals(name, "mime-version") || iequals(name, "subject") ||
         iequals(name, "from") || iequals(name, "to") || iequals(name, "cc");
}

// A header value as the MIME parser reads it: cut to header_bytes, stray line
// breaks and NULs (which would end the header early) as spaces, white space
// trimmed at both ends. Copied into `scratch` only when it has to change.
const char* clean_value(const std::string& raw, std::string& scratch, const TextLimits& limits, MimeText& result) {
  std::string_view value = raw;
  if (value.size() > limits.header_bytes) {
    note_limit(result.limits_hit, limit_name::header_bytes);
    value = value.substr(0, limits.header_bytes);
  }
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; };
  while (!value.empty() && blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && blank(value.back())) value.remove_suffix(1);
  bool stray = std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
  if (!stray && value.data() + value.size() == raw.data() + raw.size()) return value.data();
  scratch.assign(value);
  for (char& c : scratch) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return scratch.c_str();
}

// The wanted headers and the body as the bytes of a memory stream, written
// straight into the array that the stream will own.
GByteArray* rebuild(const Message& message, const TextLimits& limits, MimeText& result) {
  std::string head;
  std::size_t body_length = std::min(message.body.size(), limits.body_bytes);
  if (body_length < message.body.size()) note_limit(result.limits_hit, limit_name::body_bytes);
  for (const auto& header : message.headers) {
    if (!wanted_header(header.name)) continue;
    std::string_view value = header.value;
    if (value.size() > limits.header_bytes) {
      note_limit(result.limits_hit, limit_name::header_bytes);
      value = value.substr(0, limits.header_bytes);
    }
    head += header.name;
    head += ": ";
    // Values come unfolded; stray line breaks or NULs would end the header early.
    for (char c : value) head.push_back((c == '\r' || c == '\n' || c == '\0') ? ' ' : c);
    head += "\r\n";
  }
  head += "\r\n";
  GByteArray* raw = g_byte_array_sized_new(static_cast<guint>(head.size() + body_length));
  g_byte_array_append(raw, reinterpret_cast<const guint8*>(head.data()), static_cast<guint>(head.size()));
  g_byte_array_append(raw, reinterpret_cast<const guint8*>(message.body.data()), static_cast<guint>(body_length));
  return raw;
}

}  // namespace

std::string_view trim_space(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Most mail is one text/plain part in 7bit or 8bit. Its text is the body as
// it stands, so the MIME parser (and the some 30 objects it builds and
// releases) is not needed: the header fields go through GMime's own decoders
// for RFC 2047 words and address lists, as the parser would pass them.
// Returns false, having changed nothing, for any other message.
bool plain_single_part(const Message& message, const TextLimits& limits, MimeText& result) {
  const Header* content_type = nullptr;
  const Header* encoding = nullptr;
  for (const auto& header : message.headers) {
    if (!istarts_with(header.name, "content-")) continue;
    if (iequals(header.name, "content-type") && content_type == nullptr) {
      content_type = &header;
    } else if (iequals(header.name, "content-transfer-encoding") && encoding == nullptr) {
      encoding = &header;
    } else {
      return false;  // Content-Disposition, a second Content-Type, ...: the parser decides
    }
  }
  if (encoding != nullptr) {
    auto name = trim_space(encoding->value);
    if (!iequals(name, "7bit") && !iequals(name, "8bit") && !iequals(name, "binary")) return false;
  }
  GMimeParserOptions* options = g_mime_parser_options_get_default();
  std::string charset;
  if (content_type != nullptr) {
    if (content_type->value.size() > limits.header_bytes) return false;
    std::string scratch;
    GMimeContentType* type =
        g_mime_content_type_parse(options, clean_value(content_type->value, scratch, limits, result));
    if (type == nullptr) return false;
    bool plain = g_mime_content_type_is_type(type, "text", "plain");
    const char* parameter = g_mime_content_type_get_parameter(type, "charset");
    bool has_charset = parameter != nullptr;
    if (has_charset) charset = parameter;
    g_object_unref(type);
    if (!plain) return false;
    if (!has_charset) content_type = nullptr;  // as if no charset was named
  }

  std::size_t body_length = std::min(message.body.size(), limits.body_bytes);
  if (body_length < message.body.size()) note_limit(result.limits_hit, limit_name::body_bytes);
  std::size_t length = body_length;
  if (length > limits.text_bytes) {
    note_limit(result.limits_hit, limit_name::text_bytes);
    length = limits.text_bytes;
  }
  result.text.assign(message.body, 0, length);
  to_utf8(content_type != nullptr ? charset.c_str() : nullptr, result.text, result);
  result.from_html = false;

  // One Subject and one From, as the parser would keep; every To, then every Cc.
  const Header* subject = nullptr;
  const Header* from = nullptr;
  for (const auto& header : message.headers) {
    if (iequals(header.name, "subject")) {
      if (subject != nullptr) return false;
      subject = &header;
    } else if (iequals(header.name, "from")) {
      if (from != nullptr) return false;
      from = &header;
    }
  }
  if (subject != nullptr) {
    std::string scratch;
    char* decoded = g_mime_utils_header_decode_text(options, clean_value(subject->value, scratch, limits, result));
    if (decoded != nullptr) result.subject = decoded;
    g_free(decoded);
  }
  auto add_mailboxes = [&](const Header& header, std::vector<Mailbox>& out) {
    if (out.size() >= max_mailboxes) return;  // collect_mailboxes() would take none of it
    std::string scratch;
    const char* value = clean_value(header.value, scratch, limits, result);
    if (simple_address_list(value, out)) return;
    InternetAddressList* list = internet_address_list_parse(options, value);
    if (list == nullptr) return;
    collect_mailboxes(list, out);
    g_object_unref(list);
  };
  if (from != nullptr) add_mailboxes(*from, result.from);
  for (const char* name : {"to", "cc"}) {
    for (const auto& header : message.headers) {
      if (iequals(header.name, name)) add_mailboxes(header, result.to);
    }
  }
  return true;
}

MimeText extract_mime_text(const Message& message, const TextLimits& limits) {
  init_gmime();
  MimeText result;
  if (plain_single_part(message, limits, result)) return result;
  result = MimeText();
  GRef<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(rebuild(message, limits, result)));
  GRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.ptr));
  GRef<GMimeMessage> parsed(g_mime_parser_construct_message(parser.ptr, nullptr));
  if (parsed.ptr == nullptr) return result;

  if (const char* subject = g_mime_message_get_subject(parsed.ptr); subject != nullptr) result.subject = subject;
  collect_mailboxes(g_mime_message_get_from(parsed.ptr), result.from);
  collect_mailboxes(g_mime_message_get_to(parsed.ptr), result.to);
  collect_mailboxes(g_mime_message_get_cc(parsed.ptr), result.to);

  Walker walker(limits, result);
  walker.walk(g_mime_message_get_mime_part(parsed.ptr), 0);
  return result;
}

}  // namespace pushback::scoring
