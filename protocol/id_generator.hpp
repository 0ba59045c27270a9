// Source of fresh ids for the engine (call, device and session ids). Injected so that the
// engine stays deterministic: tests use a counter, the server a CSPRNG.
// Not thread-safe by contract: the engine calls it from its own executor only.
#pragma once

#include <string>

namespace switchboard {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // Returns an id that satisfies is_valid_id() and was never returned before.
  virtual std::string next_id() = 0;
};

// Deterministic ids "<prefix>1", "<prefix>2", ... for tests and examples.
class CountingIdGenerator final : public IdGenerator {
 public:
  explicit CountingIdGenerator(std::string prefix = "id") : prefix_(std::move(prefix)) {}
  std::string next_id() override { return prefix_ + std::to_string(++count_); }

 private:
  std::string prefix_;
  unsigned long long count_ = 0;
};

}  // namespace switchboard
