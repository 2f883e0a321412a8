// The libmilter callback table. Every callback is a few lines: find the
// connection's Session, hand it the event inside the exception firewall, and
// map its Status back to libmilter's.
#pragma once

#include "milter/callback_gate.hpp"
#include "milter/runtime.hpp"
#include "milter/session.hpp"

namespace pushback::milter {

// Registers the callbacks with libmilter; `runtimes`, `services` and `gate`
// must outlive smfi_main(), and `services` must stay usable until
// `gate.close()` has returned. Returns false (after logging why) when
// libmilter refuses.
bool register_callbacks(RuntimeHolder& runtimes, const Services& services, CallbackGate& gate);

}  // namespace pushback::milter
