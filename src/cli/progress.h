// A one-line progress display on stderr for long writes (gen-model, quantize).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

#include <unistd.h>

namespace rightsize::cli {

// On a terminal the line is rewritten in place; into a log or a pipe it is written whole at each
// quarter and at the end, so a log does not fill with carriage-return updates.
class Progress {
 public:
  explicit Progress(const char* what)
      : what_(what), start_(std::chrono::steady_clock::now()), tty_(isatty(fileno(stderr)) == 1) {}
  void operator()(size_t done, size_t total, uint64_t bytes) {
    const size_t quarter = total == 0 ? 4 : done * 4 / total;
    if (!tty_ && done != total && quarter == last_quarter_) return;
    last_quarter_ = quarter;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "%s%s: %zu/%zu tensors, %.1f MiB, %.1f s", tty_ ? "\r" : "", what_, done,
                 total, static_cast<double>(bytes) / (1024.0 * 1024.0), s);
    if (!tty_ || done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  const char* what_;
  std::chrono::steady_clock::time_point start_;
  bool tty_;
  size_t last_quarter_ = 0;
};

}  // namespace rightsize::cli
