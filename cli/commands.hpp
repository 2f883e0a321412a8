// Subcommands that are not the daemon itself.
#pragma once

#include <string>
#include <vector>

namespace pushback::cli {

// `pushback check-config FILE...`: prints every error with file, line and key.
// A non-empty `schema_format` ("markdown" or "roff") prints the key reference first.
int check_config(const std::vector<std::string>& files, const std::string& schema_format);

struct ScanOptions {
  std::string config_path;  // empty: defaults
  std::vector<std::string> paths;
  bool json = false;
  bool explain = false;
};

// `pushback scan`: the milter's analysis over files, directories, mbox and Maildir.
int scan(const ScanOptions& options);

struct ReplayOptions {
  std::string config_path;
  std::vector<std::string> paths;
  bool json = false;
  std::string feedback_path;  // recorded feedback applied during the replay (cli/replay_feedback.hpp)
};

// `pushback replay`: an archive through analyse -> observe -> decide, in Date order.
int replay(const ReplayOptions& options);

struct AdminOptions {
  std::string command;  // inspect, top, forget, allow
  std::string config_path;
  std::string subject;    // sender address, or a domain for allow
  std::string recipient;  // inspect only
  std::size_t count = 20; // top only
  bool remove = false;    // allow --remove
  bool list = false;      // allow --list
  bool campaign = false;  // forget/allow --campaign: the whole campaign of an address or a brand domain
};

int admin(const AdminOptions& options);

// `pushback state check|backup|restore` (docs/state.md, "Recovery").
struct StateOptions {
  std::string command;  // check, backup, restore
  std::string config_path;
  std::string file;            // backup: where (default: the snapshots directory); restore: what
  bool replace = false;        // restore: move an existing store aside
  bool decisions_only = false; // backup: only the admin decisions (JSON), also for LMDB
};

int state_command(const StateOptions& options);

// `pushback model train`: the cold-pitch text model from labelled examples
// (docs/model.md). Hyper-parameters default to the shipped model's.
struct ModelTrainOptions {
  std::vector<std::string> outreach;  // sales pitches and follow-ups
  std::vector<std::string> ham;       // everything else
  std::string out;
  std::string examples_out;  // also keep the labelled lines the model was trained on
  int dim = 16;
  int epochs = 25;
  double learning_rate = 0.5;
  int word_ngrams = 2;
  int buckets = 200000;
  int min_count = 1;
  int min_subword = 0;
  int max_subword = 0;
  int seed = 1;
  bool quantize = true;
  std::size_t cutoff = 50000;  // with quantize: the input rows kept, most important first
};

int model_train(const ModelTrainOptions& options);

}  // namespace pushback::cli
