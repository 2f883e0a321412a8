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

  CLI11_PARSE(app, argc, argv);

  if (milter->parsed()) return pushback::milter::run_daemon(daemon);
  if (scan->parsed()) return pushback::cli::scan(scan_options);
  if (check->parsed()) return pushback::cli::check_config(check_files, check->count("--schema") ? (schema_format.empty() ? "markdown" : schema_format) : "");
  return 2;
}
