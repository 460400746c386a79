// StreamDecoder: output is always whole UTF-8 characters and adds up to decode().
#include "tokenizer/stream_decoder.h"

#include <gtest/gtest.h>

#include "tokenizer/tokenizer_test_util.h"

namespace rightsize::tokenizer {
namespace {

using testing::random_utf8;
using testing::reference_tokenizer;

class Streaming : public ::testing::TestWithParam<std::string> {};

TEST_P(Streaming, NeverEmitsBrokenUtf8) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer(GetParam());
  std::mt19937 rng(7);
  int held_back = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string text = random_utf8(rng, 40);
    const auto ids = tok.encode(text, true, false);
    StreamDecoder stream(tok);
    std::string joined;
    for (int32_t id : ids) {
      const std::string part = stream.push(id);
      ASSERT_TRUE(utf8_is_valid(part)) << GetParam() << " sample " << i;
      const std::string& piece = tok.token_to_piece(id);
      held_back += part.empty() && !piece.empty();
      joined += part;
    }
    joined += stream.flush();
    EXPECT_EQ(joined, utf8_sanitize(tok.decode(ids))) << GetParam() << " sample " << i;
  }
  // Byte-level vocabularies split rare characters across tokens; the test must have seen it.
  if (GetParam() != "bert-bge") {
    EXPECT_GT(held_back, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, Streaming,
                         ::testing::Values("llama-spm", "llama-bpe", "gpt-2", "deepseek-coder",
                                           "bert-bge"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = (c == '-') ? '_' : c;
                           return n;
                         });

TEST(StreamDecoder, HoldsACharacterSplitOverByteTokens) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer("llama-spm");
  // The llama emoji is not in the vocabulary: "▁" then four byte tokens.
  const auto ids = tok.encode("\xF0\x9F\xA6\x99", false, false);
  ASSERT_EQ(ids.size(), 5u);
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(ids[0]), "");  // the prefix space at the start is dropped
  EXPECT_EQ(stream.push(ids[1]), "");
  EXPECT_EQ(stream.push(ids[2]), "");
  EXPECT_EQ(stream.push(ids[3]), "");
  EXPECT_EQ(stream.push(ids[4]), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(stream.flush(), "");
}

TEST(StreamDecoder, FlushReplacesAnUnfinishedCharacter) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer("llama-spm");
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(tok.vocab().find("\xE2\x96\x81"
                                         "a")),
            "a");
  EXPECT_EQ(stream.push(tok.vocab().find("<0xE4>")), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
  // A byte that can never start a character is replaced at once.
  EXPECT_EQ(stream.push(tok.vocab().find("<0xFF>")), "\xEF\xBF\xBD");
  // After flush a new sequence starts: its first space is dropped again.
  StreamDecoder fresh(tok);
  EXPECT_EQ(fresh.push(tok.vocab().find("\xE2\x96\x81"
                                        "b")),
            "b");
  EXPECT_EQ(fresh.push(tok.vocab().find("\xE2\x96\x81"
                                        "c")),
            " c");
}

TEST(StreamDecoder, SkipSpecialLeavesOutControlTokens) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer("llama-bpe");
  StreamDecoder stream(tok, /*skip_special=*/true);
  EXPECT_EQ(stream.push(128000), "");
  StreamDecoder render(tok);
  EXPECT_EQ(render.push(128009), "<|eot_id|>");
}

}  // namespace
}  // namespace rightsize::tokenizer
