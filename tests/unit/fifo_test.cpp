// Fifo: the engine's replay buffer and remembered command ids, and the server's send queue.
#include "protocol/fifo.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard {
namespace {

std::vector<int> contents(const Fifo<int>& q) {
  return {q.begin(), q.end()};
}

TEST(Fifo, KeepsOrderAcrossPushesAndPops) {
  Fifo<int> q;
  EXPECT_TRUE(q.empty());
  for (int i = 0; i < 5; ++i)
    q.push_back(i);
  q.pop_front();
  q.pop_front();
  q.emplace_back(5);
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.front(), 2);
  EXPECT_EQ(q.back(), 5);
  EXPECT_EQ(contents(q), (std::vector<int>{2, 3, 4, 5}));
  q.pop_back();
  EXPECT_EQ(contents(q), (std::vector<int>{2, 3, 4}));
}

TEST(Fifo, DrainingEmptiesAndItCanBeReused) {
  Fifo<int> q;
  q.push_back(1);
  q.pop_front();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.begin(), q.end());
  q.push_back(2);
  EXPECT_EQ(q.front(), 2);
  q.pop_back();
  EXPECT_TRUE(q.empty());
}

// A queue that never drains (a full replay buffer: one in, one out) keeps its order and its
// contents across compactions.
TEST(Fifo, SlidingWindowNeverDrainingStaysCorrect) {
  Fifo<int> q;
  for (int i = 0; i < 300; ++i)
    q.push_back(i);
  for (int i = 300; i < 10'000; ++i) {
    q.push_back(i);
    q.pop_front();
    ASSERT_EQ(q.size(), 300u);
    ASSERT_EQ(q.front(), i - 299);
    ASSERT_EQ(q.back(), i);
  }
  int expected = 10'000 - 300;
  for (int v : q)
    EXPECT_EQ(v, expected++);
}

// A popped item is released at once (a replayed event's payload must not linger).
TEST(Fifo, PopFrontReleasesTheItem) {
  Fifo<std::shared_ptr<std::string>> q;
  auto first = std::make_shared<std::string>("a");
  std::weak_ptr<std::string> watch = first;
  q.push_back(std::move(first));
  q.push_back(std::make_shared<std::string>("b"));
  q.pop_front();
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(*q.front(), "b");
}

}  // namespace
}  // namespace switchboard
