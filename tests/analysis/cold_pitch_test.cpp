// The cold-pitch model wrapper: a small fastText model trained here from text
// this test writes, the container checks (truncated, damaged, foreign files),
// a model with the wrong labels, and the analysis's COLD_PITCH symbol.
#include <fasttext/fasttext.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/load.hpp"
#include "config/model_file.hpp"
#include "scoring/analyse.hpp"
#include "scoring/cold_pitch.hpp"
#include "tests/analysis/mail_builder.hpp"

namespace pushback::scoring {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> pitches{
    "quick question <greeting> <name> we help teams like <company> book more meetings worth a quick call next week",
    "following up <greeting> <name> just bumping this to the top of your inbox did you get a chance to look",
    "idea for <company> <greeting> <name> our platform cut onboarding time in half open to a short demo",
    "circling back <greeting> <name> wanted to see if growing pipeline is a priority this quarter",
};
const std::vector<std::string> others{
    "lunch friday <greeting> are we still on for lunch on friday i can bring the report",
    "re budget numbers the attached spreadsheet has the corrected budget numbers for the board",
    "server maintenance tonight the mail server will be down for maintenance from ten to midnight",
    "minutes of the meeting thanks everyone for coming here are the minutes and action items",
};

// A fastText model trained on the lines above with the given labels, as the
// bytes fastText saves.
std::string train_payload(std::string_view positive_label, std::string_view negative_label) {
  auto dir = fs::temp_directory_path() / ("pushback-cold-pitch-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto input = dir / "examples.txt";
  {
    std::ofstream out(input);
    for (int repeat = 0; repeat < 20; ++repeat) {
      for (const auto& line : pitches) out << positive_label << ' ' << line << '\n';
      for (const auto& line : others) out << negative_label << ' ' << line << '\n';
    }
  }
  fasttext::Args args;
  args.input = input.string();
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.dim = 8;
  args.epoch = 20;
  args.lr = 0.5;
  args.minCount = 1;
  args.minn = 0;
  args.maxn = 0;
  args.wordNgrams = 1;
  args.bucket = 0;
  args.thread = 1;
  args.verbose = 0;
  fasttext::FastText model;
  model.train(args);
  auto saved = dir / "model.bin";
  model.saveModel(saved.string());
  std::ifstream in(saved, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  fs::remove_all(dir);
  return bytes.str();
}

const std::string& good_payload() {
  static const std::string payload = train_payload(cold_pitch_label, other_label);
  return payload;
}

TEST(ColdPitchModel, RanksPitchesAboveOtherMail) {
  auto loaded = ColdPitchModel::load(good_payload());
  ASSERT_TRUE(loaded.model) << loaded.error;
  auto pitch = loaded.model->probability("just bumping this to the top of your inbox worth a quick call");
  auto note = loaded.model->probability("the mail server will be down for maintenance tonight");
  ASSERT_TRUE(pitch && note);
  EXPECT_GT(*pitch, 0.8);
  EXPECT_LT(*note, 0.2);
  // No words: no evidence either way.
  EXPECT_EQ(loaded.model->probability("").value_or(-1), 0.0);
}

TEST(ColdPitchModel, ReadsTheSubjectThenTheFirstTokensOfTheNewText) {
  TextFeatures text;
  text.subject_text = "quick  question";
  for (int i = 0; i < 500; ++i) text.new_text += "word" + std::to_string(i) + (i % 7 ? " " : "\n");
  auto input = model_input(text);
  EXPECT_TRUE(input.starts_with("quick question word0 word1"));
  EXPECT_EQ(std::count(input.begin(), input.end(), ' ') + 1, static_cast<long>(max_model_tokens));
  EXPECT_EQ(input.find('\n'), std::string::npos);
}

TEST(ColdPitchModel, RejectsModelsWithOtherLabels) {
  auto loaded = ColdPitchModel::load(train_payload("__label__spam", "__label__ham"));
  EXPECT_FALSE(loaded.model);
  EXPECT_NE(loaded.error.find("__label__outreach"), std::string::npos) << loaded.error;
}

TEST(ColdPitchModel, RejectsBytesThatAreNoFastTextModel) {
  auto loaded = ColdPitchModel::load("this is a text file, not a model\n");
  EXPECT_FALSE(loaded.model);
  EXPECT_FALSE(loaded.error.empty());
}

TEST(ModelFile, RoundTripsAndRefusesTruncatedDamagedAndForeignFiles) {
  std::string file = config::model_file_bytes(good_payload(), config::cold_pitch_model_kind);
  auto parsed = config::parse_model_file(file, config::cold_pitch_model_kind);
  ASSERT_TRUE(parsed.payload) << parsed.error;
  EXPECT_EQ(*parsed.payload, good_payload());

  struct Case {
    const char* what;
    std::string bytes;
    const char* error;
  };
  std::string damaged = file;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x20);
  std::string other_kind = config::model_file_bytes(good_payload(), "language");
  const std::vector<Case> cases{
      {"truncated", file.substr(0, file.size() - 100), "truncated"},
      {"cut in its header", file.substr(0, 20), "not a Pushback model file"},
      {"damaged", damaged, "checksum"},
      {"a bare fastText model", good_payload(), "not a Pushback model file"},
      {"another kind of model", other_kind, "language model"},
      {"empty", "", "not a Pushback model file"},
  };
  for (const auto& c : cases) {
    auto result = config::parse_model_file(c.bytes, config::cold_pitch_model_kind);
    EXPECT_FALSE(result.payload) << c.what;
    EXPECT_NE(result.error.find(c.error), std::string::npos) << c.what << ": " << result.error;
  }
}

class ModelConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pushback-model-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }
  config::LoadResult load_with_model(const std::string& model_path) {
    return config::load_config_text(
        "[analysis]\ncold_pitch_model = \"" + model_path + "\"\n[symbol_limits]\ncold_pitch_probability = 0.8\n",
        (dir_ / "pushback.toml").string());
  }
  fs::path dir_;
};

