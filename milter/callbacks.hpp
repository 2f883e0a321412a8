// The libmilter callback table. Every callback is a few lines: find the
// connection's Session, hand it the event inside the exception firewall, and
// map its Status back to libmilter's.
#pragma once

#include "metrics/pushback_metrics.hpp"
#include "milter/runtime.hpp"

namespace pushback::milter {

// Registers the callbacks with libmilter; `runtimes` and `metrics` must outlive
// smfi_main(). Returns false (after logging why) when libmilter refuses.
bool register_callbacks(RuntimeHolder& runtimes, metrics::PushbackMetrics& metrics);

}  // namespace pushback::milter
