// gumbo walk with an explicit stack. gumbo allocates from an arena released in
// one go: gumbo_destroy_output() would recurse once per nesting level, which an
// HTML bomb turns into a stack overflow.
#include "scoring/html_text.hpp"

#include <gumbo.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <vector>

#include "scoring/message.hpp"

namespace pushback::scoring {

namespace {

// Bump allocator for one parse; gumbo's frees are no-ops.
class Arena {
 public:
  ~Arena() {
    for (void* block : blocks_) std::free(block);
  }
  void* allocate(std::size_t size) {
    size = (size + 15) & ~std::size_t{15};
    if (size > left_) {
      std::size_t block_size = std::max(size, next_block_);
      next_block_ = std::min<std::size_t>(next_block_ * 2, 4 * 1024 * 1024);
      auto* block = static_cast<char*>(std::malloc(block_size));
      if (block == nullptr) return nullptr;
      blocks_.push_back(block);
      at_ = block;
      left_ = block_size;
    }
    void* out = at_;
    at_ += size;
    left_ -= size;
    return out;
  }
  static void* gumbo_allocate(void* arena, size_t size) { return static_cast<Arena*>(arena)->allocate(size); }
  static void gumbo_free(void*, void*) {}

 private:
  std::vector<void*> blocks_;
  char* at_ = nullptr;
  std::size_t left_ = 0;
  std::size_t next_block_ = 64 * 1024;
};

std::string_view attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* found = gumbo_get_attribute(&element.attributes, name);
  return found != nullptr ? std::string_view(found->value) : std::string_view();
}

bool has_class(const GumboElement& element, std::string_view wanted) {
  auto classes = attribute(element, "class");
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

bool starts_quote(const GumboElement& element) {
  if (element.tag == GUMBO_TAG_BLOCKQUOTE) return true;
  auto id = attribute(element, "id");
  return has_class(element, "gmail_quote") || has_class(element, "moz-cite-prefix") ||
         has_class(element, "yahoo_quoted") || iequals(id, "appendonsend") || iequals(id, "divRplyFwdMsg");
}

bool is_dropped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_HEAD: case GUMBO_TAG_TITLE:
    case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_OBJECT: case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_SVG: case GUMBO_TAG_MATH:
      return true;
    default:
      return false;
  }
}

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_LI: case GUMBO_TAG_UL:
    case GUMBO_TAG_OL: case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_CENTER: case GUMBO_TAG_FORM: case GUMBO_TAG_NAV: case GUMBO_TAG_ASIDE: case GUMBO_TAG_BODY:
    case GUMBO_TAG_MAIN: case GUMBO_TAG_FIGURE:
      return true;
    default:
      return false;
  }
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

void note_image(const GumboElement& element, HtmlRefs& refs) {
  if (refs.images.size() >= 256) return;
  ImageRef image;
  image.src = attribute(element, "src");
  if (auto width = attribute(element, "width"); !width.empty()) image.width = leading_int(width);
  if (auto height = attribute(element, "height"); !height.empty()) image.height = leading_int(height);
  if (gumbo_get_attribute(&element.attributes, "hidden") != nullptr) image.hidden = true;
  apply_style(attribute(element, "style"), image);
  refs.images.push_back(std::move(image));
}

void append_line_break(std::string& text) {
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
}

// HTML white space is not significant: line breaks in text nodes are spaces;
// no-break spaces become plain spaces so that line rules see them.
void append_text(std::string& text, std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\n' || c == '\r' || c == '\t' || c == '\f') {
      text.push_back(' ');
    } else if (c == '\xc2' && i + 1 < value.size() && value[i + 1] == '\xa0') {
      text.push_back(' ');
      ++i;
    } else {
      text.push_back(c);
    }
  }
}

struct Frame {
  const GumboNode* node;
  unsigned int next_child;
};

}  // namespace

HtmlText html_to_text(std::string_view html, std::size_t max_depth) {
  HtmlText result;
  Arena arena;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &Arena::gumbo_allocate;
  options.deallocator = &Arena::gumbo_free;
  options.userdata = &arena;
  options.max_errors = 0;
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  if (output == nullptr) return result;

  std::vector<Frame> stack;
  stack.push_back({output->root, 0});
  while (!stack.empty()) {
    Frame& frame = stack.back();
    const GumboNode* node = frame.node;
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) {
      if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE || node->type == GUMBO_NODE_CDATA) {
        append_text(result.text, node->v.text.text);
      }
      stack.pop_back();
      continue;
    }
    const GumboVector& children =
        node->type == GUMBO_NODE_ELEMENT ? node->v.element.children : node->v.document.children;
    if (frame.next_child == 0 && node->type == GUMBO_NODE_ELEMENT) {  // entering the element
      const GumboElement& element = node->v.element;
      if (is_dropped(element.tag)) {
        stack.pop_back();
        continue;
      }
      if (element.tag == GUMBO_TAG_IMG) note_image(element, result.refs);
      if (element.tag == GUMBO_TAG_A && result.refs.links.size() < 1024) {
        if (auto href = attribute(element, "href"); !href.empty()) result.refs.links.emplace_back(href);
      }
      if (element.tag == GUMBO_TAG_BR) result.text.push_back('\n');
      if (is_block(element.tag)) append_line_break(result.text);
      if (result.quote_at == std::string::npos && starts_quote(element)) result.quote_at = result.text.size();
    }
    if (frame.next_child < children.length && stack.size() <= max_depth) {
      const auto* child = static_cast<const GumboNode*>(children.data[frame.next_child++]);
      stack.push_back({child, 0});
      continue;
    }
    if (frame.next_child < children.length) result.depth_hit = true;
    if (node->type == GUMBO_NODE_ELEMENT && is_block(node->v.element.tag)) append_line_break(result.text);
    stack.pop_back();
  }
  // The output lives in the arena: no gumbo_destroy_output().
  return result;
}

}  // namespace pushback::scoring
