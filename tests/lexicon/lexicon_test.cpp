// The shipped follow-up lexicon: every entry hit by its own example under both
// engines, the languages covered, ordinary colleague mail left alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "config/data_files.hpp"
#include "scoring/casefold.hpp"
#include "scoring/phrase_matcher.hpp"

namespace pushback::scoring {
namespace {

const std::string lexicon_path = std::string(PUSHBACK_SOURCE_DIR) + "/data/followup_phrases.toml";

const config::PhraseLexicon& shipped() {
  static const config::PhraseLexicon lexicon = [] {
    auto result = config::load_phrase_lexicon_file(lexicon_path);
    if (!result.ok()) {
      for (const auto& error : result.errors) ADD_FAILURE() << error.to_string();
      return config::PhraseLexicon{};
    }
    return *result.lexicon;
  }();
  return lexicon;
}

std::shared_ptr<const PhraseMatcher> matcher(MatcherEngine engine) {
  auto build = PhraseMatcher::build(shipped().phrases, engine);
  for (const auto& error : build.errors) ADD_FAILURE() << error;
  return build.matcher;
}

bool has_hit(const std::vector<PhraseHit>& hits, std::string_view id) {
  return std::any_of(hits.begin(), hits.end(), [&](const PhraseHit& hit) { return hit.id == id; });
}

std::set<std::string_view> ids_of(const std::vector<PhraseHit>& hits) {
  std::set<std::string_view> ids;
  for (const auto& hit : hits) ids.insert(hit.id);
  return ids;
}

class Engines : public ::testing::TestWithParam<MatcherEngine> {};

INSTANTIATE_TEST_SUITE_P(Lexicon, Engines, ::testing::Values(MatcherEngine::vectorscan, MatcherEngine::re2_set),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST(Lexicon, ShippedFileLoadsWithEnoughEntries) {
  EXPECT_GE(shipped().phrases.size(), 150u);
}

TEST(Lexicon, CoversSixLanguages) {
  std::map<std::string, int> per_language;
  for (const auto& entry : shipped().phrases) ++per_language[entry.language];
  for (const char* language : {"en", "de", "fr", "es", "nl", "pt"}) {
    EXPECT_GE(per_language[language], 8) << language;
  }
}

TEST(Lexicon, IdsStartWithTheirLanguage) {
  for (const auto& entry : shipped().phrases) {
    EXPECT_EQ(entry.id.substr(0, entry.language.size() + 1), entry.language + ".") << entry.id;
  }
}

// Adding an entry whose example does not hit it fails here.
TEST_P(Engines, EveryEntryIsHitByItsOwnExample) {
  auto m = matcher(GetParam());
  ASSERT_NE(m, nullptr);
  for (const auto& entry : shipped().phrases) {
    auto hits = m->match(fold_text(entry.example));
    EXPECT_TRUE(has_hit(hits, entry.id)) << entry.id << " not hit by \"" << entry.example << "\" (line "
                                         << entry.line << ")";
  }
}

// Ordinary colleague mail: the weak phrases may fire, the strong ones must not.
constexpr double strong_weight = 0.6;
const char* const colleague_mail[] = {
    "Following up on our meeting today, attached is the draft agreement. Let me know if you have comments.",
    "I am following up with legal on the indemnity clause and will circle back by Friday.",
    "Just checking in to see how the new role is going. Let's touch base next week.",
    "As mentioned in my previous email, the call moves to 9:30. Sorry for the confusion.",
    "I haven't heard back from the vendor yet; I'll call them tomorrow morning.",
    "Any thoughts? I think the second option is cheaper but slower to roll out.",
    "Thanks for forwarding the request, I am the right person for these and will distribute them.",
    "My computer ate the attachment in my last email, so here it is again.",
    "Could you close the loop with finance on the invoice? They are waiting on us.",
    "I'll stop by your office after lunch to pick up the contract.",
    "Ich wollte kurz wegen des Termins am Dienstag nachfragen. Viele Grüsse",
    "Je reviens vers vous au sujet de la réunion de jeudi, voici l'ordre du jour.",
    "Te escribo para confirmar la reunión del martes con el equipo de ventas.",
    "Ik stuur je de notulen van de vergadering van gisteren door.",
    "Segue em anexo o relatório mensal, qualquer dúvida me avise.",
    "Please see the agenda below and add anything I missed before the meeting.",
    "I'm not sure this is the right approach, can we discuss it tomorrow?",
};

TEST_P(Engines, ColleagueMailHitsNoStrongPhrase) {
  auto m = matcher(GetParam());
  ASSERT_NE(m, nullptr);
  for (const char* text : colleague_mail) {
    for (const auto& hit : m->match(fold_text(text))) {
      EXPECT_LT(hit.weight, strong_weight) << hit.id << " fired on: " << text;
    }
  }
}

TEST_P(Engines, EachEntryCountedOnce) {
  auto m = matcher(GetParam());
  ASSERT_NE(m, nullptr);
  auto hits = m->match(fold_text("Just bumping this to the top of your inbox. Just bumping this to the top of your inbox."));
  EXPECT_EQ(std::count_if(hits.begin(), hits.end(), [](const PhraseHit& h) { return h.id == "en.bump_top_of_inbox"; }),
            1);
}

TEST_P(Engines, MatchesAcrossFoldedWhiteSpaceAndCase) {
  auto m = matcher(GetParam());
  ASSERT_NE(m, nullptr);
  auto hits = m->match(fold_text("JUST   BUMPING\r\n this to the TOP of your\tinbox"));
  EXPECT_TRUE(has_hit(hits, "en.bump_top_of_inbox"));
  hits = m->match(fold_text("Ich habe mehrfach versucht, Sie zu erreichen. Soll ich Ihre Akte schließen?"));
  EXPECT_TRUE(has_hit(hits, "de.akte_schliessen"));  // ß folds to ss
  hits = m->match(fold_text("I haven\u2019t heard back, so I\u2019ll assume the timing is off."));
  EXPECT_TRUE(has_hit(hits, "en.havent_heard_so_assume"));
}

TEST_P(Engines, EmptyAndInvalidInputAreHarmless) {
  auto m = matcher(GetParam());
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->match("").empty());
  std::string broken = "just bumping this \xff\xfe to the top of your inbox";
  EXPECT_NO_FATAL_FAILURE(m->match(broken));
}

// The engines are interchangeable: the same hits on every example sentence.
TEST(Lexicon, EnginesAgree) {
  auto vectorscan = matcher(MatcherEngine::vectorscan);
  auto re2 = matcher(MatcherEngine::re2_set);
  ASSERT_NE(vectorscan, nullptr);
  ASSERT_NE(re2, nullptr);
  std::string all;
  for (const auto& entry : shipped().phrases) {
    std::string folded = fold_text(entry.example);
    EXPECT_EQ(ids_of(vectorscan->match(folded)), ids_of(re2->match(folded))) << entry.example;
    all += folded + " ";
  }
  for (const char* text : colleague_mail) {
    std::string folded = fold_text(text);
    EXPECT_EQ(ids_of(vectorscan->match(folded)), ids_of(re2->match(folded))) << text;
  }
  EXPECT_EQ(vectorscan->match(all).size(), shipped().phrases.size());
}

TEST_P(Engines, ConcurrentMatchingGivesTheSameHits) {
  auto m = matcher(GetParam());
  ASSERT_NE(m, nullptr);
  const std::string text = fold_text("Did you get my last message? Should I close your file? Circling back.");
  auto expected = ids_of(m->match(text));
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (ids_of(m->match(text)) != expected) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : failures) EXPECT_EQ(count, 0);
}

TEST_P(Engines, EmptyLexiconMatchesNothing) {
  auto build = PhraseMatcher::build({}, GetParam());
  ASSERT_TRUE(build.ok());
  EXPECT_TRUE(build.matcher->match("just bumping this to the top of your inbox").empty());
}

}  // namespace
}  // namespace pushback::scoring
