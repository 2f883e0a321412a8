// Mail sources. mbox files are split by GMime's parser in mbox mode; the
// message bytes are taken from the file by the offsets the parser reports, so
// what is analysed is exactly what was stored.
#include "cli/mail_sources.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace pushback::cli {

namespace fs = std::filesystem;

namespace {

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = std::move(buffer).str();
  return true;
}

bool looks_like_mbox(const std::string& raw) { return raw.rfind("From ", 0) == 0; }

void split_mbox(const fs::path& path, const std::string& raw, const std::function<void(MailItem&&)>& visit,
                const std::function<void(const std::string&)>& warn) {
  static std::once_flag gmime_ready;
  std::call_once(gmime_ready, [] { g_mime_init(); });
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
  int index = 0;
  while (!g_mime_parser_eos(parser)) {
    GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
    if (!message) {
      warn(path.string() + ": cannot parse message " + std::to_string(index + 1) + " of the mbox");
      break;
    }
    gint64 begin = g_mime_parser_get_headers_begin(parser);
    gint64 end = g_mime_parser_tell(parser);
    if (begin >= 0 && end > begin && static_cast<std::size_t>(end) <= raw.size()) {
      ++index;
      visit({path.string() + "#" + std::to_string(index),
             raw.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin))});
    }
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
}

void visit_file(const fs::path& path, const std::function<void(MailItem&&)>& visit,
                const std::function<void(const std::string&)>& warn) {
  std::string raw;
  if (!read_file(path, raw)) {
    warn(path.string() + ": cannot be read");
    return;
  }
  if (looks_like_mbox(raw)) {
    split_mbox(path, raw, visit, warn);
  } else {
    visit({path.string(), std::move(raw)});
  }
}

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec)) {
    const auto& file = entry.path();
    // Skip dot files and a Maildir's tmp/, where messages are still being written.
    bool in_maildir_tmp = file.parent_path().filename() == "tmp" && fs::exists(file.parent_path().parent_path() / "cur");
    if (entry.is_regular_file() && file.filename().string().front() != '.' && !in_maildir_tmp) files.push_back(file);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

bool for_each_message(const std::vector<std::string>& paths, const std::function<void(MailItem&&)>& visit,
                      const std::function<void(const std::string&)>& warn) {
  bool all_exist = true;
  for (const auto& text : paths) {
    fs::path path(text);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      // A Maildir is a directory like any other: its cur/, new/ and tmp/ hold one message per file.
      for (const auto& file : sorted_files(path)) visit_file(file, visit, warn);
    } else if (fs::exists(path, ec)) {
      visit_file(path, visit, warn);
    } else {
      warn(text + ": no such file or directory");
      all_exist = false;
    }
  }
  return all_exist;
}

}  // namespace pushback::cli
