// The maintenance timer. maintain() never throws, so one bad run cannot stop it.
#include "state/maintainer.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace pushback::state {

struct Maintainer::Impl {
  Impl(Store& s, std::chrono::milliseconds i) : store(s), interval(i), timer(io) {}

  void schedule() {
    timer.expires_after(interval);
    timer.async_wait([this](const boost::system::error_code& error) {
      if (error) return;  // cancelled at shutdown
      store.maintain();
      runs.fetch_add(1);
      schedule();
    });
  }

  Store& store;
  std::chrono::milliseconds interval;
  boost::asio::io_context io;
  boost::asio::steady_timer timer;
  std::atomic<std::uint64_t> runs{0};
  std::thread thread;
};

Maintainer::Maintainer(Store& store, std::chrono::milliseconds interval)
    : impl_(std::make_unique<Impl>(store, interval)) {
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
