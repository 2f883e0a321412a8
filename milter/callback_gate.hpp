// Lets the daemon stop only after the milter callbacks that are running have
// returned. libmilter's worker threads are detached and may still be inside a
// callback when smfi_main() returns; the store and the metrics they use must
// outlive them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace pushback::milter {

class CallbackGate {
 public:
  // A callback holds a Pass while it runs; a Pass that is false may not touch
  // the daemon's services: the daemon is stopping.
  class Pass {
   public:
    explicit Pass(CallbackGate& gate) : gate_(gate), admitted_(gate.enter()) {}
    ~Pass() {
      if (admitted_) gate_.leave();
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    explicit operator bool() const { return admitted_; }

   private:
    CallbackGate& gate_;
    bool admitted_;
  };

  // Refuses new callbacks and waits for the running ones, at most `limit`.
  // Returns how many were still running when it gave up (0: all returned).
  std::size_t close(std::chrono::milliseconds limit);

 private:
  bool enter();
  void leave();

  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t running_ = 0;
  bool closed_ = false;
};

}  // namespace pushback::milter
