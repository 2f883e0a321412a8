// libxml2's HTML parser driven through SAX: no tree is built, the text, quote
// marker, images and links are collected as the elements open and close. The
// parser keeps its open elements on a heap stack, not the C stack, so an HTML
// bomb costs memory in proportion to its size and no recursion.
#include "scoring/html_text.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <utf8proc.h>

#include <array>
#include <charconv>
#include <climits>
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

// SAX attributes: name, value pairs ending in a null name; a value is null
// for an attribute written without one ("hidden").
const xmlChar* const* find_attribute(const xmlChar** attributes, std::string_view name) {
  if (attributes == nullptr) return nullptr;
  for (const xmlChar** at = attributes; *at != nullptr; at += 2) {
    if (iequals(reinterpret_cast<const char*>(*at), name)) return at;
  }
  return nullptr;
}

std::string_view attribute(const xmlChar** attributes, std::string_view name) {
  const xmlChar* const* found = find_attribute(attributes, name);
  if (found == nullptr || found[1] == nullptr) return {};
  return reinterpret_cast<const char*>(found[1]);
}

bool has_class(std::string_view classes, std::string_view wanted) {
  std::size_t at = 0;
  while (at < classes.size()) {
    while (at < classes.size() && classes[at] == ' ') ++at;
    auto end = classes.find(' ', at);
    if (end == std::string_view::npos) end = classes.size();
    if (iequals(classes.substr(at, end - at), wanted)) return true;
    at = end;
  }
  return false;
}

bool starts_quote(Tag tag, const xmlChar** attributes) {
  if (tag == Tag::blockquote) return true;
  if (attributes == nullptr) return false;
  auto classes = attribute(attributes, "class");
  auto id = attribute(attributes, "id");
  return has_class(classes, "gmail_quote") || has_class(classes, "moz-cite-prefix") ||
         has_class(classes, "yahoo_quoted") || iequals(id, "appendonsend") || iequals(id, "divRplyFwdMsg");
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

void note_image(const xmlChar** attributes, HtmlRefs& refs) {
  if (refs.images.size() >= max_images) return;
  ImageRef image;
  image.src = attribute(attributes, "src");
  if (auto width = attribute(attributes, "width"); !width.empty()) image.width = leading_int(width);
  if (auto height = attribute(attributes, "height"); !height.empty()) image.height = leading_int(height);
  if (find_attribute(attributes, "hidden") != nullptr) image.hidden = true;
  apply_style(attribute(attributes, "style"), image);
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
// no-break spaces become plain spaces so that line rules see them.
void append_text(std::string& text, std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\n' || c == '\r' || c == '\t' || c == '\f') {
      text.push_back(' ');
    } else if (c == '\xc2' && i + 1 < value.size() && value[i + 1] == '\xa0') {
      text.push_back(' ');
      ++i;
    } else if (c == '\xc2' && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) < 0xa0) {
      text += windows_1252(static_cast<unsigned char>(value[i + 1]));
      ++i;
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
  if (tag == Tag::img) note_image(attributes, result.refs);
  if (tag == Tag::a && result.refs.links.size() < max_links) {
    if (auto href = attribute(attributes, "href"); !href.empty()) result.refs.links.emplace_back(href);
  }
  if (tag == Tag::br) result.text.push_back('\n');
  if (is_block(tag)) append_line_break(result.text);
  if (result.quote_at == std::string::npos && starts_quote(tag, attributes)) result.quote_at = result.text.size();
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

// The input as an HTML5 parser would tokenise it, made ready for libxml2: CR
// LF and lone CR become LF; invalid UTF-8 (which would make libxml2 switch to
// Latin-1 for the rest of the document) and C1 control characters become
// U+FFFD, one for each byte that starts no valid sequence; NULs and bogus
// comments are dropped. Returns false (and leaves `out` alone) when the input
// needs no change.
bool preprocess(std::string_view html, std::string& out) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(html.data());
  auto size = static_cast<utf8proc_ssize_t>(html.size());
  utf8proc_ssize_t at = 0;
  std::size_t comment_end = 0;  // inside a real comment "<!" opens nothing
  // Moves `at` to the next byte to change; false at the end.
  auto next_change = [&]() {
    while (at < size) {
      utf8proc_uint8_t byte = bytes[at];
      if (byte < 0x80) {
        if (byte == 0 || byte == '\r') return true;
        if (byte == '<' && static_cast<std::size_t>(at) >= comment_end) {
          auto position = static_cast<std::size_t>(at);
          if (html.substr(position).starts_with("<!--")) {
            comment_end = real_comment_end(html, position);
          } else if (bogus_comment_at(html, position) > 0) {
            return true;
          }
        }
        ++at;
        continue;
      }
      utf8proc_int32_t codepoint;
      utf8proc_ssize_t step = utf8proc_iterate(bytes + at, size - at, &codepoint);
      if (step <= 0 || codepoint < 0xa0) return true;
      at += step;
    }
    return false;
  };
  if (!next_change()) return false;
  out.reserve(html.size() + 16);
  out.assign(html.data(), static_cast<std::size_t>(at));
  while (at < size) {
    utf8proc_uint8_t byte = bytes[at];
    if (byte == 0) {
      ++at;
    } else if (byte == '\r') {
      out.push_back('\n');
      ++at;
      if (at < size && bytes[at] == '\n') ++at;
    } else if (byte == '<') {
      at += static_cast<utf8proc_ssize_t>(bogus_comment_at(html, static_cast<std::size_t>(at)));
    } else if (utf8proc_int32_t codepoint; utf8proc_iterate(bytes + at, size - at, &codepoint) == 2) {
      out += "\xEF\xBF\xBD";  // a C1 control character
      at += 2;
    } else {
      out += "\xEF\xBF\xBD";
      ++at;
    }
    utf8proc_ssize_t from = at;
    next_change();
    out.append(html.data() + from, static_cast<std::size_t>(at - from));
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
