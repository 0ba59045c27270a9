// What one thread measured: named counters and latency histograms. Each thread owns its own
// Stats; the main thread merges them after the threads have joined.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "bench/common.hpp"
#include "bench/histogram.hpp"

namespace switchboard::bench {

// The measured part of the run: [measure_from, end). Warm-up samples are dropped.
struct Window {
  Clock::time_point start;
  Clock::time_point measure_from;
  Clock::time_point end;
  bool measuring(Clock::time_point now) const { return now >= measure_from && now < end; }
};

struct Stats {
  std::map<std::string, std::uint64_t> counters;
  std::map<std::string, Histogram> latencies;       // microseconds
  std::map<std::string, std::uint64_t> maxima;      // merged by max, not by sum
  std::map<std::string, std::string> first_errors;  // kind → one example, for the report

  void count(const std::string& name, std::uint64_t n = 1) { counters[name] += n; }
  void error(const std::string& kind, const std::string& example) {
    counters["errors"] += 1;
    counters["errors." + kind] += 1;
    first_errors.try_emplace(kind, example.substr(0, 200));
  }
  void merge(const Stats& other) {
    for (const auto& [k, v] : other.counters)
      counters[k] += v;
    for (const auto& [k, v] : other.maxima)
      maxima[k] = std::max(maxima[k], v);
    for (const auto& [k, h] : other.latencies)
      latencies[k].merge(h);
    for (const auto& [k, e] : other.first_errors)
      first_errors.try_emplace(k, e);
  }
};

}  // namespace switchboard::bench
