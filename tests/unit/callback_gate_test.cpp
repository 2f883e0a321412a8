#include "milter/callback_gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace pushback::milter {
namespace {

using namespace std::chrono_literals;

TEST(CallbackGate, AdmitsCallbacksUntilClosed) {
  CallbackGate gate;
  {
    CallbackGate::Pass pass(gate);
    EXPECT_TRUE(pass);
  }
  EXPECT_EQ(gate.close(1s), 0u);
  CallbackGate::Pass late(gate);
  EXPECT_FALSE(late);
}

TEST(CallbackGate, CloseWaitsForTheRunningCallback) {
  CallbackGate gate;
  std::atomic<bool> admitted = false;
  std::atomic<bool> finished = false;
  std::thread callback([&] {
    CallbackGate::Pass pass(gate);
    admitted = static_cast<bool>(pass);
    std::this_thread::sleep_for(200ms);
    finished = true;
  });
  while (!admitted) std::this_thread::yield();
  EXPECT_EQ(gate.close(10s), 0u);
  EXPECT_TRUE(finished) << "close() returned while a callback was still running";
  callback.join();
}

TEST(CallbackGate, CloseGivesUpAfterItsLimitAndSaysHowManyRun) {
  CallbackGate gate;
  std::atomic<bool> admitted = false;
  std::atomic<bool> release = false;
  std::thread callback([&] {
    CallbackGate::Pass pass(gate);
    admitted = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!admitted) std::this_thread::yield();
  EXPECT_EQ(gate.close(50ms), 1u);
  release = true;
  callback.join();
}

}  // namespace
}  // namespace pushback::milter
