// The one-pass special-token splitter against a direct transcription of the reference's
// token-by-token search, on text built from special-token spellings and noise.
#include "tokenizer/special_tokens.h"

#include <gtest/gtest.h>

#include "tokenizer/tokenizer_test_util.h"

namespace rightsize::tokenizer {
namespace {

using testing::reference_tokenizer;

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Each eligible token in priority order cuts every occurrence out of every remaining text
// fragment, left to right, stripping white space next to it where the token says so.
std::vector<Fragment> naive_split(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({kNoToken, text});
  for (int32_t id : vocab.special_tokens()) {
    if (!parse_special && vocab.type(id) != TokenType::kUserDefined) continue;
    const std::string& t = vocab.text(id);
    std::vector<Fragment> next;
    for (const Fragment& f : frags) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (size_t at; (at = rest.find(t)) != std::string_view::npos;) {
        std::string_view left = rest.substr(0, at);
        if (vocab.lstrip(id))
          while (!left.empty() && is_space(left.back())) left.remove_suffix(1);
        if (!left.empty()) next.push_back({kNoToken, left});
        next.push_back({id, {}});
        rest = rest.substr(at + t.size());
        if (vocab.rstrip(id))
          while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      }
      if (!rest.empty()) next.push_back({kNoToken, rest});
    }
    frags.swap(next);
  }
  return frags;
}

std::string describe(const std::vector<Fragment>& frags) {
  std::string s;
  for (const Fragment& f : frags)
    s +=
        f.token == kNoToken ? "[" + std::string(f.text) + "]" : "<" + std::to_string(f.token) + ">";
  return s;
}

class SplitterMatchesReferenceOrder : public ::testing::TestWithParam<std::string> {};

TEST_P(SplitterMatchesReferenceOrder, OnRandomText) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Vocab& vocab = reference_tokenizer(GetParam()).vocab();
  const SpecialTokenSplitter splitter(vocab);
  std::vector<std::string> parts;
  for (int32_t id : vocab.special_tokens()) parts.push_back(vocab.text(id));
  for (const char* noise : {" ", "  ", "\n", "a", "<", "|", ">", "s>", "</", "\t "})
    parts.push_back(noise);
  std::mt19937 rng(3);
  std::uniform_int_distribution<size_t> pick(0, parts.size() - 1), len(0, 12);
  std::uniform_int_distribution<int> noise_bias(0, 1);
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    for (size_t n = len(rng); n > 0; --n) {
      // Half the picks from the noise at the end, so that spellings touch and overlap.
      text += noise_bias(rng) ? parts[parts.size() - 1 - pick(rng) % 10] : parts[pick(rng)];
    }
    for (bool parse_special : {false, true}) {
      const auto got = splitter.split(text, parse_special);
      const auto want = naive_split(vocab, text, parse_special);
      ASSERT_EQ(describe(got), describe(want))
          << GetParam() << " '" << text << "' parse_special=" << parse_special;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, SplitterMatchesReferenceOrder,
                         ::testing::Values("phi-3", "mpt", "deepseek-coder", "llama-bpe"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = (c == '-') ? '_' : c;
                           return n;
                         });

}  // namespace
}  // namespace rightsize::tokenizer
