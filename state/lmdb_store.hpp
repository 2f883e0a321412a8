// The embedded backend: one LMDB environment in the state directory. Writers
// are serialised by LMDB, readers never block; see docs/state.md for the
// durability bound.
#pragma once

#include <memory>
#include <string_view>

#include "state/keyed_hash.hpp"
#include "state/store.hpp"

namespace pushback::state {

// The record layout (state/records.hpp) kept under the meta key "format". A
// store written with another one cannot be read by this version.
inline constexpr std::string_view lmdb_record_format = "3";

// Throws std::runtime_error when the environment cannot be opened.
std::unique_ptr<Store> open_lmdb_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock,
                                       KeyedHasher hasher);

}  // namespace pushback::state
