// The pushback executable: wires the subcommands to the libraries, nothing else.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "milter/daemon.hpp"

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

  CLI11_PARSE(app, argc, argv);

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
