// The server's counters and latency histograms, updated by the endpoints and read by /metrics.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace rightsize::server {

// A Prometheus-style histogram: cumulative counts per upper bound, plus sum and count.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                     1,     2.5,  5,     10,   30,  60,  120};
  void observe(double seconds);
  // Renders `name_bucket{le=...}`, `name_sum`, `name_count` lines.
  std::string render(const std::string& name) const;

 private:
  std::array<uint64_t, kBounds.size() + 1> buckets_{};  // last: +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerStats {
 public:
  void count_request(const std::string& endpoint, int status);
  void add_tokens(int64_t prompt, int64_t cached, int64_t generated);
  void observe_first_token(double seconds);
  void observe_per_output_token(double seconds);
  // Prometheus text of the counters and histograms (the gauges come from the engines).
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t prompt_tokens_ = 0, cached_tokens_ = 0, generated_tokens_ = 0;
  Histogram ttft_, tpot_;
};

}  // namespace rightsize::server
