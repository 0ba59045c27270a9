#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace switchboard::bench {
namespace {

constexpr int kSubBits = 8;
constexpr std::uint64_t kExact = std::uint64_t{1} << kSubBits;  // 256 exact buckets
constexpr std::uint64_t kHalf = kExact / 2;                     // 128 per octave above

std::size_t index_of(std::uint64_t v) {
  if (v < kExact) return static_cast<std::size_t>(v);
  const int shift = static_cast<int>(std::bit_width(v)) - kSubBits;
  const std::uint64_t top = v >> shift;  // in [kHalf, kExact)
  return static_cast<std::size_t>(kExact + static_cast<std::uint64_t>(shift - 1) * kHalf +
                                  (top - kHalf));
}

// The middle of the bucket: the error is then at most half a bucket either way.
std::uint64_t value_of(std::size_t index) {
  if (index < kExact) return index;
  const std::uint64_t k = index - kExact;
  const std::uint64_t shift = k / kHalf + 1;
  const std::uint64_t lower = (k % kHalf + kHalf) << shift;
  return lower + ((std::uint64_t{1} << shift) >> 1);
}

}  // namespace

void Histogram::record(std::uint64_t value) {
  const std::size_t i = index_of(value);
  if (i >= buckets_.size()) buckets_.resize(i + 1, 0);
  ++buckets_[i];
  ++count_;
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
  if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (std::size_t i = 0; i < other.buckets_.size(); ++i)
    buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(static_cast<double>(count_) * percent / 100.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(value_of(i), max_);
  }
  return max_;
}

}  // namespace switchboard::bench
