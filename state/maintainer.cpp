// The maintenance timer. maintain() never throws, so one bad run cannot stop it.
#include "state/maintainer.hpp"

#include "state/decision_snapshots.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace pushback::state {

struct Maintainer::Impl {
  Impl(Store& s, std::chrono::milliseconds i, bool snapshots)
      : store(s), interval(i), daily_snapshots(snapshots), snapshot_day(day_now()), timer(io) {}

  static std::int64_t day_now() {
    return std::chrono::duration_cast<std::chrono::hours>(std::chrono::system_clock::now().time_since_epoch()).count() /
           24;
  }

  void schedule() {
    timer.expires_after(interval);
    timer.async_wait([this](const boost::system::error_code& error) {
      if (error) return;  // cancelled at shutdown
      store.maintain();
      if (daily_snapshots && day_now() != snapshot_day) {
        snapshot_day = day_now();
        take_daily_snapshots(store, std::chrono::system_clock::now());
      }
      runs.fetch_add(1);
      schedule();
    });
  }

  Store& store;
  std::chrono::milliseconds interval;
  bool daily_snapshots;
  std::int64_t snapshot_day;  // the day whose snapshots were taken (at start by the daemon)
  boost::asio::io_context io;
  boost::asio::steady_timer timer;
  std::atomic<std::uint64_t> runs{0};
  std::thread thread;
};

Maintainer::Maintainer(Store& store, std::chrono::milliseconds interval, bool daily_snapshots)
    : impl_(std::make_unique<Impl>(store, interval, daily_snapshots)) {
  impl_->schedule();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

Maintainer::~Maintainer() {
  impl_->io.stop();
  impl_->thread.join();
  impl_->store.maintain();
}

std::uint64_t Maintainer::runs() const { return impl_->runs.load(); }

}  // namespace pushback::state
