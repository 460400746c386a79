// A one-line progress display on stderr for long writes (gen-model, quantize).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace rightsize::cli {

class Progress {
 public:
  explicit Progress(const char* what) : what_(what), start_(std::chrono::steady_clock::now()) {}
  void operator()(size_t done, size_t total, uint64_t bytes) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%s: %zu/%zu tensors, %.1f MiB, %.1f s", what_, done, total,
                 static_cast<double>(bytes) / (1024.0 * 1024.0), s);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  const char* what_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace rightsize::cli
