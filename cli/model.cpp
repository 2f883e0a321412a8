// `pushback model train`: the cold-pitch text model from examples. Each
// message is read as the milter reads it (new text and subject, normalised
// and masked), labelled by the folder it came from, and given to fastText's
// supervised trainer; the model is written in Pushback's container
// (config/model_file.hpp), which the daemon checks before loading.
#include <fasttext/fasttext.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/mail_sources.hpp"
#include "config/model_file.hpp"
#include "scoring/cold_pitch.hpp"
#include "scoring/raw_message.hpp"
#include "scoring/text_features.hpp"

namespace pushback::cli {

namespace {

namespace fs = std::filesystem;

// A file in a private temporary directory, removed with it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "pushback-model-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path file(const char* name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct Examples {
  std::size_t outreach = 0;
  std::size_t other = 0;
  std::size_t empty = 0;  // no text to read: left out
};

bool write_examples(const std::vector<std::string>& paths, std::string_view label, std::ostream& out,
                    std::size_t& written, std::size_t& empty) {
  return for_each_message(
      paths,
      [&](MailItem&& item) {
        auto text = scoring::extract_text_features(scoring::parse_raw_message(item.raw));
        auto line = scoring::model_input(text);
        if (line.find_first_not_of(' ') == std::string::npos) {
          ++empty;
          return;
        }
        out << label << ' ' << line << '\n';
        ++written;
      },
      [](const std::string& warning) { std::fprintf(stderr, "pushback model train: %s\n", warning.c_str()); });
}

fasttext::Args training_args(const ModelTrainOptions& options, const fs::path& input) {
  fasttext::Args args;
  args.input = input.string();
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.dim = options.dim;
  args.epoch = options.epochs;
  args.lr = options.learning_rate;
  args.wordNgrams = options.word_ngrams;
  args.bucket = options.word_ngrams > 1 || options.max_subword > 0 ? options.buckets : 0;
  args.minCount = options.min_count;
  args.minn = options.min_subword;
  args.maxn = options.max_subword;
  args.thread = 1;  // one thread: the same examples and seed give the same model
  args.seed = options.seed;
  args.verbose = 0;
  return args;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

int model_train(const ModelTrainOptions& options) {
  try {
    ScratchDir scratch;
    auto examples_path = scratch.file("examples.txt");
    Examples counts;
    {
      std::ofstream examples(examples_path, std::ios::binary);
      bool found = write_examples(options.outreach, scoring::cold_pitch_label, examples, counts.outreach, counts.empty);
      found = write_examples(options.ham, scoring::other_label, examples, counts.other, counts.empty) && found;
      if (!found) {
        std::fprintf(stderr, "pushback model train: a path given does not exist\n");
        return 66;
      }
      if (!examples) throw std::runtime_error("cannot write the training examples");
    }
    if (counts.outreach == 0 || counts.other == 0) {
      std::fprintf(stderr, "pushback model train: needs examples of both kinds (%zu outreach, %zu other)\n",
                   counts.outreach, counts.other);
      return 65;
    }
    if (!options.examples_out.empty()) fs::copy_file(examples_path, options.examples_out, fs::copy_options::overwrite_existing);
    fasttext::FastText model;
    model.train(training_args(options, examples_path));
    if (options.quantize) {
      fasttext::Args quantize = model.getArgs();
      quantize.qnorm = true;
      quantize.cutoff = options.cutoff;
      quantize.retrain = false;
      quantize.dsub = 2;
      model.quantize(quantize);
    }
    auto model_path = scratch.file("model.bin");
    model.saveModel(model_path.string());
    std::string bytes = config::model_file_bytes(read_bytes(model_path), config::cold_pitch_model_kind);
    // Written beside the target and renamed: a running daemon that reloads
    // never reads half a model.
    fs::path target(options.out);
    fs::path partial = target;
    partial += ".partial";
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", partial.string()));
    }
    fs::rename(partial, target);
    fmt::print("{}: {} outreach and {} other examples ({} without text left out), {} words, {} bytes{}\n",
               target.string(), counts.outreach, counts.other, counts.empty, model.getDictionary()->nwords(),
               bytes.size(), options.quantize ? ", quantized" : "");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pushback model train: %s\n", e.what());
    return 70;
  }
}

}  // namespace pushback::cli
