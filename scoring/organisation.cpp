// Registrable domains by the Public Suffix List, brands by affix removal.
#include "scoring/organisation.hpp"

#include <libpsl.h>

#include <algorithm>
#include <array>
#include <vector>

namespace pushback::scoring {

namespace {

// Brands shorter than this after removing an affix are too generic to stand
// for an organisation ("getit" must not become "it").
constexpr std::size_t min_brand_letters = 4;

std::string lowered_host(std::string_view host) {
  std::string out;
  out.reserve(host.size());
  for (char c : host) out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  while (!out.empty() && out.back() == '.') out.pop_back();
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

}  // namespace

std::string registrable_domain(std::string_view host) {
  std::string lowered = lowered_host(host);
  if (lowered.empty() || lowered.find('.') == std::string::npos) return lowered;
  // libpsl's built-in list is a constant of the library: no state of ours.
  const char* registrable = psl_registrable_domain(psl_builtin(), lowered.c_str());
  return registrable ? std::string(registrable) : lowered;
}

std::string brand_of(std::string_view registrable, const config::CampaignIdentityData& data) {
  std::string label(registrable.substr(0, registrable.find('.')));
  if (label.empty()) return {};
  // Hyphenated pieces: drop those that are affixes, keep the rest joined.
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (start <= label.size()) {
    auto end = label.find('-', start);
    if (end == std::string::npos) end = label.size();
    if (end > start) pieces.push_back(label.substr(start, end - start));
    start = end + 1;
  }
  std::string brand;
  for (const auto& piece : pieces) {
    bool affix = contains(data.brand_prefixes, piece) || contains(data.brand_suffixes, piece) ||
                 std::all_of(piece.begin(), piece.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!affix) brand += piece;
  }
  if (brand.empty()) {
    for (const auto& piece : pieces) brand += piece;
  }
  while (brand.size() > min_brand_letters && brand.back() >= '0' && brand.back() <= '9') brand.pop_back();
  for (const auto& prefix : data.brand_prefixes) {  // longest first
    if (brand.size() >= prefix.size() + min_brand_letters && brand.starts_with(prefix)) {
      brand.erase(0, prefix.size());
      break;
    }
  }
  for (const auto& suffix : data.brand_suffixes) {
    if (brand.size() >= suffix.size() + min_brand_letters && brand.ends_with(suffix)) {
      brand.resize(brand.size() - suffix.size());
      break;
    }
  }
  return brand;
}

std::string organisation_name(std::string_view brand, const config::CampaignIdentityData& data) {
  std::string name(brand);
  for (const auto& designator : data.designators) {  // longest first
    if (name.size() >= designator.size() + min_brand_letters && name.ends_with(designator)) {
      name.resize(name.size() - designator.size());
      break;
    }
  }
  return name;
}

bool lookalike_brands(std::string_view a, std::string_view b) {
  if (a == b) return !a.empty();
  if (a.size() < 5 || b.size() < 5) return false;
  if (a.size() > b.size() + 1 || b.size() > a.size() + 1) return false;
  // Optimal string alignment distance, stopped at 2.
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> before(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = i;
    std::size_t row_min = current[0];
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
      row_min = std::min(row_min, current[j]);
    }
    if (row_min > 1) return false;
    before = previous;
    previous = current;
  }
  return previous[m] <= 1;
}

Organisation organisation_of(std::string_view domain, const config::CampaignIdentityData& data) {
  Organisation out;
  out.domain = lowered_host(domain);
  out.registrable = registrable_domain(out.domain);
  out.shared = data.is_shared(out.registrable);
  if (!out.shared && out.registrable.find('.') != std::string::npos) {
    out.brand = brand_of(out.registrable, data);
    out.name = organisation_name(out.brand, data);
  }
  return out;
}

}  // namespace pushback::scoring
