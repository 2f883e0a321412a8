// Template-match precision and recall over the corpus: every cold outreach
// template is personalised for several generated people and companies (with
// its spintax expanded) and wrapped in headers; pairs from one template should
// match (estimated Jaccard >= threshold), pairs from different templates and
// template/ham pairs should not. Usage: template_eval [--corpus=PATH] [--ham=N]
#include <fmt/format.h>

#include <map>
#include <random>
#include <set>

#include "bench/corpus_files.hpp"
#include "scoring/fingerprint.hpp"
#include "scoring/raw_message.hpp"
#include "scoring/text_features.hpp"

namespace pushback::bench {
namespace {

using scoring::Fingerprint;

constexpr std::size_t instances_per_template = 5;
constexpr std::array<std::size_t, 3> shingle_sizes{1, 2, 3};
constexpr std::array<double, 5> thresholds{0.5, 0.6, 0.7, 0.8, 0.9};

struct Person {
  std::string first;
  std::string last;
  std::string company;
  std::string domain;
};

const std::vector<std::string> first_names{
    "Jane", "Oliver", "Amara", "Lukas", "Sofia", "Mateo", "Priya", "Noah", "Chloe", "Yusuf", "Hannah", "Diego",
    "Mei", "Tomasz", "Aisha", "Finn", "Lucia", "Kwame", "Emma", "Ravi", "Ingrid", "Hugo", "Zara", "Elias", "Nadia",
    "Sven", "Leila", "Marco", "Freya", "Kenji", "Olga", "Grace", "Anders", "Fatima", "Pierre", "Isla", "Tariq",
    "Maya", "Jonas", "Beatriz", "Ethan", "Sanne", "Rafael", "Aoife", "Viktor", "Layla", "Bram", "Camille", "Omar"};
const std::vector<std::string> last_names{
    "Doe", "Bennett", "Okafor", "Schmidt", "Rossi", "Garcia", "Sharma", "Walsh", "Dubois", "Demir", "Becker",
    "Torres", "Chen", "Nowak", "Bello", "Murphy", "Fernandez", "Mensah", "Larsen", "Iyer", "Johansson", "Lefevre",
    "Khan", "Weber", "Haddad", "Nilsson", "Karimi", "Bianchi", "Campbell", "Tanaka", "Ivanova", "Kim", "Berg"};
const std::vector<std::string> brands{
    "Acme", "Northwind", "Bluewave", "Helios", "Kestrel", "Pinecrest", "Orbital", "Lumen", "Quarry", "Tidewater",
    "Vantage", "Copperleaf", "Redwood", "Solace", "Granite", "Meridian", "Brightpath", "Foxglove", "Atlas",
    "Juniper", "Halcyon", "Nimbus", "Starling", "Ironclad", "Wavelength", "Evergreen", "Cobalt", "Sparrow",
    "Driftwood", "Monarch", "Polaris", "Cedar", "Tandem", "Beacon", "Keystone", "Aurora", "Mosaic", "Silverline"};
const std::vector<std::string> company_suffixes{"", "", "", " Labs", " Health", " Logistics", " Analytics",
                                                " Software", " Group", " Systems"};
const std::vector<std::string> icebreakers{
    "Loved your recent post about scaling support teams.", "Congrats on the new funding round!",
    "Saw you spoke at the retail summit last month.", "Your podcast episode on pricing was great.",
    "Noticed you just opened a second office.", "Great to see the team growing so fast.",
    "I enjoyed your article on remote onboarding.", "Congrats on the product launch last week."};
const std::vector<std::string> days{"Tuesday", "Thursday at 2pm", "Monday, March 3", "Friday 10:30", "next Wednesday"};

Person make_person(std::mt19937& rng) {
  auto pick = [&](const std::vector<std::string>& list) { return list[rng() % list.size()]; };
  Person person{pick(first_names), pick(last_names), pick(brands) + pick(company_suffixes), ""};
  std::string label;
  for (char c : person.company) {
    if (c != ' ') label.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  static const std::vector<std::string> tlds{".com", ".io", ".co.uk", ".de", ".ai", ".com"};
  if (rng() % 3 == 0 && person.company.find(' ') != std::string::npos) {
    label.insert(person.company.find(' '), "-");
  }
  person.domain = label + pick(tlds);
  return person;
}

std::string lower_letters(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// What a placeholder stands for, by its name.
std::string fill_placeholder(std::string_view name, const Person& person, std::mt19937& rng) {
  std::string key = lower_letters(name);
  bool own = contains(key, "your") || contains(key, "sender") || contains(key, "my") || contains(key, "rep") ||
             contains(key, "signature") || contains(key, "similar") || contains(key, "mutual") ||
             contains(key, "calendar") || contains(key, "link");
  if (!own) {
    if (contains(key, "icebreaker") || contains(key, "personal") || contains(key, "compliment") ||
        contains(key, "observation")) {
      return icebreakers[rng() % icebreakers.size()];
    }
    if (contains(key, "fullname")) return person.first + " " + person.last;
    if (contains(key, "last")) return person.last;
    if (contains(key, "first") || key == "name" || key == "prospect" || key == "prospectname" || key == "contact") {
      return person.first;
    }
    if (contains(key, "company") || contains(key, "organization") || contains(key, "organisation") ||
        contains(key, "business") || contains(key, "account") || key == "org") {
      return person.company;
    }
    if (key == "day" || key == "date" || key == "time" || contains(key, "meetingtime")) return days[rng() % days.size()];
  }
  // Campaign-wide values: the same for every recipient of the template.
  return fmt::format("{} value", name);
}

bool placeholder_name(std::string_view name) {
  if (name.empty() || name.size() > 40) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

// Expands {a|b|c} spintax (nested too) and fills {{x}}, [X] and {X} placeholders.
std::string personalise(std::string_view text, const Person& person, std::mt19937& rng, int depth = 0) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i).starts_with("{{")) {
      auto end = text.find("}}", i + 2);
      if (end != std::string_view::npos && placeholder_name(text.substr(i + 2, end - i - 2))) {
        out += fill_placeholder(text.substr(i + 2, end - i - 2), person, rng);
        i = end + 2;
        continue;
      }
    }
    if (text[i] == '[') {
      auto end = text.find(']', i + 1);
      if (end != std::string_view::npos && placeholder_name(text.substr(i + 1, end - i - 1)) &&
          std::isupper(static_cast<unsigned char>(text[i + 1]))) {
        out += fill_placeholder(text.substr(i + 1, end - i - 1), person, rng);
        i = end + 1;
        continue;
      }
    }
    if (text[i] == '{' && depth < 8) {
      // Find the matching brace and the top-level options.
      int level = 0;
      std::size_t end = i;
      std::vector<std::size_t> bars;
      for (; end < text.size() && end < i + 2000; ++end) {
        if (text[end] == '{') ++level;
        if (text[end] == '}' && --level == 0) break;
        if (text[end] == '|' && level == 1) bars.push_back(end);
      }
      if (end < text.size() && level == 0) {
        auto inner = text.substr(i + 1, end - i - 1);
        if (!bars.empty()) {
          std::vector<std::string_view> options;
          std::size_t start = i + 1;
          for (auto bar : bars) {
            options.push_back(text.substr(start, bar - start));
            start = bar + 1;
          }
          options.push_back(text.substr(start, end - start));
          out += personalise(options[rng() % options.size()], person, rng, depth + 1);
          i = end + 1;
          continue;
        }
        if (placeholder_name(inner)) {
          out += fill_placeholder(inner, person, rng);
          i = end + 1;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

scoring::Message make_mail(const std::string& subject, const std::string& body, const Person& person) {
  std::string raw = fmt::format(
      "From: Sam Carter <sam.carter@vendorco.com>\nTo: {} {} <{}.{}@{}>\nSubject: {}\nMIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-8\n\n{}",
      person.first, person.last, lower_letters(person.first), lower_letters(person.last), person.domain, subject, body);
  return scoring::parse_raw_message(raw);
}

struct Template {
  std::string source;
  std::string body;
  std::vector<std::string> new_texts;  // one per instance
};

struct Counts {
  std::size_t pairs = 0;
  std::array<std::size_t, thresholds.size()> at_or_above{};
  void add(double jaccard) {
    ++pairs;
    for (std::size_t i = 0; i < thresholds.size(); ++i) at_or_above[i] += jaccard >= thresholds[i] ? 1U : 0U;
  }
};

double ratio(std::size_t a, std::size_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

}  // namespace
}  // namespace pushback::bench

int main(int argc, char** argv) {
  using namespace pushback::bench;
  namespace fs = std::filesystem;
  auto corpus = corpus_path(argc, argv);
  std::size_t ham_limit = 5000;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--ham=")) ham_limit = std::stoul(std::string(arg.substr(6)));
  }
  auto cold = files_under(corpus / "outreach" / "cold", 100000);
  if (cold.empty()) {
    fmt::print(stderr, "no templates under {}\n", (corpus / "outreach" / "cold").string());
    return 1;
  }
  std::mt19937 rng(20250301);

  std::vector<Template> templates;
  std::size_t too_short = 0;
  for (const auto& file : cold) {
    auto source = pushback::scoring::parse_raw_message(read_file(file));
    Template tpl;
    if (const auto* repo = source.find_header("X-Corpus-Source-Repo")) tpl.source = repo->value;
    std::string subject;
    if (const auto* header = source.find_header("Subject")) subject = header->value;
    for (char c : source.body) {
      if (c != '\r') tpl.body.push_back(c);
    }
    bool empty = false;
    for (std::size_t n = 0; n < instances_per_template; ++n) {
      Person person = make_person(rng);
      auto features = pushback::scoring::extract_text_features(
          make_mail(personalise(subject, person, rng), personalise(tpl.body, person, rng), person));
      empty = empty || features.fingerprint.empty;
      tpl.new_texts.push_back(std::move(features.new_text));
    }
    if (empty) {
      ++too_short;
      continue;
    }
    templates.push_back(std::move(tpl));
  }

  std::vector<std::string> ham_texts;
  for (const char* dir : {"ham/spamassassin", "ham/enron_followup_phrases", "ham/enron_inbox_sample"}) {
    for (const auto& file : files_under(corpus / dir, ham_limit)) {
      if (ham_texts.size() >= ham_limit) break;
      auto features = pushback::scoring::extract_text_features(pushback::scoring::parse_raw_message(read_file(file)));
      if (!features.fingerprint.empty) ham_texts.push_back(std::move(features.new_text));
    }
  }

  fmt::print("corpus: {}\ntemplates: {} fingerprinted ({} too short to fingerprint), {} instances each; ham: {}\n\n",
             corpus.string(), templates.size(), too_short, instances_per_template, ham_texts.size());

  for (auto shingle : shingle_sizes) {
    std::vector<std::vector<Fingerprint>> prints;
    for (const auto& tpl : templates) {
      auto& row = prints.emplace_back();
      for (const auto& text : tpl.new_texts) row.push_back(pushback::scoring::detail::fingerprint_text(text, shingle));
    }
    std::vector<Fingerprint> ham;
    for (const auto& text : ham_texts) ham.push_back(pushback::scoring::detail::fingerprint_text(text, shingle));

    Counts same;
    Counts cross;
    Counts with_ham;
    std::size_t duplicates = 0;
    std::map<std::string, Counts> same_by_source;
    for (std::size_t t = 0; t < templates.size(); ++t) {
      for (std::size_t a = 0; a < instances_per_template; ++a) {
        for (std::size_t b = a + 1; b < instances_per_template; ++b) {
          double jaccard = pushback::scoring::estimated_jaccard(prints[t][a], prints[t][b]);
          same.add(jaccard);
          same_by_source[templates[t].source].add(jaccard);
        }
      }
      for (std::size_t u = t + 1; u < templates.size(); ++u) {
        if (templates[t].body == templates[u].body) {  // the same template filed twice
          ++duplicates;
          continue;
        }
        cross.add(pushback::scoring::estimated_jaccard(prints[t][0], prints[u][1]));
      }
      for (const auto& h : ham) with_ham.add(pushback::scoring::estimated_jaccard(prints[t][0], h));
    }
    fmt::print("shingles of {} word(s): {} same-template pairs, {} cross-template pairs ({} identical bodies "
               "skipped), {} template/ham pairs\n",
               shingle, same.pairs, cross.pairs, duplicates, with_ham.pairs);
    fmt::print("| threshold | recall | precision | cross-template match rate | template/ham match rate |\n");
    fmt::print("|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < thresholds.size(); ++i) {
      std::size_t true_positive = same.at_or_above[i];
      std::size_t false_positive = cross.at_or_above[i] + with_ham.at_or_above[i];
      fmt::print("| {:.1f} | {:.4f} | {:.4f} | {:.6f} | {:.6f} |\n", thresholds[i], ratio(true_positive, same.pairs),
                 ratio(true_positive, true_positive + false_positive), ratio(cross.at_or_above[i], cross.pairs),
                 ratio(with_ham.at_or_above[i], with_ham.pairs));
    }
    if (shingle == pushback::scoring::shingle_words) {
      fmt::print("\nrecall at 0.8 per source (sources with at least 10 templates):\n");
      for (const auto& [source, counts] : same_by_source) {
        if (counts.pairs >= 10 * instances_per_template * (instances_per_template - 1) / 2) {
          fmt::print("  {:<70} {:.3f} ({} pairs)\n", source, ratio(counts.at_or_above[3], counts.pairs), counts.pairs);
        }
      }
    }
    fmt::print("\n");
  }
  return 0;
}
