// Pre-tokenizer splits: the rules each family is chosen for, and exact coverage of the input.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "tokenizer/tokenizer_test_util.h"

namespace rightsize::tokenizer {
namespace {

std::vector<std::string> split(std::string_view pre, std::string_view text) {
  const PreTokenizerSpec* spec = find_pre_tokenizer(pre);
  EXPECT_NE(spec, nullptr) << pre;
  PreTokenizer p(*spec);
  std::vector<std::string_view> words;
  p.split(text, words);
  return {words.begin(), words.end()};
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split("gpt-2", "Hello world's 123  x\n"),
            (Words{"Hello", " world", "'s", " 123", " ", " x", "\n"}));
  EXPECT_EQ(split("gpt-2", "I'VE"), (Words{"I", "'", "VE"}));  // contractions are lowercase only
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(split("llama-bpe", "I'VE 12345 ok!!\n\nx"),
            (Words{"I", "'VE", " ", "123", "45", " ok", "!!\n\n", "x"}));
  EXPECT_EQ(split("llama-bpe", "a  \n b"), (Words{"a", "  \n", " b"}));
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(split("qwen2", "x 2024"), (Words{"x", " ", "2", "0", "2", "4"}));
}

TEST(PreTokenizer, TekkenSplitsAtCaseChanges) {
  EXPECT_EQ(split("tekken", "helloWorld HTTPServer"), (Words{"hello", "World", " HTTPServer"}));
  EXPECT_EQ(split("tekken", "a//\nb"), (Words{"a", "//\n", "b"}));
}

TEST(PreTokenizer, StarcoderAndSmollmIsolateDigits) {
  EXPECT_EQ(split("smollm", "v12 x"), (Words{"v", "1", "2", " x"}));
  EXPECT_EQ(split("starcoder", "v12 x"), split("smollm", "v12 x"));
}

TEST(PreTokenizer, DefaultAndFalconGroupDigits) {
  EXPECT_EQ(split("falcon", "1234567"), (Words{"123", "456", "7"}));
  EXPECT_EQ(split("default", "a+=1"), (Words{"a", "+=", "1"}));
}

TEST(PreTokenizer, DeepseekCoderKeepsIdeographicSpaceOutOfCjkRuns) {
  EXPECT_EQ(split("deepseek-coder", "\xE4\xB8\xAD\xE6\x96\x87\xE3\x80\x80x"),  // 中文　x
            (Words{"\xE4\xB8\xAD\xE6\x96\x87", "\xE3\x80\x80x"}));
}

TEST(PreTokenizer, WhiteSpaceIsTheUnicodeProperty) {
  // NBSP and thin space are white space; U+180E (no longer White_Space) and U+200B are not.
  EXPECT_EQ(split("llama-bpe", "a\xC2\xA0\xE2\x80\x89 b"),
            (Words{"a", "\xC2\xA0\xE2\x80\x89", " b"}));
  EXPECT_EQ(split("gpt-2", "a \xE1\xA0\x8E"), (Words{"a", " \xE1\xA0\x8E"}));
  EXPECT_EQ(split("gpt-2", "a \xE2\x80\x8B"), (Words{"a", " \xE2\x80\x8B"}));
}

TEST(PreTokenizer, WordsCoverTheInputExactly) {
  std::mt19937 rng(99);
  for (std::string_view pre : {"llama-bpe", "gpt-2", "qwen2", "tekken", "smollm", "falcon",
                               "deepseek-coder", "default", "gpt-4o", "bloom"}) {
    PreTokenizer p(*find_pre_tokenizer(pre));
    for (int i = 0; i < 100; ++i) {
      const std::string text = testing::random_utf8(rng, 60);
      std::vector<std::string_view> words;
      p.split(text, words);
      std::string joined;
      for (auto w : words) {
        EXPECT_FALSE(w.empty()) << pre;
        EXPECT_TRUE(utf8_is_valid(w)) << pre;  // never cut inside a character
        joined += w;
      }
      ASSERT_EQ(joined, text) << pre;
    }
  }
}

TEST(PreTokenizer, LongRunsDoNotExhaustTheMatcher) {
  const std::string spaces(200000, ' ');
  EXPECT_EQ(split("llama-bpe", spaces + "x"), (Words{spaces.substr(1), " x"}));
}

}  // namespace
}  // namespace rightsize::tokenizer
