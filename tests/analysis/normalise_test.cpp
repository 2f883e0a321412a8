// Folding and masking of personalisation.
#include <gtest/gtest.h>

#include "scoring/normalise.hpp"
#include "scoring/personalisation.hpp"

namespace pushback::scoring {
namespace {

TEST(Normalise, MasksPersonalisation) {
  auto personalisation = personalisation_of({{"Jane Doe", "jane.doe@acme-corp.com"}}, {"j.smith@northwindtraders.co.uk"},
                                            {{"Marta Klein", "marta@shipwright.io"}});
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  std::vector<Case> cases{
      {"greeting", "Hi Jane,\nHow are you?", "<greeting> <name> how are you"},
      {"greeting_unknown_name", "Hey Roberto - quick one.", "<greeting> <name> quick one"},
      {"greeting_two_words", "Good morning Dr. Jane Doe,\ntext", "<greeting> <name> text"},
      {"greeting_no_name", "Hello, I am writing", "<greeting> i am writing"},
      {"greeting_german", "Sehr geehrte Frau Doe,\nText", "<greeting> <name> text"},
      {"name_in_body", "I think Jane Doe would like this", "i think <name> would like this"},
      {"local_part", "smith and co", "<name> and co"},
      {"company", "teams at Acme Corp and ACME", "teams at <company> and <company>"},
      {"company_concatenated", "Northwind Traders ships", "<company> ships"},
      {"company_url", "see https://www.acme-corp.com/pricing?x=1", "see <company>"},
      {"url_host", "book at https://cal.example.co.uk/marta/30min.", "book at example.co.uk"},
      {"sender", "Marta from Shipwright", "<sender> from shipwright"},
      {"email", "write to sales@shipwright.io, please", "write to <email> please"},
      {"numbers", "cut costs by 43% in 8 weeks", "cut costs by <num> in <num> weeks"},
      {"phone", "call +1 (415) 555-0134 now", "call <num> now"},
      {"dates", "on Tuesday, March 4 or 12/03/2025", "on <date> or <num>"},
      {"dates_other_languages", "am Dienstag, 4. März; le mardi 4 mars; el martes; op dinsdag; na terça",
       "am <date> le <date> el <date> op <date> na <date>"},
      {"apostrophe", "don't miss it's", "don't miss it's"},
      {"unicode_fold", "ＡＢＣ Straße", "abc strasse"},
  };
  for (const auto& c : cases) {
    auto got = normalise_text(c.text, personalisation, 1000);
    EXPECT_EQ(got.text, c.want) << c.name;
  }
}

TEST(Normalise, TellsWhetherTheTextNamesTheRecipient) {
  auto personalisation = personalisation_of({{"Jane Doe", "jane.doe@radiant-materials.com"}}, {}, {});
  struct Case {
    std::string name;
    std::string text;
    bool want;
  };
  std::vector<Case> cases{
      {"greeting", "Hi Jane,\nquick question", true},
      {"greeting_after_a_line_of_its_own", "From: Sarah at Acme\n\nJane,\nquick question", true},
      {"greeting_long_name", "Hi Jane Doe and the Radiant Materials team -- hello", true},
      {"company_brand", "I saw that Radiant is hiring", true},
      {"ordinary_word_of_the_domain", "materials for the meeting are attached", false},
      {"greeting_someone_else", "Dear Randy,\nthe newscast is live", false},
      {"nobody", "The staff meeting is at four.", false},
  };
  for (const auto& c : cases) EXPECT_EQ(normalise_text(c.text, personalisation, 1000).names_recipient, c.want) << c.name;
  // Deep in a long text a matching first name is somebody else.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";
  EXPECT_FALSE(normalise_text(long_text + "Jane", personalisation, 1000).names_recipient);
}

TEST(Normalise, WritesAsPerson) {
  struct Case {
    Mailbox from;
    bool want;
  };
  std::vector<Case> cases{
      {{"Jane Doe", "jane.doe@vendor.example"}, true},
      {{"Jane Doe", "jdoe@vendor.example"}, true},
      {{"Jane Doe", "janed@vendor.example"}, true},
      {{"Robert Moore", "rmoore@vendor.example"}, true},
      {{"", "g..barkowsky@enron.com"}, false},
      {{"Acme Billing", "noreply@acme.example"}, false},
      {{"Lockergnome Windows Daily", "subscriptions@lockergnome.example"}, false},
      {{"Jane Doe", "sales@vendor.example"}, false},
      {{"Jane", "jane@vendor.example"}, false},
  };
  for (const auto& c : cases) EXPECT_EQ(writes_as_person({c.from}), c.want) << c.from.name << " " << c.from.address;
  EXPECT_FALSE(writes_as_person({}));
  EXPECT_FALSE(writes_as_person({{"Jane Doe", "jane@a.example"}, {"John Roe", "john@a.example"}}));
}

TEST(Normalise, QuotesThirdParty) {
  std::vector<Mailbox> to{{"Sven Taylor", "staylor@corp.example"}};
  auto personalisation = personalisation_of(to, {}, {{"Dana Sales", "dana@vendor.example"}});
  EXPECT_TRUE(quotes_third_party("From: Taylor, Liz", personalisation, to));  // a shared surname is chance
  EXPECT_TRUE(quotes_third_party("[Skip Montanaro]", personalisation, to));
  EXPECT_FALSE(quotes_third_party("On Mon, Dana Sales <dana@vendor.example> wrote:", personalisation, to));
  EXPECT_FALSE(quotes_third_party("From: Taylor, Sven", personalisation, to));
  EXPECT_FALSE(quotes_third_party("On Mon, staylor@corp.example wrote:", personalisation, to));
  EXPECT_FALSE(quotes_third_party("", personalisation, to));
}

TEST(Normalise, RegistrableDomain) {
  struct Case {
    std::string host;
    std::string want;
  };
  std::vector<Case> cases{{"www.acme.com", "acme.com"}, {"a.b.example.co.uk", "example.co.uk"},
                          {"ACME.COM.", "acme.com"},     {"localhost", "localhost"},
                          {"x.com.au", "x.com.au"},      {"go.hubspot.com", "hubspot.com"}};
  for (const auto& c : cases) EXPECT_EQ(registrable_domain(c.host), c.want) << c.host;
}

TEST(Normalise, RoleAndWebmailAddressesGiveNoWords) {
  auto personalisation = personalisation_of({{"", "info@gmail.com"}}, {}, {});
  EXPECT_TRUE(personalisation.recipient_names.empty());
  EXPECT_TRUE(personalisation.company_words.empty());
}

TEST(Normalise, TokenLimit) {
  auto got = normalise_text("a b c d e f", {}, 3);
  EXPECT_EQ(got.text, "a b c");
  EXPECT_TRUE(got.tokens_hit);
}

}  // namespace
}  // namespace pushback::scoring
