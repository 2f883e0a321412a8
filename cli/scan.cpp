// `pushback scan`: runs the milter's analysis over files, directories, mbox
// files and Maildirs, and prints per message what it found and why.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/analysis_json.hpp"
#include "cli/commands.hpp"
#include "cli/mail_sources.hpp"
#include "config/load.hpp"
#include "milter/runtime.hpp"
#include "scoring/header_text.hpp"
#include "scoring/raw_message.hpp"

namespace pushback::cli {

namespace {

void print_text(const MailItem& item, const scoring::Analysis& analysis, bool explain) {
  double score = scoring::total_score(analysis.symbols);
  fmt::print("{}\n  score {}  template {}{}\n", item.name, scoring::format_score(score),
             hex64(analysis.text.fingerprint.skeleton_hash),
             analysis.text.fingerprint.empty ? " (too little text)" : "");
  auto symbols = analysis.symbols;
  for (const auto& line : {scoring::format_report(symbols, 100000)}) {
    if (!line.empty()) fmt::print("  {}\n", line);
  }
  if (!analysis.limits_hit.empty()) fmt::print("  limits hit: {}\n", fmt::join(analysis.limits_hit, ", "));
  if (!explain) return;
  fmt::print("  subject: {}\n", scoring::sanitise_header_value(analysis.text.subject));
  for (const auto& hit : analysis.phrases) fmt::print("  phrase {} ({}, weight {})\n", hit.id, hit.language, hit.weight);
  for (const auto& finding : analysis.markers) fmt::print("  marker {}: {}\n", finding.id, finding.reason);
  fmt::print("  new text: {}\n", analysis.text.new_text.substr(0, 400));
}

}  // namespace

int scan(const ScanOptions& options) {
  milter::RuntimeLoad loaded;
  if (options.config_path.empty()) {
    loaded = milter::make_runtime(config::default_config());
  } else {
    loaded = milter::load_runtime(options.config_path);
  }
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "pushback: %s\n", error.c_str());
    return 78;
  }
  const auto& analyzer = *loaded.runtime->analyzer;
  std::size_t count = 0;
  bool complete = for_each_message(
      options.paths,
      [&](MailItem&& item) {
        ++count;
        scoring::Message message = scoring::parse_raw_message(item.raw);
        scoring::Analysis analysis = analyzer.analyse(message);
        if (options.json) {
          auto out = analysis_to_json(analysis, options.explain);
          out["source"] = item.name;
          const auto* id = message.find_header("Message-ID");
          out["message_id"] = id ? scoring::sanitise_header_value(id->value) : "";
          std::puts(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
          print_text(item, analysis, options.explain);
        }
      },
      [](const std::string& warning) { std::fprintf(stderr, "pushback scan: %s\n", warning.c_str()); });
  std::fflush(stdout);
  if (!options.json) std::fprintf(stderr, "%zu message(s) scanned\n", count);
  return complete ? 0 : 1;
}

}  // namespace pushback::cli