TEST_F(ModelConfig, BadModelFilesAreConfigurationErrorsNamingFileAndKey) {
  std::string file = config::model_file_bytes(good_payload(), config::cold_pitch_model_kind);
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"truncated.model", file.substr(0, file.size() / 2)},
           {"foreign.model", "PK\x03\x04 not a model at all"}}) {
    auto path = write(name, bytes);
    auto result = load_with_model(path);
    ASSERT_FALSE(result.ok()) << name;
    auto text = result.errors.front().to_string();
    EXPECT_NE(text.find("analysis.cold_pitch_model"), std::string::npos) << text;
    EXPECT_NE(text.find(path), std::string::npos) << text;
  }
  auto missing = load_with_model((dir_ / "missing.model").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.errors.front().to_string().find("missing.model"), std::string::npos);
}

TEST_F(ModelConfig, AModelWithOtherLabelsFailsTheAnalyzerBuild) {
  auto path = write("labels.model", config::model_file_bytes(train_payload("__label__a", "__label__b"),
                                                             config::cold_pitch_model_kind));
  auto result = load_with_model(path);
  ASSERT_TRUE(result.ok());
  auto build = Analyzer::build(*result.config);
  ASSERT_FALSE(build.ok());
  EXPECT_NE(build.errors.front().find(path), std::string::npos) << build.errors.front();
}

TEST_F(ModelConfig, TheAnalysisAddsColdPitchWithItsProbability) {
  auto path = write("good.model", config::model_file_bytes(good_payload(), config::cold_pitch_model_kind));
  auto result = load_with_model(path);
  ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
  auto build = Analyzer::build(*result.config);
  ASSERT_TRUE(build.ok()) << build.errors.front();
  auto pitch = build.analyzer->analyse(test::plain_mail(
      "Sam Porter <sam@vendor.example>", "Jane Doe <jane@corp.example>", "Quick question",
      "Hi Jane,\n\nJust bumping this to the top of your inbox: worth a quick call next week?\n"));
  ASSERT_TRUE(pitch.cold_pitch);
  auto symbol = std::find_if(pitch.symbols.begin(), pitch.symbols.end(),
                             [](const Symbol& s) { return s.name == "COLD_PITCH"; });
  ASSERT_NE(symbol, pitch.symbols.end());
  EXPECT_EQ(symbol->reason, fmt::format("p={:.2f}", *pitch.cold_pitch));
  EXPECT_GT(symbol->score, 0);

  auto note = build.analyzer->analyse(test::plain_mail(
      "IT <it@corp.example>", "Jane Doe <jane@corp.example>", "Server maintenance tonight",
      "The mail server will be down for maintenance from ten to midnight.\n"));
  ASSERT_TRUE(note.cold_pitch);
  EXPECT_LT(*note.cold_pitch, 0.5);
  EXPECT_TRUE(std::none_of(note.symbols.begin(), note.symbols.end(),
                           [](const Symbol& s) { return s.name == "COLD_PITCH"; }));
}

TEST_F(ModelConfig, NoneRunsWithoutAModel) {
  auto result = config::load_config_text("[analysis]\ncold_pitch_model = \"none\"\n", (dir_ / "p.toml").string());
  ASSERT_TRUE(result.ok());
  auto build = Analyzer::build(*result.config);
  ASSERT_TRUE(build.ok());
  auto analysis = build.analyzer->analyse(test::plain_mail("a@b.example", "c@d.example", "Hello", "Hello there.\n"));
  EXPECT_FALSE(analysis.cold_pitch);
}

}  // namespace
}  // namespace pushback::scoring
