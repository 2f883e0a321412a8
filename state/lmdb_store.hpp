// The embedded backend: one LMDB environment in the state directory. Writers
// are serialised by LMDB, readers never block; see docs/state.md for the
// durability bound.
#pragma once

#include <memory>

#include "state/keyed_hash.hpp"
#include "state/store.hpp"

namespace pushback::state {

// Throws std::runtime_error when the environment cannot be opened.
std::unique_ptr<Store> open_lmdb_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock,
                                       KeyedHasher hasher);

}  // namespace pushback::state
