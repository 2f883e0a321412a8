// Template fingerprints: one template personalised for many people is one
// cluster; unrelated mail is not; quoted history and HTML change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "mail_builder.hpp"
#include "scoring/fingerprint.hpp"
#include "scoring/raw_message.hpp"
#include "scoring/text_features.hpp"

namespace pushback::scoring {
namespace {

using test::html_mail;
using test::plain_mail;

struct Person {
  std::string first;
  std::string last;
  std::string company;  // as a sender would write it
  std::string domain;
};

// 50 people at 50 companies; the address forms vary as they do in real lists.
std::vector<Person> people() {
  const std::vector<std::string> firsts{"Jane", "Oliver", "Amara", "Lukas", "Sofia", "Mateo", "Priya", "Noah",
                                        "Chloé", "Yusuf", "Hannah", "Diego", "Mei", "Tomasz", "Aisha", "Finn",
                                        "Lucía", "Kwame", "Emma", "Ravi", "Ingrid", "Hugo", "Zara", "Elias",
                                        "Nadia", "Sven", "Leila", "Marco", "Freya", "Kenji", "Olga", "Dmitri",
                                        "Grace", "Anders", "Fatima", "Pierre", "Isla", "Tariq", "Maya", "Jonas",
                                        "Beatriz", "Ethan", "Sanne", "Rafael", "Aoife", "Viktor", "Layla", "Bram",
                                        "Camille", "Omar"};
  const std::vector<std::string> lasts{"Doe", "Bennett", "Okafor", "Schmidt", "Rossi", "García", "Sharma", "Walsh",
                                       "Dubois", "Demir", "Becker", "Torres", "Chen", "Nowak", "Bello", "Murphy",
                                       "Fernández", "Mensah", "Larsen", "Iyer", "Johansson", "Lefèvre", "Khan",
                                       "Weber", "Haddad", "Nilsson", "Karimi", "Bianchi", "Campbell", "Tanaka",
                                       "Ivanova", "Petrov", "Kim", "Berg", "Hassan", "Moreau", "Fraser", "Aziz",
                                       "Levi", "Vogel", "Costa", "Price", "de Vries", "Almeida", "Byrne", "Novak",
                                       "Saleh", "Jansen", "Laurent", "Farouk"};
  const std::vector<std::pair<std::string, std::string>> companies{
      {"Acme Corp", "acme-corp.com"},        {"Northwind Traders", "northwindtraders.com"},
      {"Bluewave", "bluewave.io"},           {"Helios Energy", "heliosenergy.de"},
      {"Kestrel", "kestrel.ai"},             {"Pinecrest Health", "pinecrest-health.org"},
      {"Orbital Freight", "orbitalfreight.co.uk"}, {"Lumen Labs", "lumenlabs.com"},
      {"Quarry", "getquarry.com"},           {"Tidewater Bank", "tidewater.bank"},
      {"Vantage", "vantagehq.com"},          {"Copperleaf", "copperleaf.nl"},
      {"Redwood Logistics", "redwood-logistics.com"}, {"Solace", "solace.fr"},
      {"Granite Systems", "granitesystems.com"}, {"Meridian", "meridian-group.es"},
      {"Brightpath", "brightpath.io"},       {"Foxglove", "foxglove.dev"},
      {"Atlas Robotics", "atlasrobotics.com"}, {"Juniper Foods", "juniperfoods.com.au"},
      {"Halcyon", "halcyon.pt"},             {"Nimbus Cloud", "nimbuscloud.com"},
      {"Starling Media", "starlingmedia.co"}, {"Ironclad Security", "ironclad-security.com"},
      {"Wavelength", "wavelength.fm"},       {"Evergreen Retail", "evergreenretail.com"},
      {"Cobalt", "cobalt.se"},               {"Sparrow Analytics", "sparrow.ai"},
      {"Driftwood", "driftwood.studio"},     {"Monarch Insurance", "monarch-insurance.com"},
      {"Polaris", "polaris.it"},             {"Cedar & Co", "cedarandco.com"},
      {"Tandem", "usetandem.com"},           {"Beacon Health", "beaconhealth.com"},
      {"Keystone", "keystone.pl"},           {"Aurora Software", "aurorasoftware.com"},
      {"Mosaic", "mosaic.be"},               {"Harbor Freight Tech", "harborfreight.tech"},
      {"Silverline", "silverline.ch"},       {"Zenith", "zenithhq.com"},
      {"Lighthouse", "lighthouse.io"},       {"Verdant", "verdant.farm"},
      {"Ember", "ember.co.uk"},              {"Summit Partners", "summit-partners.com"},
      {"Alder", "alder.at"},                 {"Riverbend", "riverbend.us"},
      {"Nova Pay", "novapay.com"},           {"Trellis", "trellis.app"},
      {"Opal", "opal.dk"},                   {"Sequoia Dental", "sequoiadental.com"}};
  std::vector<Person> out;
  for (std::size_t i = 0; i < 50; ++i) {
    out.push_back({firsts[i], lasts[i], companies[i].first, companies[i].second});
  }
  return out;
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string ascii_local(const std::string& name) {
  std::string out;
  for (char c : lower(name)) {
    if (c >= 'a' && c <= 'z') out.push_back(c);
  }
  return out;
}

// The To: header in one of the forms mailing tools use.
std::string to_header(const Person& person, std::size_t i) {
  std::string first = ascii_local(person.first);
  std::string last = ascii_local(person.last);
  switch (i % 4) {
    case 0: return person.first + " " + person.last + " <" + first + "." + last + "@" + person.domain + ">";
    case 1: return first + "@" + person.domain;
    case 2: return "\"" + person.last + ", " + person.first + "\" <" + first.substr(0, 1) + last + "@" + person.domain + ">";
    default: return person.first + " <" + first + "@" + person.domain + ">";
  }
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

struct Template {
  std::string from;
  std::string subject;
  std::string body;  // {greeting} {first} {company} {n} {day}
};

std::vector<Template> templates() {
  return {
      {"Marta Klein <marta.klein@shipwright.io>", "Release reviews at {company}",
       "{greeting} {first},\n\nI noticed {company} is hiring platform engineers this quarter. Teams like yours "
       "usually lose around {n} hours a week to manual release reviews, and we built Shipwright to take that "
       "off their plate.\n\nLast month we helped a logistics company cut their release time by {n}% in {n} "
       "weeks. Would it make sense to show you how this could work for {company} on {day}?\n\nBest,\n"
       "Marta Klein\nAccount Executive, Shipwright\n+1 (415) 555-0{n}"},
      {"Marta Klein <marta.klein@shipwright.io>", "Re: Release reviews at {company}",
       "{greeting} {first}, just floating this back to the top of your inbox. I know things get busy at "
       "{company}. Did you get a chance to read my note from {day}? If release reviews are not a priority "
       "right now, let me know and I will stop reaching out.\n\nCheers,\nMarta"},
      {"Daniel Ortiz <daniel@vendorshield.com>", "Security questionnaires",
       "{greeting} {first} - quick question. Who at {company} owns vendor security questionnaires? We "
       "automate the answers from your existing policies, so the security team spends minutes instead of days "
       "on each one. Could you point me to the right person?\n\nThanks,\nDaniel Ortiz\nVendorShield"},
      {"Lea Brandt <lea@pixelroom.de>", "Kurze Frage zu {company}",
       "{greeting} {first},\n\nich habe gesehen, dass {company} gerade neue Filialen eröffnet. Viele Händler "
       "verlieren dabei {n} Stunden pro Woche mit der Pflege ihrer Produktfotos. Wir übernehmen das komplett. "
       "Hätten Sie am {day} zehn Minuten für ein kurzes Gespräch?\n\nViele Grüße\nLea Brandt"},
  };
}

Message personalise(const Template& tpl, const Person& person, std::size_t i) {
  const std::vector<std::string> greetings{"Hi", "Hello", "Hey", "Dear", "Good morning", "Hi there"};
  const std::vector<std::string> days{"Tuesday", "Thursday, March 6", "Monday", "Fri 14 Feb", "Wednesday"};
  std::string greeting = greetings[i % greetings.size()];
  std::string body = tpl.body;
  if (greeting == "Hi there") {
    body = replace_all(body, "{greeting} {first}", "Hi there");
  }
  body = replace_all(body, "{greeting}", greeting);
  body = replace_all(body, "{first}", person.first);
  body = replace_all(body, "{company}", person.company);
  body = replace_all(body, "{day}", days[i % days.size()]);
  body = replace_all(body, "{n}", std::to_string(7 + (i * 13) % 90));
  std::string subject = replace_all(tpl.subject, "{company}", person.company);
  return plain_mail(tpl.from, to_header(person, i), subject, body);
}

TEST(Fingerprint, OneTemplateManyPeopleIsOneCluster) {
  auto list = people();
  auto all = templates();
  std::vector<std::vector<Fingerprint>> prints(all.size());
  for (std::size_t t = 0; t < all.size(); ++t) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto features = extract_text_features(personalise(all[t], list[i], i));
      ASSERT_FALSE(features.fingerprint.empty) << features.new_text;
      prints[t].push_back(features.fingerprint);
    }
  }
  for (std::size_t t = 0; t < all.size(); ++t) {
    double lowest = 1.0;
    for (std::size_t a = 0; a < list.size(); ++a) {
      for (std::size_t b = a + 1; b < list.size(); ++b) {
        double got = estimated_jaccard(prints[t][a], prints[t][b]);
        lowest = std::min(lowest, got);
        EXPECT_GE(got, 0.8) << "template " << t << " people " << a << " and " << b;
      }
    }
    RecordProperty("lowest_jaccard_template_" + std::to_string(t), std::to_string(lowest));
  }
  // Different templates stay apart, however they are personalised.
  for (std::size_t t = 0; t < all.size(); ++t) {
    for (std::size_t u = t + 1; u < all.size(); ++u) {
      for (std::size_t i = 0; i < list.size(); i += 7) {
        EXPECT_LT(estimated_jaccard(prints[t][i], prints[u][(i + 3) % list.size()]), 0.3) << t << " vs " << u;
      }
    }
  }
}

TEST(Fingerprint, UnrelatedMessagesAreApart) {
  const std::vector<std::string> bodies{
      "Hi Sam,\nthe build on main is red again since the lockfile change. Can you look before the release?",
      "Dear all,\nthe office will be closed on Friday for the electrical inspection. Please take your laptops home.",
      "Hey, are we still on for climbing tonight? I can bring the spare harness and pick you up at seven.",
      "Hello Ms. Park,\nyour invoice for the March consulting work is attached. Payment terms are thirty days.",
      "Team,\nplease review the draft budget before Thursday; the finance committee wants comments in the sheet.",
      "Hi Grandma, thank you so much for the birthday card and the scarf, it is lovely and very warm.",
      "Reminder: the quarterly security training must be completed by every employee before the end of the month.",
      "Good afternoon,\nthe delivery of the replacement pump is delayed by the carrier; new estimate next week.",
      "Hallo Jens,\nanbei das Protokoll der Sitzung von gestern. Bitte ergänze die fehlenden Punkte zum Umzug.",
      "Bonjour Claire,\nle rapport trimestriel est prêt, je te l'envoie dès que la relecture est terminée.",
      "Can someone on the support rota take the escalation from the hospital customer? Their export job fails.",
      "Thanks for the interview today. I enjoyed meeting the team and learning about the data platform roadmap.",
  };
  std::vector<Fingerprint> prints;
  for (const auto& body : bodies) {
    prints.push_back(extract_text_features(plain_mail("a@example.com", "b@example.org", "note", body)).fingerprint);
  }
  for (std::size_t a = 0; a < prints.size(); ++a) {
    for (std::size_t b = a + 1; b < prints.size(); ++b) {
      EXPECT_LT(estimated_jaccard(prints[a], prints[b]), 0.3) << a << " vs " << b;
    }
  }
}

TEST(Fingerprint, QuotedHistoryDoesNotChangeNewText) {
  const std::string fresh =
      "Hi Jane,\n\nfollowing up on my note below: we help finance teams close the books two days faster. Worth a "
      "short call next week?\n\nBest,\nMarta";
  const std::string previous = "I noticed Acme is hiring in finance. We help teams close faster.";
  struct Case {
    std::string name;
    std::string body;
    bool html;
  };
  std::vector<Case> cases{
      {"angle", fresh + "\n\nOn Tue, Mar 4, 2025 at 9:12 AM Marta Klein <marta@shipwright.io> wrote:\n> " + previous, false},
      {"outlook", fresh + "\n\n________________________________\nFrom: Marta Klein <marta@shipwright.io>\nSent: Tuesday, "
                          "March 4, 2025 9:12 AM\nTo: Jane Doe <jane.doe@acme-corp.com>\nSubject: Finance close\n\n" + previous,
       false},
      {"german", fresh + "\n\nAm 04.03.2025 um 09:12 schrieb Marta Klein <marta@shipwright.io>:\n\n> " + previous, false},
      {"original", fresh + "\n\n-----Original Message-----\nFrom: Marta\n" + previous, false},
      {"html_gmail", "<div>" + replace_all(fresh, "\n", "<br>") + "</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Tue, "
                     "Marta wrote:</div><blockquote>" + previous + "</blockquote></div>", true},
  };
  auto want = extract_text_features(plain_mail("Marta Klein <marta@shipwright.io>", "Jane Doe <jane.doe@acme-corp.com>", "x", fresh));
  ASSERT_FALSE(want.fingerprint.empty);
  EXPECT_TRUE(want.quoted_text.empty());
  for (const auto& c : cases) {
    auto message = c.html ? html_mail("Marta Klein <marta@shipwright.io>", "Jane Doe <jane.doe@acme-corp.com>", "x", c.body)
                          : plain_mail("Marta Klein <marta@shipwright.io>", "Jane Doe <jane.doe@acme-corp.com>", "x", c.body);
    auto got = extract_text_features(message);
    EXPECT_EQ(got.new_text, want.new_text) << c.name;
    EXPECT_EQ(got.fingerprint.skeleton_hash, want.fingerprint.skeleton_hash) << c.name;
    EXPECT_EQ(got.fingerprint.minhash, want.fingerprint.minhash) << c.name;
    EXPECT_NE(got.quoted_text.find("hiring in finance"), std::string::npos) << c.name;
    EXPECT_FALSE(got.quoted_fingerprint.empty) << c.name;
  }
}

TEST(Fingerprint, HtmlAndPlainGiveTheSameFingerprint) {
  struct Case {
    std::string name;
    std::string plain;
    std::string html;
  };
  std::vector<Case> cases{
      {"paragraphs",
       "Hi Jane,\n\nwe help finance teams close the books two days faster.\n\nWorth a short call next week?\n\nBest,\nMarta",
       "<html><head><style>p{margin:0}</style></head><body><p>Hi Jane,</p><p>we help finance teams close the books "
       "two days faster.</p><p>Worth a short call next week?</p><p>Best,<br>Marta</p></body></html>"},
      {"link_and_pixel",
       "Hello Jane, here is my calendar: https://cal.example.com/marta/15min - pick any slot that suits you this week.",
       "<div>Hello Jane, here is my calendar: <a href=\"https://cal.example.com/marta/15min\">https://cal.example.com/"
       "marta/15min</a> - pick any slot that suits you this week.</div><img src=\"https://t.example.net/o.gif\" "
       "width=\"1\" height=\"1\">"},
      {"entities_and_tables",
       "Quick question: who owns procurement & vendor onboarding at Acme Corp? Happy to send a two-minute overview.",
       "<table><tr><td>Quick question: who owns procurement &amp; vendor onboarding at <b>Acme Corp</b>?&nbsp;Happy "
       "to send a two-minute overview.</td></tr></table>"},
  };
  for (const auto& c : cases) {
    auto plain = extract_text_features(plain_mail("Marta Klein <marta@shipwright.io>", "jane.doe@acme-corp.com", "x", c.plain));
    auto html = extract_text_features(html_mail("Marta Klein <marta@shipwright.io>", "jane.doe@acme-corp.com", "x", c.html));
    EXPECT_TRUE(html.from_html) << c.name;
    EXPECT_EQ(html.new_text, plain.new_text) << c.name;
    EXPECT_EQ(html.fingerprint.minhash, plain.fingerprint.minhash) << c.name;
  }
}

TEST(Fingerprint, ShortTextsFromEightWords) {
  auto a = fingerprint_text("<greeting> <name> any thoughts on my note from <date>");
  auto b = fingerprint_text("<greeting> <name> any thoughts on my note from <date>");
  auto c = fingerprint_text("<greeting> <name> the parcel arrived at the front desk today");
  EXPECT_FALSE(a.empty);
  EXPECT_EQ(estimated_jaccard(a, b), 1.0);
  EXPECT_LT(estimated_jaccard(a, c), 0.3);
  EXPECT_TRUE(fingerprint_text("thanks").empty);
  EXPECT_EQ(estimated_jaccard(fingerprint_text("thanks"), fingerprint_text("thanks")), 0.0);
}

TEST(Fingerprint, BandKeysFollowTheSignature) {
  auto a = fingerprint_text("one two three four five six seven eight nine ten");
  auto b = fingerprint_text("one two three four five six seven eight nine ten");
  auto c = fingerprint_text("alpha beta gamma delta epsilon zeta eta theta iota kappa");
  EXPECT_EQ(a.band_keys, b.band_keys);
  std::size_t shared = 0;
  for (std::size_t i = 0; i < lsh_bands; ++i) shared += a.band_keys[i] == c.band_keys[i] ? 1U : 0U;
  EXPECT_EQ(shared, 0u);
  EXPECT_EQ(a.algorithm, fingerprint_algorithm);
}

// Real mail from the development corpus, when it is beside the project.
// Every MinHash update this CPU has gives the values of the plain loop:
// servers that share a store must agree whatever CPU they run on.
TEST(Fingerprint, EveryInstructionSetGivesTheSameSignature) {
  std::vector<std::uint64_t> hashes;
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 1000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    hashes.push_back(i % 100 == 0 ? (i % 200 == 0 ? 0 : ~0ULL) : state);  // edge values too
  }
  for (std::size_t count : {std::size_t{1}, std::size_t{7}, std::size_t{64}, hashes.size()}) {
    std::vector<std::uint64_t> some(hashes.begin(), hashes.begin() + static_cast<std::ptrdiff_t>(count));
    std::array<std::uint32_t, minhash_size> expected;
    expected.fill(~0U);
    ASSERT_TRUE(detail::minhash_update_with("default", some, expected));
    int compared = 0;
    for (std::string_view variant : {"avx2", "x86-64-v4"}) {
      std::array<std::uint32_t, minhash_size> got;
      got.fill(~0U);
      if (!detail::minhash_update_with(variant, some, got)) continue;
      EXPECT_EQ(got, expected) << variant << " with " << count << " hashes";
      ++compared;
    }
    RecordProperty("variants_compared", compared);
  }
  EXPECT_FALSE(detail::minhash_update_with("sse9", hashes, *std::make_unique<std::array<std::uint32_t, minhash_size>>()));
}

TEST(Fingerprint, CorpusHamIsApart) {
  namespace fs = std::filesystem;
  fs::path corpus = fs::path(PUSHBACK_SOURCE_DIR) / ".." / "shared" / "corpus" / "ham" / "spamassassin" / "easy_ham";
  if (!fs::is_directory(corpus)) GTEST_SKIP() << "no corpus at " << corpus;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.size() > 400) files.resize(400);
  std::vector<Fingerprint> prints;
  std::vector<std::string> lists;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream raw;
    raw << in.rdbuf();
    auto message = parse_raw_message(raw.str());
    auto features = extract_text_features(message);
    if (features.fingerprint.token_count < 8) continue;
    prints.push_back(features.fingerprint);
    const Header* list = message.find_header("List-Id");
    if (list == nullptr) list = message.find_header("Mailing-List");
    lists.push_back(list != nullptr ? list->value : std::string());
  }
  std::size_t pairs = 0;
  std::size_t close = 0;
  for (std::size_t a = 0; a < prints.size(); ++a) {
    for (std::size_t b = a + 1; b < prints.size(); ++b) {
      if (prints[a].skeleton_hash == prints[b].skeleton_hash) continue;  // the same text sent twice
      // Posts to one list share its footer, a template of its own.
      if (!lists[a].empty() && lists[a] == lists[b]) continue;
      ++pairs;
      if (estimated_jaccard(prints[a], prints[b]) >= 0.3) ++close;
    }
  }
  RecordProperty("pairs", static_cast<int>(pairs));
  RecordProperty("pairs_at_or_above_0_3", static_cast<int>(close));
  // Issues of one newsletter are a template too: allow one pair in a thousand.
  EXPECT_LE(close * 1000, pairs) << close << " of " << pairs << " pairs at or above 0.3";
}

}  // namespace
}  // namespace pushback::scoring
