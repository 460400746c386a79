// The two kinds of failure: RS_CHECK for bugs (abort with file, line and values) and
// rightsize::Error for bad input (a message naming what was wrong and where).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace rightsize {

// Bad input: a corrupt file, an unknown key, an oversized request. Never a crash.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
[[noreturn]] inline void check_failed(const char* file, int line, const char* expr,
                                      const std::string& detail) {
  std::fprintf(stderr, "rightsize: internal check failed at %s:%d: %s %s\n", file, line, expr,
               detail.c_str());
  std::abort();
}
}  // namespace detail

}  // namespace rightsize

// A broken invariant is a bug: stop right there with the place and the expression.
#define RS_CHECK(cond)                                                     \
  do {                                                                     \
    if (!(cond)) ::rightsize::detail::check_failed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define RS_CHECK_MSG(cond, msg)                                                  \
  do {                                                                           \
    if (!(cond)) ::rightsize::detail::check_failed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
