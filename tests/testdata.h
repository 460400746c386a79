// Locating ../shared/testdata (or $RIGHTSIZE_TESTDATA) for conformance tests, which skip with
// a visible message when it is absent.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rightsize::testing {

inline std::filesystem::path testdata_dir() {
  if (const char* env = std::getenv("RIGHTSIZE_TESTDATA"); env != nullptr && *env != '\0')
    return env;
  return RS_DEFAULT_TESTDATA;
}

inline bool have_testdata() { return std::filesystem::exists(testdata_dir() / "README.md"); }

inline std::vector<float> read_f32(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary | std::ios::ate);
  const auto n = static_cast<size_t>(f.tellg());
  std::vector<float> out(n / sizeof(float));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(float)));
  return out;
}

}  // namespace rightsize::testing

#define RS_REQUIRE_TESTDATA()                                                                   \
  do {                                                                                          \
    if (!::rightsize::testing::have_testdata())                                                 \
      GTEST_SKIP() << "shared test data not found at " << ::rightsize::testing::testdata_dir()  \
                   << " (set RIGHTSIZE_TESTDATA): conformance case skipped";                    \
  } while (0)
