// libxml2's HTML parser driven through SAX: no tree is built, the text, quote
// marker, images and links are collected as the elements open and close. The
// parser keeps its open elements on a heap stack, not the C stack, so an HTML
// bomb costs memory in proportion to its size and no recursion.
#include "scoring/html_text.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <array>
#include <bit>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "scoring/message.hpp"

namespace pushback::scoring {

namespace {

// Limits on what one message's HTML can add to HtmlRefs.
constexpr std::size_t max_images = 256;
constexpr std::size_t max_links = 1024;

void init_libxml2() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

enum class Tag : unsigned char { other, dropped, block, br, img, a, blockquote };

// Element names come lower-cased from the parser.
Tag classify(std::string_view name) {
  switch (name.size()) {
    case 1:
      if (name == "p") return Tag::block;
      if (name == "a") return Tag::a;
      return Tag::other;
    case 2:
      if (name == "br") return Tag::br;
      if (name == "li" || name == "ul" || name == "ol" || name == "dl" || name == "dt" || name == "dd" ||
          name == "tr" || name == "hr" || (name[0] == 'h' && name[1] >= '1' && name[1] <= '6')) {
        return Tag::block;
      }
      return Tag::other;
    case 3:
      if (name == "div" || name == "pre" || name == "nav") return Tag::block;
      if (name == "img") return Tag::img;
      if (name == "svg") return Tag::dropped;
      return Tag::other;
    case 4:
      if (name == "body" || name == "form" || name == "main") return Tag::block;
      if (name == "head" || name == "math") return Tag::dropped;
      return Tag::other;
    case 5:
      if (name == "table" || name == "aside") return Tag::block;
      if (name == "style" || name == "title") return Tag::dropped;
      return Tag::other;
    case 6:
      if (name == "header" || name == "footer" || name == "center" || name == "figure") return Tag::block;
      if (name == "script" || name == "object" || name == "iframe") return Tag::dropped;
      return Tag::other;
    case 7:
      if (name == "section" || name == "article" || name == "address") return Tag::block;
      return Tag::other;
    case 8:
      if (name == "noscript" || name == "template") return Tag::dropped;
      return Tag::other;
    case 10:
      if (name == "blockquote") return Tag::blockquote;
      return Tag::other;
    default:
      return Tag::other;
  }
}

bool is_block(Tag tag) { return tag == Tag::block || tag == Tag::blockquote; }

// The attributes that on_start reads, found in one pass over the SAX
// attributes (name, value pairs ending in a null name). Attribute names come
// lower-cased from the parser. A value is empty when the attribute is absent
// or written without one ("hidden"); `hidden` is whether that one is present.
struct Attributes {
  std::string_view class_names;
  std::string_view id;
  std::string_view src;
  std::string_view width;
  std::string_view height;
  std::string_view style;
  std::string_view href;
  bool hidden = false;
};

// Whether a NUL-terminated name is `word`.
bool is_name(const char* name, std::string_view word) {
  for (char c : word) {
    if (*name++ != c) return false;
  }
  return *name == '\0';
}

Attributes read_attributes(const xmlChar** attributes) {
  Attributes found;
  if (attributes == nullptr) return found;
  // The first of a name counts (the parser drops repeated names anyway).
  std::uint8_t seen = 0;
  auto take = [&seen](std::uint8_t bit, std::string_view& field, const xmlChar* value) {
    if ((seen & bit) != 0) return;
    seen |= bit;
    if (value != nullptr) field = reinterpret_cast<const char*>(value);
  };
  for (const xmlChar** at = attributes; *at != nullptr; at += 2) {
    const char* name = reinterpret_cast<const char*>(*at);
    const xmlChar* value = at[1];
    switch (name[0]) {
      case 'c':
        if (is_name(name, "class")) take(1, found.class_names, value);
        break;
      case 'i':
        if (is_name(name, "id")) take(2, found.id, value);
        break;
      case 's':
        if (is_name(name, "src")) take(4, found.src, value);
        if (is_name(name, "style")) take(8, found.style, value);
        break;
      case 'w':
        if (is_name(name, "width")) take(16, found.width, value);
        break;
      case 'h':
        if (is_name(name, "height")) take(32, found.height, value);
        if (is_name(name, "href")) take(64, found.href, value);
        if (is_name(name, "hidden")) found.hidden = true;
        break;
      default:
        break;
    }
  }
  return found;
}

// Whether a class attribute (names between spaces) names a quote marker.
bool has_quote_class(std::string_view classes) {
  std::size_t at = 0;
  while (at < classes.size()) {
    while (at < classes.size() && classes[at] == ' ') ++at;
    auto end = classes.find(' ', at);
    if (end == std::string_view::npos) end = classes.size();
    auto name = classes.substr(at, end - at);
    if (iequals(name, "gmail_quote") || iequals(name, "moz-cite-prefix") || iequals(name, "yahoo_quoted")) return true;
    at = end;
  }
  return false;
}

bool starts_quote(Tag tag, const Attributes& attributes) {
  return tag == Tag::blockquote || has_quote_class(attributes.class_names) || iequals(attributes.id, "appendonsend") ||
         iequals(attributes.id, "divRplyFwdMsg");
}

// "1", "1px", " 1.0 " -> 1; -1 when there is no leading number.
int leading_int(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  int value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  (void)end;
  return error == std::errc() ? value : -1;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

// Reads the declarations of an inline style attribute that size or hide an image.
void apply_style(std::string_view style, ImageRef& image) {
  std::size_t at = 0;
  while (at < style.size()) {
    auto end = style.find(';', at);
    if (end == std::string_view::npos) end = style.size();
    auto declaration = style.substr(at, end - at);
    at = end + 1;
    auto colon = declaration.find(':');
    if (colon == std::string_view::npos) continue;
    auto property = trim(declaration.substr(0, colon));
    auto value = trim(declaration.substr(colon + 1));
    if (iequals(property, "width") || iequals(property, "max-width")) {
      if (int width = leading_int(value); width >= 0) image.width = width;
    } else if (iequals(property, "height") || iequals(property, "max-height")) {
      if (int height = leading_int(value); height >= 0) image.height = height;
    } else if (iequals(property, "display")) {
      if (istarts_with(value, "none")) image.hidden = true;
    } else if (iequals(property, "visibility")) {
      if (istarts_with(value, "hidden")) image.hidden = true;
    } else if (iequals(property, "opacity")) {
      if (value == "0" || value == "0.0" || value == "0%") image.hidden = true;
    }
  }
}

void note_image(const Attributes& attributes, HtmlRefs& refs) {
  if (refs.images.size() >= max_images) return;
  ImageRef image;
  image.src = attributes.src;
  if (!attributes.width.empty()) image.width = leading_int(attributes.width);
  if (!attributes.height.empty()) image.height = leading_int(attributes.height);
  image.hidden = attributes.hidden;
  apply_style(attributes.style, image);
  refs.images.push_back(std::move(image));
}

void append_line_break(std::string& text) {
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
}

// The walk's state, passed to the SAX callbacks as user data. `depth` counts
// the open elements (the parser's implied html and body included); an element
// or text deeper than max_depth is dropped with everything inside it, as is a
// dropped element (script, style, head, ...).
struct Collector {
  HtmlText& result;
  std::size_t max_depth;
  std::size_t depth = 0;
  std::size_t skip_from = 0;  // depth of the element being skipped; 0 when none

  bool skipping() const { return skip_from != 0; }
};

// C1 control characters (U+0080 to U+009F) in text come from numeric
// references such as &#149; (preprocess() replaced the raw ones): read as the
// windows-1252 characters they stand for, as HTML5 parsers read them.
std::string_view windows_1252(unsigned char second_byte) {
  static constexpr std::array<std::string_view, 32> table{
      "\u20ac", "\xc2\x81", "\u201a", "\u0192", "\u201e", "\u2026", "\u2020", "\u2021",
      "\u02c6", "\u2030", "\u0160", "\u2039", "\u0152", "\xc2\x8d", "\u017d", "\xc2\x8f",
      "\xc2\x90", "\u2018", "\u2019", "\u201c", "\u201d", "\u2022", "\u2013", "\u2014",
      "\u02dc", "\u2122", "\u0161", "\u203a", "\u0153", "\xc2\x9d", "\u017e", "\u0178"};
  return table[second_byte - 0x80];
}

// HTML white space is not significant: line breaks in text are spaces;
// no-break spaces become plain spaces so that line rules see them. Runs of
// other bytes are copied as they are.
void append_text(std::string& text, std::string_view value) {
  static constexpr auto special = [] {
    std::array<bool, 256> table{};
    for (char c : std::string_view("\n\r\t\f\xc2")) table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  const char* at = value.data();
  const char* end = at + value.size();
  while (at < end) {
    const char* run = at;
    while (at < end && !special[static_cast<unsigned char>(*at)]) ++at;
    text.append(run, static_cast<std::size_t>(at - run));
    if (at == end) break;
    char c = *at++;
    if (c != '\xc2') {
      text.push_back(' ');
    } else if (at < end && *at == '\xa0') {
      text.push_back(' ');
      ++at;
    } else if (at < end && static_cast<unsigned char>(*at) >= 0x80 && static_cast<unsigned char>(*at) < 0xa0) {
      text += windows_1252(static_cast<unsigned char>(*at));
      ++at;
    } else {
      text.push_back(c);
    }
  }
}

void on_start(void* user_data, const xmlChar* raw_name, const xmlChar** attributes) {
  auto& collector = *static_cast<Collector*>(user_data);
  ++collector.depth;
  if (collector.skipping()) return;
  if (collector.depth > collector.max_depth) {
    collector.result.depth_hit = true;
    collector.skip_from = collector.depth;
    return;
  }
  Tag tag = classify(reinterpret_cast<const char*>(raw_name));
  if (tag == Tag::dropped) {
    collector.skip_from = collector.depth;
    return;
  }
  HtmlText& result = collector.result;
  bool quote_open = result.quote_at == std::string::npos;
  Attributes found;
  if (tag == Tag::img || tag == Tag::a || quote_open) found = read_attributes(attributes);
  if (tag == Tag::img) note_image(found, result.refs);
  if (tag == Tag::a && result.refs.links.size() < max_links && !found.href.empty()) {
    result.refs.links.emplace_back(found.href);
  }
  if (tag == Tag::br) result.text.push_back('\n');
  if (is_block(tag)) append_line_break(result.text);
  if (quote_open && starts_quote(tag, found)) result.quote_at = result.text.size();
}

void on_end(void* user_data, const xmlChar* raw_name) {
  auto& collector = *static_cast<Collector*>(user_data);
  if (collector.depth == 0) return;
  std::size_t closing = collector.depth--;
  if (collector.skipping()) {
    if (closing == collector.skip_from) collector.skip_from = 0;
    return;
  }
  if (is_block(classify(reinterpret_cast<const char*>(raw_name)))) append_line_break(collector.result.text);
}

void on_text(void* user_data, const xmlChar* text, int length) {
  auto& collector = *static_cast<Collector*>(user_data);
  if (collector.skipping() || length <= 0) return;
  // Text outside any element, or straight in <html>, is white space between tags.
  if (collector.depth <= 1) return;
  if (collector.depth + 1 > collector.max_depth) {
    collector.result.depth_hit = true;
    return;
  }
  append_text(collector.result.text,
              std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)));
}

void on_message(void*, const char*, ...) {}

htmlSAXHandler make_handler() {
  htmlSAXHandler handler;
  std::memset(&handler, 0, sizeof handler);
  handler.startElement = &on_start;
  handler.endElement = &on_end;
  handler.characters = &on_text;
  handler.ignorableWhitespace = &on_text;
  handler.cdataBlock = &on_text;
  handler.warning = &on_message;
  handler.error = &on_message;
  handler.fatalError = &on_message;
  return handler;
}

// "<!" that opens neither a comment nor a DOCTYPE: HTML5 reads it up to the
// next ">" as a comment ("<![if !supportLists]>" from Word and Outlook);
// libxml2 would show it as text. Returns its length, 0 when `at` starts none.
std::size_t bogus_comment_at(std::string_view html, std::size_t at) {
  auto rest = html.substr(at);
  if (rest.size() < 2 || rest[1] != '!' || rest.substr(2).starts_with("--") ||
      istarts_with(rest.substr(2), "doctype")) {
    return 0;
  }
  auto end = rest.find('>');
  return end == std::string_view::npos ? rest.size() : end + 1;
}

// The end of the comment that starts at `at` with "<!--": after "-->", or
// after "<!-->" and "<!--->", which HTML5 reads as empty comments.
std::size_t real_comment_end(std::string_view html, std::size_t at) {
  auto rest = html.substr(at + 4);
  if (rest.starts_with(">")) return at + 5;
  if (rest.starts_with("->")) return at + 6;
  auto end = rest.find("-->");
  return end == std::string_view::npos ? html.size() : at + 4 + end + 3;
}

// Length of the UTF-8 sequence that starts with the byte at s[0] (0x80 or
// over), 0 when it is not valid: a bad lead or continuation byte, a sequence
// cut short, an overlong form, a surrogate or a code point over U+10FFFF
// (what utf8proc_iterate rejects).
std::size_t utf8_length(const unsigned char* s, std::size_t left) {
  auto continues = [&](std::size_t i) { return i < left && (s[i] & 0xc0) == 0x80; };
  unsigned lead = s[0];
  if (lead < 0xc2 || lead > 0xf4) return 0;
  if (lead < 0xe0) return continues(1) ? 2 : 0;
  if (lead < 0xf0) {
    if (!continues(1) || !continues(2)) return 0;
    if ((lead == 0xe0 && s[1] < 0xa0) || (lead == 0xed && s[1] > 0x9f)) return 0;
    return 3;
  }
  if (!continues(1) || !continues(2) || !continues(3)) return 0;
  if ((lead == 0xf0 && s[1] < 0x90) || (lead == 0xf4 && s[1] > 0x8f)) return 0;
  return 4;
}

// U+0080 to U+009F, written as C2 80 to C2 9F.
bool is_c1_control(const unsigned char* s, std::size_t left) { return left >= 2 && s[0] == 0xc2 && s[1] < 0xa0; }

// The first byte at or after `at` that preprocess() has to look at: NUL, CR,
// '!' (of "<!") or a byte over 0x7f. Eight bytes at a time while none is there.
std::size_t next_notable(const unsigned char* bytes, std::size_t at, std::size_t size) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  auto has_zero_byte = [](std::uint64_t word) { return (word - ones) & ~word & highs; };
  while (size - at >= 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes + at, 8);
    // A flag may also be set above a matching byte (a borrow), never below
    // the first one: the lowest flag is the first notable byte.
    std::uint64_t flags =
        (word & highs) | has_zero_byte(word) | has_zero_byte(word ^ (ones * '\r')) | has_zero_byte(word ^ (ones * '!'));
    if (flags != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return at + static_cast<std::size_t>(std::countr_zero(flags)) / 8;
      }
      break;
    }
    at += 8;
  }
  while (at < size && bytes[at] != 0 && bytes[at] != '\r' && bytes[at] != '!' && bytes[at] < 0x80) ++at;
  return at;
}

