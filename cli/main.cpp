// The pushback executable: wires the subcommands to the libraries, nothing else.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string_view>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/quarantine.hpp"
#include "milter/daemon.hpp"
#include "web/run.hpp"

namespace {

// The first word that names no subcommand where one is expected, or "".
// CLI11 answers `pushback nosuch --help` with the main help and status 0,
// which hides a typo from scripts; the caller turns it into an error.
std::string unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.starts_with('-')) return {};  // options end the walk: an option's value is not a command
    auto children = level->get_subcommands([](const CLI::App*) { return true; });
    if (children.empty()) return {};
    const CLI::App* next = nullptr;
    for (const auto* child : children) {
      if (child->check_name(std::string(word))) next = child;
    }
    if (!next) return std::string(word);
    level = next;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Pushback: a milter that pushes back on templated cold outreach", "pushback"};
  app.set_version_flag("--version", std::string("pushback ") + pushback::build::version);
  app.require_subcommand(1);

  pushback::milter::DaemonOptions daemon;
  auto* milter = app.add_subcommand("milter", "Run the mail filter daemon that Postfix or Sendmail connects to");
  milter->add_option("--config,-c", daemon.config_path, "Configuration file")->required();
  milter->add_option("--socket,-s", daemon.socket, "Listen here instead of milter.socket (unix:PATH, inet:PORT@HOST, ...)");
  milter->add_option("--pid-file,-p", daemon.pid_file, "Write the process id to this file");
  milter->add_flag("--foreground,-f", daemon.foreground, "Stay in the foreground (for systemd and tests)");

  std::vector<std::string> check_files;
  std::string schema_format;
  auto* check = app.add_subcommand("check-config", "Validate configuration files; exit non-zero on any error");
  check->add_option("files", check_files, "Configuration files to check");
  check->add_option("--schema", schema_format, "Print every key with its type, default and meaning: markdown or roff")
      ->expected(0, 1)
      ->default_str("markdown")
      ->check(CLI::IsMember({"markdown", "roff"}));

  pushback::cli::ScanOptions scan_options;
  auto* scan = app.add_subcommand("scan", "Analyse messages (files, directories, mbox, Maildir) as the milter would");
  scan->add_option("--config,-c", scan_options.config_path, "Configuration file (default: built-in defaults)");
  scan->add_flag("--json", scan_options.json, "One JSON object per message (see docs/scan.md)");
  scan->add_flag("--explain", scan_options.explain, "Also show the phrases, markers and normalised text behind each symbol");
  scan->add_option("paths", scan_options.paths, "Files, directories, mbox files or Maildirs")->required();

  pushback::cli::ReplayOptions replay_options;
  auto* replay = app.add_subcommand("replay", "Feed an archive through analysis, state and decision with a fresh state");
  replay->add_option("--config,-c", replay_options.config_path, "Configuration file (thresholds, weights, internal domains)");
  replay->add_flag("--json", replay_options.json, "One JSON object per message: position, message_id, verdict, score, symbols");
  replay->add_option("paths", replay_options.paths, "mbox files, Maildirs, directories of .eml files")->required();
  replay->add_option("--feedback", replay_options.feedback_path,
                     "Recorded feedback (\"ham|outreach MESSAGE-ID\" lines), applied right after each such message");

  const std::string default_config = "/etc/pushback/pushback.toml";
  pushback::cli::AdminOptions admin_options;
  admin_options.config_path = default_config;
  auto* inspect = app.add_subcommand("inspect", "Show what the state knows about a sender (and one recipient)");
  inspect->add_option("sender", admin_options.subject, "Sender address")->required();
  inspect->add_option("recipient", admin_options.recipient, "Internal recipient address");
  auto* top = app.add_subcommand("top", "Rank senders and templates by unanswered streak, reach and volume");
  top->add_option("-n", admin_options.count, "Entries per list")->check(CLI::Range(1, 1000));
  auto* forget = app.add_subcommand("forget", "Delete a sender's counts (a false positive, a data-protection request)");
  forget->add_option("sender", admin_options.subject, "Sender address (with --campaign: any address or domain of it)")->required();
  forget->add_flag("--campaign", admin_options.campaign, "Forget the sender's whole campaign: every mailbox and domain");
  auto* allow = app.add_subcommand("allow", "Allowlist a sender address or domain at run time");
  allow->add_option("entry", admin_options.subject, "Sender address or domain");
  allow->add_flag("--remove", admin_options.remove, "Take the entry off the allowlist");
  allow->add_flag("--list", admin_options.list, "List the runtime allowlist");
  allow->add_flag("--campaign", admin_options.campaign,
                  "Allowlist the campaign of this address or domain, with every mailbox it adds later");
  for (auto* command : {inspect, top, forget, allow}) {
    command->add_option("--config,-c", admin_options.config_path, "Configuration file")->capture_default_str();
  }

  pushback::cli::StateOptions state_options;
  state_options.config_path = default_config;
  auto* state = app.add_subcommand("state", "Check the state store, back it up, restore it");
  state->require_subcommand(1);
  state->fallthrough();
  state->add_option("--config,-c", state_options.config_path, "Configuration file")->capture_default_str();
  auto* s_check = state->add_subcommand("check", "Read the whole store back; exit 1 when it is damaged or mis-owned");
  auto* s_backup = state->add_subcommand("backup", "A consistent copy of the store (LMDB) or of the admin decisions");
  s_backup->add_option("file", state_options.file, "Where (default: a new file in STATE_DIR/snapshots)");
  s_backup->add_flag("--decisions", state_options.decisions_only, "Only the admin decisions, as JSON");
  auto* s_restore = state->add_subcommand("restore", "Restore a store backup, or add the admin decisions of a JSON file");
  s_restore->add_option("file", state_options.file, "A backup or a decisions file")->required();
  s_restore->add_flag("--replace", state_options.replace, "Move the store that is there aside (kept) and restore in its place");

  pushback::cli::QuarantineOptions quarantine_options;
  quarantine_options.config_path = default_config;
  auto* quarantine = app.add_subcommand("quarantine", "Review what Pushback held in the MTA's hold queue");
  quarantine->require_subcommand(1);
  quarantine->fallthrough();  // --config also after the command: `pushback quarantine list --config FILE`
  quarantine->add_option("--config,-c", quarantine_options.config_path, "Configuration file")->capture_default_str();
  auto* q_list = quarantine->add_subcommand("list", "The messages Pushback held, with age, sender, score and symbols");
  q_list->add_flag("--json", quarantine_options.json, "One JSON object per held message");
  q_list->add_option("--recipient", quarantine_options.recipient, "Only messages held for this recipient");
  q_list->add_option("--sender", quarantine_options.sender, "Only messages from this sender");
  q_list->add_option("--older-than", quarantine_options.older_than, "Only messages held longer than this (e.g. 3d)");
  auto* q_show = quarantine->add_subcommand("show", "The verdict and headers of one held message");
  q_show->add_option("id", quarantine_options.ids, "Queue id")->required();
  q_show->add_flag("--body", quarantine_options.body, "The body too");
  auto* q_release = quarantine->add_subcommand("release", "Deliver held messages; teaches Pushback they are not outreach");
  auto* q_delete = quarantine->add_subcommand("delete", "Delete held messages; teaches Pushback they are outreach");
  for (auto* command : {q_release, q_delete}) {
    command->add_option("ids", quarantine_options.ids, "Queue ids")->required();
    command->add_option("--reason,-r", quarantine_options.reason, "Why, for the log");
    command->add_flag("--no-feedback", quarantine_options.no_feedback, "Change the queue only; teach nothing");
  }
  auto* q_expire = quarantine->add_subcommand("expire", "Delete or release (quarantine.expire_action) what waited too long");
  q_expire->add_option("--older-than", quarantine_options.older_than, "Instead of quarantine.expire_after");
  q_expire->add_flag("--dry-run,-n", quarantine_options.dry_run, "Only say what would be done");
  auto* q_digest = quarantine->add_subcommand("digest", "Per recipient, what was held for them in the last period");
  q_digest->add_flag("--send", quarantine_options.send, "Send through the MTA's sendmail instead of printing");

  pushback::cli::FeedbackOptions feedback_options;
  feedback_options.config_path = default_config;
  auto* feedback = app.add_subcommand("feedback", "Teach Pushback from a verdict on judged mail (files or held queue ids)");
  feedback->add_option("--config,-c", feedback_options.config_path, "Configuration file")->capture_default_str();
  auto* ham = feedback->add_flag("--ham", feedback_options.ham, "Not outreach (moved out of Junk, released)");
  auto* outreach = feedback->add_flag("--outreach", feedback_options.outreach, "Outreach (moved into Junk)");
  ham->excludes(outreach);
  feedback->add_option("--recipient", feedback_options.recipient, "The user who reported it (an address)");
  feedback->add_option("items", feedback_options.items, "Message files (- for standard input) or held queue ids")
      ->required();

  pushback::web::WebOptions web_options;
  web_options.config_path = default_config;
  auto* web = app.add_subcommand("web", "Serve the web console: campaigns, the quarantine, recipients' release links");
  web->fallthrough();  // --config also after `passwd`
  web->add_option("--config,-c", web_options.config_path, "Configuration file")->capture_default_str();
  web->add_option("--listen", web_options.listen, "Listen here instead of web.listen (HOST:PORT)");
  auto* web_passwd = web->add_subcommand("passwd", "Set the console's admin password (stored as a crypto_pwhash hash)");

  pushback::cli::ModelTrainOptions train_options;
  auto* model = app.add_subcommand("model", "The cold-pitch text model (COLD_PITCH)");
  model->require_subcommand(1);
  auto* train = model->add_subcommand("train", "Train it from outreach and other mail (files, directories, mbox, Maildir)");
  train->add_option("--outreach", train_options.outreach, "Sales pitches and follow-ups")->required();
  train->add_option("--ham", train_options.ham, "Everything else: people, notices, newsletters, lists")->required();
  train->add_option("--out,-o", train_options.out, "Model file to write")->required();
  train->add_option("--examples-out", train_options.examples_out, "Also write the labelled lines it trained on (fastText's format)");
  train->add_option("--dim", train_options.dim, "Vector size")->capture_default_str()->check(CLI::Range(2, 300));
  train->add_option("--epochs", train_options.epochs, "Passes over the examples")->capture_default_str()->check(CLI::Range(1, 1000));
  train->add_option("--lr", train_options.learning_rate, "Learning rate")->capture_default_str()->check(CLI::Range(0.001, 5.0));
  train->add_option("--word-ngrams", train_options.word_ngrams, "Longest word n-gram")->capture_default_str()->check(CLI::Range(1, 5));
  train->add_option("--buckets", train_options.buckets, "Hash buckets for n-grams")->capture_default_str()->check(CLI::Range(1000, 10000000));
  train->add_option("--min-count", train_options.min_count, "Words seen fewer times are left out")->capture_default_str()->check(CLI::Range(1, 1000));
  train->add_option("--minn", train_options.min_subword, "Shortest character n-gram (0: none)")->capture_default_str()->check(CLI::Range(0, 10));
  train->add_option("--maxn", train_options.max_subword, "Longest character n-gram (0: none)")->capture_default_str()->check(CLI::Range(0, 10));
  train->add_option("--seed", train_options.seed, "Random seed")->capture_default_str();
  train->add_option("--quantize", train_options.quantize, "Quantize (a model a few times smaller)")->capture_default_str();
  train->add_option("--cutoff", train_options.cutoff, "With --quantize: input rows kept")->capture_default_str()->check(CLI::Range(1000, 10000000));
  if (auto unknown = unknown_subcommand(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "pushback: unknown command \"%s\" (see pushback --help)\n", unknown.c_str());
    return 2;
  }
  CLI11_PARSE(app, argc, argv);
  if (train->parsed()) return pushback::cli::model_train(train_options);

  if (quarantine->parsed()) {
    for (auto* command : {q_list, q_show, q_release, q_delete, q_expire, q_digest}) {
      if (command->parsed()) quarantine_options.command = command->get_name();
    }
    return pushback::cli::quarantine(quarantine_options);
  }
  if (feedback->parsed()) return pushback::cli::feedback(feedback_options);
  if (web_passwd->parsed()) return pushback::web::web_passwd(web_options.config_path);
  if (web->parsed()) return pushback::web::run_web(web_options);
  if (state->parsed()) {
    for (auto* command : {s_check, s_backup, s_restore}) {
      if (command->parsed()) state_options.command = command->get_name();
    }
    return pushback::cli::state_command(state_options);
  }

  if (milter->parsed()) return pushback::milter::run_daemon(daemon);
  if (scan->parsed()) return pushback::cli::scan(scan_options);
  if (replay->parsed()) return pushback::cli::replay(replay_options);
  for (auto* command : {inspect, top, forget, allow}) {
    if (!command->parsed()) continue;
    if (command == allow && !admin_options.list && admin_options.subject.empty()) {
      std::fputs("pushback allow: name a sender address or domain, or use --list\n", stderr);
      return 2;
    }
    admin_options.command = command->get_name();
    return pushback::cli::admin(admin_options);
  }
  if (check->parsed()) return pushback::cli::check_config(check_files, check->count("--schema") ? (schema_format.empty() ? "markdown" : schema_format) : "");
  return 2;
}
