// The run's figures: built on the main thread after the threads joined, printed as a table
// and written as JSON (--json). Percentiles are in microseconds.
#pragma once

#include <cstdint>
#include <string>

#include "bench/common.hpp"
#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace switchboard::bench {

struct ProcessFigures {
  std::int64_t rss_before_kb = -1;  // the server's VmRSS; -1: not measured
  std::int64_t rss_after_kb = -1;
  double bench_user_s = 0;  // the bench's own CPU use (getrusage) over the run
  double bench_sys_s = 0;
  double wall_s = 0;
  // The server's CPU time (utime + stime) over `cpu_span_s` of the measured window; -1: not
  // measured.
  std::int64_t server_cpu_us = -1;
  double cpu_span_s = 0;
  double bench_window_cpu_s = 0;  // the bench's own CPU time over the same span
};

// VmRSS of `pid` in kB, or -1.
std::int64_t read_rss_kb(long pid);
// utime + stime of `pid` in microseconds (from /proc/<pid>/stat), or -1.
std::int64_t read_cpu_us(long pid);

Json build_report(const Options& options, const Stats& stats, const ProcessFigures& figures);
void print_report(const Json& report);

}  // namespace switchboard::bench