// The input as an HTML5 parser would tokenise it, made ready for libxml2: CR
// LF and lone CR become LF; invalid UTF-8 (which would make libxml2 switch to
// Latin-1 for the rest of the document) and C1 control characters become
// U+FFFD, one for each byte that starts no valid sequence; NULs and bogus
// comments are dropped. Returns false (and leaves `out` alone) when the input
// needs no change.
bool preprocess(std::string_view html, std::string& out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(html.data());
  std::size_t size = html.size();
  std::size_t at = 0;
  std::size_t comment_end = 0;  // inside a real comment "<!" opens nothing
  // Moves `at` to the next byte to change; false at the end.
  auto next_change = [&]() {
    while ((at = next_notable(bytes, at, size)) < size) {
      unsigned char byte = bytes[at];
      if (byte == 0 || byte == '\r') return true;
      if (byte == '!') {
        // Only "<!" can open a comment. The scan never starts right after a
        // '<', so that '<' has not been looked at yet.
        std::size_t open = at - 1;
        if (at > 0 && bytes[open] == '<' && open >= comment_end) {
          if (html.substr(open).starts_with("<!--")) {
            comment_end = real_comment_end(html, open);
          } else if (bogus_comment_at(html, open) > 0) {
            at = open;
            return true;
          }
        }
        ++at;
        continue;
      }
      std::size_t length = utf8_length(bytes + at, size - at);
      if (length == 0 || is_c1_control(bytes + at, size - at)) return true;
      at += length;
    }
    return false;
  };
  if (!next_change()) return false;
  out.reserve(size + 16);
  out.assign(html.data(), at);
  while (at < size) {
    unsigned char byte = bytes[at];
    if (byte == 0) {
      ++at;
    } else if (byte == '\r') {
      out.push_back('\n');
      ++at;
      if (at < size && bytes[at] == '\n') ++at;
    } else if (byte == '<') {
      at += bogus_comment_at(html, at);
    } else if (utf8_length(bytes + at, size - at) == 2) {
      out += "\xEF\xBF\xBD";  // a C1 control character
      at += 2;
    } else {
      out += "\xEF\xBF\xBD";
      ++at;
    }
    std::size_t from = at;
    next_change();
    out.append(html.data() + from, at - from);
  }
  return true;
}

}  // namespace

HtmlText html_to_text(std::string_view html, std::size_t max_depth) {
  init_libxml2();
  HtmlText result;
  std::string cleaned;
  if (preprocess(html, cleaned)) html = cleaned;
  if (html.empty() || html.size() > static_cast<std::size_t>(INT_MAX)) return result;

  static const htmlSAXHandler handler = make_handler();
  Collector collector{result, max_depth};
  htmlParserCtxtPtr context = htmlCreateMemoryParserCtxt(html.data(), static_cast<int>(html.size()));
  if (context == nullptr) return result;
  // The input is UTF-8 (the MIME step converted it); without this the parser
  // reads bytes over 0x7f as Latin-1.
  xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8);
  std::memcpy(context->sax, &handler, sizeof handler);
  context->userData = &collector;
  htmlCtxtUseOptions(context, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                  HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
  htmlParseDocument(context);
  htmlFreeParserCtxt(context);
  return result;
}

}  // namespace pushback::scoring
