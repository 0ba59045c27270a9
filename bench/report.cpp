#include "bench/report.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace switchboard::bench {
namespace {

std::uint64_t counter(const Stats& s, const std::string& name) {
  const auto it = s.counters.find(name);
  return it == s.counters.end() ? 0 : it->second;
}

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

Json latency_json(const Histogram& h) {
  return Json{{"count", h.count()},      {"p50", h.percentile(50)},     {"p90", h.percentile(90)},
              {"p99", h.percentile(99)}, {"p99_9", h.percentile(99.9)}, {"max", h.max()}};
}

}  // namespace

std::int64_t read_rss_kb(long pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

std::int64_t read_cpu_us(long pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // The command name (field 2) may hold spaces; the fields after its ')' are plain numbers.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field)
    fields >> skip;
  long long utime = 0;
  long long stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? (utime + stime) * 1'000'000 / ticks : -1;
}

Json build_report(const Options& o, const Stats& stats, const ProcessFigures& f) {
  Json r;
  r["scenario"] = o.scenario;
  r["target"] = target_name(o.target);
  r["parameters"] = {{"threads", o.threads},     {"duration_s", o.duration_s},
                     {"warmup_s", o.warmup_s},   {"connections", o.connections},
                     {"rate", o.rate},           {"pairs", o.pairs},
                     {"in_flight", o.in_flight}, {"timeout_ms", o.timeout_ms}};
  r["counts"] = stats.counters;
  r["maxima"] = stats.maxima;
  Json rates = Json::object();
  const double d = o.duration_s;
  if (o.scenario == "connect") {
    const auto it = stats.maxima.find("connect.last_ready_us");
    const double ramp = it == stats.maxima.end() ? 0 : static_cast<double>(it->second) / 1e6;
    rates["connects_per_s"] = per_second(counter(stats, "connect.ready"), ramp);
    rates["ramp_s"] = ramp;
  } else if (o.scenario == "calls") {
    rates["calls_per_s"] = per_second(counter(stats, "calls.completed"), d);
  } else if (o.scenario == "storm") {
    const auto it = stats.maxima.find("storm.all_back_us");
    rates["all_back_ms"] = it == stats.maxima.end() ? -1.0 : static_cast<double>(it->second) / 1e3;
  } else {
    rates["relayed_per_s"] = per_second(counter(stats, "relay.delivered"), d);
    rates["exchanges_per_s"] = per_second(counter(stats, "relay.exchanges"), d);
  }
  r["rates"] = rates;
  Json lat = Json::object();
  for (const auto& [name, h] : stats.latencies)
    lat[name] = latency_json(h);
  r["latency_us"] = lat;
  Json rss = Json::object();
  if (f.rss_before_kb >= 0 && f.rss_after_kb >= 0) {
    rss["before_kb"] = f.rss_before_kb;
    rss["after_kb"] = f.rss_after_kb;
    const auto held = stats.maxima.count("connect.held") ? stats.maxima.at("connect.held") : 0;
    if (held > 0) {
      rss["per_connection_bytes"] = static_cast<double>(f.rss_after_kb - f.rss_before_kb) * 1024.0 /
                                    static_cast<double>(held);
    }
  }
  r["server_rss"] = rss;
  Json cpu = Json::object();
  if (f.server_cpu_us >= 0 && f.cpu_span_s > 0) {
    const double cores = static_cast<double>(f.server_cpu_us) / 1e6 / f.cpu_span_s;
    cpu["cores"] = cores;
    // CPU per unit of work: both rates are per second of the measured window.
    const auto per = [&](const char* rate) {
      const double per_s = rates.value(rate, 0.0);
      return per_s > 0 ? cores * 1e6 / per_s : 0.0;
    };
    if (rates.contains("relayed_per_s")) cpu["us_per_relayed"] = per("relayed_per_s");
    if (rates.contains("calls_per_s")) cpu["us_per_call"] = per("calls_per_s");
  }
  r["server_cpu"] = cpu;
  r["bench_cpu"] = {{"user_s", f.bench_user_s},
                    {"sys_s", f.bench_sys_s},
                    {"wall_s", f.wall_s},
                    {"cores_used", f.wall_s > 0 ? (f.bench_user_s + f.bench_sys_s) / f.wall_s : 0}};
  if (f.cpu_span_s > 0) r["bench_cpu"]["window_cores"] = f.bench_window_cpu_s / f.cpu_span_s;
  r["errors"] = counter(stats, "errors");
  r["error_examples"] = stats.first_errors;
  return r;
}

void print_report(const Json& r) {
  std::printf("switchboard-bench %s against %s\n", r["scenario"].get<std::string>().c_str(),
              r["target"].get<std::string>().c_str());
  std::printf("  parameters  %s\n", r["parameters"].dump().c_str());
  for (const auto& [name, value] : r["rates"].items())
    std::printf("  %-26s %14.1f\n", name.c_str(), value.get<double>());
  for (const auto& [name, value] : r["counts"].items())
    std::printf("  %-26s %14llu\n", name.c_str(),
                static_cast<unsigned long long>(value.get<std::uint64_t>()));
  std::printf("  %-26s %9s %9s %9s %9s %9s %9s\n", "latency (us)", "count", "p50", "p90", "p99",
              "p99.9", "max");
  for (const auto& [name, h] : r["latency_us"].items()) {
    std::printf("  %-26s %9llu %9llu %9llu %9llu %9llu %9llu\n", name.c_str(),
                static_cast<unsigned long long>(h["count"].get<std::uint64_t>()),
                static_cast<unsigned long long>(h["p50"].get<std::uint64_t>()),
                static_cast<unsigned long long>(h["p90"].get<std::uint64_t>()),
                static_cast<unsigned long long>(h["p99"].get<std::uint64_t>()),
                static_cast<unsigned long long>(h["p99_9"].get<std::uint64_t>()),
                static_cast<unsigned long long>(h["max"].get<std::uint64_t>()));
  }
  const auto& rss = r["server_rss"];
  if (rss.contains("before_kb")) {
    std::printf("  server VmRSS kB            %9lld -> %lld", rss["before_kb"].get<long long>(),
                rss["after_kb"].get<long long>());
    if (rss.contains("per_connection_bytes")) {
      std::printf("  (%.0f bytes per connection)", rss["per_connection_bytes"].get<double>());
    }
    std::printf("\n");
  }
  const auto& cpu = r["bench_cpu"];
  std::printf("  bench CPU                  user %.2f s, sys %.2f s over %.2f s (%.2f cores)\n",
              cpu["user_s"].get<double>(), cpu["sys_s"].get<double>(), cpu["wall_s"].get<double>(),
              cpu["cores_used"].get<double>());
  if (cpu.contains("window_cores")) {
    std::printf("  bench CPU in the window    %.2f cores\n", cpu["window_cores"].get<double>());
  }
  for (const auto& [name, value] : r["server_cpu"].items())
    std::printf("  server CPU %-15s %14.2f\n", name.c_str(), value.get<double>());
  std::printf("  errors                     %llu\n",
              static_cast<unsigned long long>(r["errors"].get<std::uint64_t>()));
  for (const auto& [kind, example] : r["error_examples"].items())
    std::printf("    %s: %s\n", kind.c_str(), example.get<std::string>().c_str());
  std::fflush(stdout);
}

}  // namespace switchboard::bench
