#include "milter/callback_gate.hpp"

namespace pushback::milter {

bool CallbackGate::enter() {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  ++running_;
  return true;
}

void CallbackGate::leave() {
  std::lock_guard lock(mutex_);
  if (--running_ == 0) idle_.notify_all();
}

std::size_t CallbackGate::close(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  closed_ = true;
  idle_.wait_for(lock, limit, [this] { return running_ == 0; });
  return running_;
}

}  // namespace pushback::milter
