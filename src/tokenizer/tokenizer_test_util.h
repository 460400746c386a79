// Shared by the tokenizer tests: locating the reference vocabularies (skipping visibly when the
// shared test data is absent) and generating seeded random UTF-8 text.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"
#include "util/utf8.h"

namespace rightsize::tokenizer::testing {

inline std::filesystem::path tokenizer_testdata_dir() {
  if (const char* env = std::getenv("RIGHTSIZE_TESTDATA"); env != nullptr && *env != '\0')
    return std::filesystem::path(env) / "tokenizer";
  return std::filesystem::path(RS_DEFAULT_TESTDATA) / "tokenizer";
}

inline bool have_tokenizer_testdata() {
  return std::filesystem::exists(tokenizer_testdata_dir() / "README.md");
}

// The tokenizer of ggml-vocab-<name>.gguf, loaded once per test binary.
inline const Tokenizer& reference_tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    auto file = gguf::GgufFile::open(
        (tokenizer_testdata_dir() / ("ggml-vocab-" + name + ".gguf")).string());
    slot = Tokenizer::from_gguf(*file);
  }
  return *slot;
}

// Random valid UTF-8 mixing the scripts and characters tokenizers trip over: ASCII words and
// white space, accents (precomposed and combining), Cyrillic, CJK, kana, Hangul, emoji, and
// arbitrary code points from every plane.
inline std::string random_utf8(std::mt19937& rng, int max_chars) {
  static constexpr std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x20, 0x7E},       {0x20, 0x7E},     {0x20, 0x7E},     {'a', 'z'},
      {'0', '9'},         {0x09, 0x0D},     {0xA0, 0xFF},     {0x300, 0x36F},
      {0x400, 0x4FF},     {0x4E00, 0x9FFF}, {0x3040, 0x30FF}, {0xAC00, 0xD7A3},
      {0x1F300, 0x1F64F}, {0x2000, 0x206F}, {0x80, 0xD7FF},   {0xE000, 0x10FFFF},
  };
  std::uniform_int_distribution<int> pick_range(0, std::size(kRanges) - 1);
  std::uniform_int_distribution<int> pick_len(0, max_chars);
  std::string out;
  const int n = pick_len(rng);
  for (int i = 0; i < n; ++i) {
    const auto [lo, hi] = kRanges[pick_range(rng)];
    uint32_t cp = std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    utf8_append(out, cp);
  }
  return out;
}

}  // namespace rightsize::tokenizer::testing

#define RS_REQUIRE_TOKENIZER_TESTDATA()                                               \
  do {                                                                                \
    if (!::rightsize::tokenizer::testing::have_tokenizer_testdata())                  \
      GTEST_SKIP() << "tokenizer test data not found at "                             \
                   << ::rightsize::tokenizer::testing::tokenizer_testdata_dir()       \
                   << " (set RIGHTSIZE_TESTDATA): reference vocabulary test skipped"; \
  } while (0)
