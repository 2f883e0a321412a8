// Quoted history and signatures in several clients and languages.
#include <gtest/gtest.h>

#include "scoring/quote_split.hpp"

namespace pushback::scoring {
namespace {

TEST(QuoteSplit, FindsQuotedHistory) {
  const std::string fresh = "Thanks, that works for me.\nSee you then.";
  struct Case {
    std::string name;
    std::string history;
  };
  std::vector<Case> cases{
      {"angle", "\n> earlier text\n> more"},
      {"on_wrote", "\nOn Mon, Mar 3, 2025 at 10:00 AM Jane Doe <jane@example.com> wrote:\n> earlier text"},
      {"on_wrote_wrapped", "\nOn Mon, Mar 3, 2025 at 10:00 AM Jane Doe <\njane@example.com> wrote:\n\n> earlier text"},
      {"on_wrote_no_angle", "\nOn 3 March 2025, Jane Doe wrote:\nearlier text"},
      {"german", "\nAm 03.03.2025 um 10:00 schrieb Jane Doe <jane@example.com>:\n> früher"},
      {"french", "\nLe lun. 3 mars 2025 à 10:00, Jane Doe <jane@example.com> a écrit :\n> avant"},
      {"spanish", "\nEl lun, 3 mar 2025 a las 10:00, Jane Doe (<jane@example.com>) escribió:\n> antes"},
      {"dutch", "\nOp ma 3 mrt 2025 om 10:00 schreef Jane Doe <jane@example.com>:\n> eerder"},
      {"portuguese", "\nEm seg., 3 de mar. de 2025 às 10:00, Jane Doe <jane@example.com> escreveu:\n> antes"},
      {"outlook", "\n________________________________\nFrom: Jane Doe <jane@example.com>\nSent: Monday, March 3, 2025 10:00 AM\n"
                  "To: Bob <bob@example.org>\nSubject: Re: plans\n\nearlier text"},
      {"outlook_german", "\nVon: Jane Doe\nGesendet: Montag, 3. März 2025 10:00\nAn: Bob\nBetreff: Pläne\n\nfrüher"},
      {"outlook_french", "\nDe : Jane Doe\nEnvoyé : lundi 3 mars 2025 10:00\nÀ : Bob\nObjet : plans\n\navant"},
      {"outlook_spanish", "\nDe: Jane Doe\nEnviado el: lunes, 3 de marzo de 2025\nPara: Bob\nAsunto: planes\n\nantes"},
      {"outlook_dutch", "\nVan: Jane Doe\nVerzonden: maandag 3 maart 2025\nAan: Bob\nOnderwerp: plannen\n\neerder"},
      {"original_message", "\n-----Original Message-----\nFrom: Jane\nearlier text"},
      {"original_german", "\n-----Ursprüngliche Nachricht-----\nVon: Jane\nfrüher"},
      {"forwarded", "\n---------- Forwarded message ---------\nFrom: Jane <jane@example.com>\nearlier text"},
      {"apple_forward", "\nBegin forwarded message:\n\nFrom: Jane\nearlier text"},
  };
  for (const auto& c : cases) {
    auto got = split_quotes(fresh + "\n" + c.history);
    EXPECT_EQ(got.new_text, fresh + "\n") << c.name;
    EXPECT_FALSE(got.quoted.empty()) << c.name;
    EXPECT_NE(got.quoted.front(), '>') << c.name;
    EXPECT_EQ(got.quoted.find("\n>"), std::string::npos) << c.name;
  }
}

TEST(QuoteSplit, NamesWhoseTextIsQuoted) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  std::vector<Case> cases{
      {"attribution", "ok\nOn Mon, Mar 3, 2025 Jane Doe <jane@example.com> wrote:\n> earlier",
       "On Mon, Mar 3, 2025 Jane Doe <jane@example.com> wrote:"},
      {"outlook", "ok\n-----Original Message-----\nFrom: Doe, Jane\nSent: Monday\nTo: Bob\nSubject: x\n\nearlier",
       "From: Doe, Jane"},
      {"quoted_header_block", "Fwd below\n\n>From: \"Ray, Dawn\" <dawn@example.com>\n>To: Sue\n>\n>earlier",
       "From: \"Ray, Dawn\" <dawn@example.com>"},
      {"bracket", "[Skip]\n> earlier\nmy answer", "[Skip]"},
      {"bare_separator", "ok\n-----Original Message-----\nearlier", ""},
      {"none", "just new text", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(split_quotes(c.text).quoted_author, c.want) << c.name;
  // A short line right above an attribution is still new text.
  EXPECT_EQ(split_quotes(cases[0].text).new_text, "ok");
}

TEST(QuoteSplit, HtmlMarkerOffset) {
  std::string text = "new words\nmore new\nold words";
  auto got = split_quotes(text, text.find("old"));
  EXPECT_EQ(got.new_text, "new words\nmore new\n");
  EXPECT_EQ(got.quoted, "old words");
}

TEST(QuoteSplit, FindsSignature) {
  struct Case {
    std::string name;
    std::string text;
    std::string want_new;
    std::string want_signature;
  };
  std::vector<Case> cases{
      {"dash_dash", "Body line.\n-- \nJane Doe\nAcme", "Body line.", "-- \nJane Doe\nAcme"},
      {"best_regards", "Body line.\n\nBest regards,\nJane Doe\nHead of Sales, Acme\n+1 555 0100", "Body line.\n",
       "Best regards,\nJane Doe\nHead of Sales, Acme\n+1 555 0100"},
      {"german", "Text.\n\nMit freundlichen Grüßen\nJane Doe", "Text.\n", "Mit freundlichen Grüßen\nJane Doe"},
      {"french", "Texte.\nCordialement,\nJane", "Texte.", "Cordialement,\nJane"},
      {"device", "Sure.\n\nSent from my iPhone", "Sure.\n", "Sent from my iPhone"},
      {"sentence_after_thanks", "Thanks!\nCan we meet on Friday to go over the plan?\nBob",
       "Thanks!\nCan we meet on Friday to go over the plan?\nBob", ""},
      {"none", "Just a line.", "Just a line.", ""},
  };
  for (const auto& c : cases) {
    auto got = split_quotes(c.text);
    EXPECT_EQ(got.new_text, c.want_new) << c.name;
    EXPECT_EQ(got.signature, c.want_signature) << c.name;
  }
}

TEST(QuoteSplit, NoFalseMarkers) {
  std::vector<std::string> texts{
      "From: our side, the plan is fine.\nWe can start Monday.",
      "I wrote: nothing yet.\nMore to come.",
      "Here is what Jane wrote about it in the report, it is long and not an attribution line at all.",
  };
  for (const auto& text : texts) {
    auto got = split_quotes(text);
    EXPECT_TRUE(got.quoted.empty()) << text;
  }
}

}  // namespace
}  // namespace pushback::scoring
