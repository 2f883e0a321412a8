// Finds and reads corpus files for the bench tools: the path comes from
// --corpus=PATH, else PUSHBACK_CORPUS, else ../shared/corpus beside the source.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace pushback::bench {

// Removes --corpus=PATH from argv (so other flag parsers do not see it).
inline std::filesystem::path corpus_path(int& argc, char** argv) {
  std::filesystem::path path;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--corpus=")) {
      path = std::string(arg.substr(9));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (path.empty()) {
    if (const char* env = std::getenv("PUSHBACK_CORPUS"); env != nullptr) path = env;
  }
  if (path.empty()) path = std::filesystem::path(PUSHBACK_SOURCE_DIR) / ".." / "shared" / "corpus";
  return path;
}

// Regular files under `dir`, sorted, at most `limit`.
inline std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir, std::size_t limit) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > limit) files.resize(limit);
  return files;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace pushback::bench
