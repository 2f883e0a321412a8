// The stable JSON form of an analysis, shared by `pushback scan --json` and
// `pushback replay --json` (documented in docs/scan.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "scoring/analyse.hpp"

namespace pushback::cli {

std::string hex64(std::uint64_t value);

// {"fingerprint": ..., "phrases": [...], "markers": [...], "reply": ..., "limits_hit": [...], "symbols": [...], "score": x}
nlohmann::json analysis_to_json(const scoring::Analysis& analysis, bool explain);

nlohmann::json symbols_to_json(const std::vector<scoring::Symbol>& symbols);

}  // namespace pushback::cli
