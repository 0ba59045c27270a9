// A log-linear latency histogram (values in microseconds): exact below 256, then 128
// sub-buckets per power of two, so any reported value is within 0.8% of a recorded one.
// Plain value: one per thread, merged after the threads have joined.
#pragma once

#include <cstdint>
#include <vector>

namespace switchboard::bench {

class Histogram {
 public:
  void record(std::uint64_t value);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The value at or below which `percent` of the samples fall (0 when empty).
  std::uint64_t percentile(double percent) const;

 private:
  std::vector<std::uint64_t> buckets_;  // grown on demand
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace switchboard::bench
