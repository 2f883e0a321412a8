// The ranking thread.
#include "web/top_cache.hpp"

#include <algorithm>
#include <ctime>

namespace pushback::web {

TopCache::TopCache(std::function<state::TopReport()> compute, std::chrono::seconds interval)
    : compute_(std::move(compute)), interval_(interval), thread_([this] { loop(); }) {}

TopCache::~TopCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

CachedTop TopCache::get() const {
  std::lock_guard lock(mutex_);
  return current_;
}

CachedTop TopCache::wait_first(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return current_.computed_at != 0; });
  return current_;
}

void TopCache::loop() {
  for (;;) {
    auto started = std::chrono::steady_clock::now();
    auto report = compute_();  // outside the lock: pages keep reading the previous result
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::unique_lock lock(mutex_);
    current_ = {std::move(report), static_cast<std::int64_t>(std::time(nullptr)), took};
    changed_.notify_all();
    auto pause = std::max<std::chrono::milliseconds>(interval_, took * 20);
    if (changed_.wait_for(lock, pause, [this] { return stopping_; })) return;
  }
}

}  // namespace pushback::web
