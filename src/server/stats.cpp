// ServerStats: counters and histograms in Prometheus text format.
#include "server/stats.h"

#include <cstdio>

namespace rightsize::server {

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++buckets_[i];
  sum_ += seconds;
  ++count_;
}

std::string Histogram::render(const std::string& name) const {
  std::string out;
  char line[256];
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i];
    std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(), kBounds[i],
                  static_cast<unsigned long long>(cumulative));
    out += line;
  }
  cumulative += buckets_[kBounds.size()];
  std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name.c_str(),
                static_cast<unsigned long long>(cumulative), name.c_str(), sum_, name.c_str(),
                static_cast<unsigned long long>(count_));
  return out + line;
}

void ServerStats::count_request(const std::string& endpoint, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
}

void ServerStats::add_tokens(int64_t prompt, int64_t cached, int64_t generated) {
  std::lock_guard lock(mu_);
  prompt_tokens_ += static_cast<uint64_t>(prompt);
  cached_tokens_ += static_cast<uint64_t>(cached);
  generated_tokens_ += static_cast<uint64_t>(generated);
}

void ServerStats::observe_first_token(double seconds) {
  std::lock_guard lock(mu_);
  ttft_.observe(seconds);
}

void ServerStats::observe_per_output_token(double seconds) {
  std::lock_guard lock(mu_);
  tpot_.observe(seconds);
}

std::string ServerStats::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP rightsize_requests_total HTTP requests by endpoint and status.\n";
  out += "# TYPE rightsize_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += "rightsize_requests_total{endpoint=\"" + key.first + "\",status=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(n) + "\n";
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(v) + "\n";
  };
  counter("rightsize_prompt_tokens_total", "Prompt tokens of finished requests.", prompt_tokens_);
  counter("rightsize_prompt_tokens_cached_total", "Prompt tokens served from the prefix cache.", cached_tokens_);
  counter("rightsize_generated_tokens_total", "Generated tokens.", generated_tokens_);
  out += "# HELP rightsize_time_to_first_token_seconds From request arrival to the first generated token.\n";
  out += "# TYPE rightsize_time_to_first_token_seconds histogram\n";
  out += ttft_.render("rightsize_time_to_first_token_seconds");
  out += "# HELP rightsize_time_per_output_token_seconds Mean time between generated tokens, per request.\n";
  out += "# TYPE rightsize_time_per_output_token_seconds histogram\n";
  out += tpot_.render("rightsize_time_per_output_token_seconds");
  return out;
}

}  // namespace rightsize::server
