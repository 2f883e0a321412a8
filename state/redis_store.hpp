// The shared backend: Redis, for several mail servers with one view. Each
// observed message is one EVALSHA round trip; an unreachable Redis makes
// observe() report "unavailable" at once until a reconnect succeeds. With
// Sentinels it follows the primary through a failover.
#pragma once

#include <memory>
#include <string_view>

#include "state/keyed_hash.hpp"
#include "state/store.hpp"

namespace pushback::state {

// Never throws for an unreachable server: it connects lazily.
std::unique_ptr<Store> open_redis_store(const StoreSettings& settings, std::shared_ptr<const Clock> clock,
                                        KeyedHasher hasher);

// One connection attempt with `settings` (through the Sentinels if any), for
// check-config: empty when it works, else what went wrong;
// `credentials_refused` tells a refused password from an unreachable server.
std::string check_redis(const RedisSettings& settings, bool& credentials_refused);

namespace detail {
// The server-side script that does all the work of one observation.
extern const std::string_view redis_observe_script;
// The RCPT-time read: a pair, the allowlist and its campaign's view, in one call.
extern const std::string_view redis_peek_script;
}  // namespace detail

}  // namespace pushback::state
