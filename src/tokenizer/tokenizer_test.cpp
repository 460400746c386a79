// The tokenizers against the reference token ids in ../shared/testdata/tokenizer, plus special
// tokens, BOS/EOS policy, decoding and the round trip on random text.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_test_util.h"
#include "util/error.h"

namespace rightsize::tokenizer {
namespace {

using testing::random_utf8;
using testing::reference_tokenizer;
using testing::tokenizer_testdata_dir;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Cases are separated by "\n__ggml_vocab_test__\n"; nothing follows the last separator.
std::vector<std::string> split_cases(const std::string& data) {
  static const std::string kSep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  size_t pos = 0;
  for (size_t at; (at = data.find(kSep, pos)) != std::string::npos; pos = at + kSep.size())
    cases.push_back(data.substr(pos, at - pos));
  return cases;
}

std::vector<std::vector<int32_t>> read_expected(const std::filesystem::path& p) {
  std::vector<std::vector<int32_t>> out;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);) {
    std::vector<int32_t> ids;
    std::istringstream ls(line);
    for (int32_t id; ls >> id;) ids.push_back(id);
    out.push_back(ids);
  }
  return out;
}

std::string ids_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

// Lines where we follow the Hugging Face BERT normaliser rather than the reference (see the
// test data README and docs/tokenizer.md): decomposed accents are stripped, not kept as marks
// that make the word [UNK]. Ids produced by Hugging Face tokenizers (Rust) with a WordPiece
// model rebuilt from the GGUF vocabulary.
struct Override {
  const char* vocab;
  size_t extra_case;  // 1-based
  std::vector<int32_t> ids;
};
const Override kHuggingFaceLines[] = {
    {"bert-bge", 5, {1327,  29867, 29874, 29859, 1325, 29863, 29877, 29868, 29876, 1010,  1312,
                     29864, 1315,  29874, 1339,  1029, 1315,  29873, 29859, 29869, 29877, 29868}},
    {"bert-bge", 7, {3449, 18697, 7668, 15743, 17076, 15687, 7509, 9094}},  // el eve cafe naive..
};

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, MatchesReferenceIds) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const auto dir = tokenizer_testdata_dir();
  const std::string name = "ggml-vocab-" + GetParam() + ".gguf";
  const Tokenizer& tok = reference_tokenizer(GetParam());
  int pass[2] = {0, 0}, total[2] = {0, 0}, overridden = 0;
  for (int extra = 0; extra < 2; ++extra) {
    const auto cases = split_cases(read_file(extra ? dir / "extra.inp" : dir / (name + ".inp")));
    auto expected = read_expected(extra ? dir / (name + ".extra.out") : dir / (name + ".out"));
    ASSERT_EQ(cases.size(), expected.size()) << name;
    if (extra) {
      for (const Override& o : kHuggingFaceLines) {
        if (GetParam() == o.vocab) {
          expected.at(o.extra_case - 1) = o.ids;
          ++overridden;
        }
      }
    }
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto got = tok.encode(cases[i], false, false);
      const bool ok = got == expected[i];
      ++total[extra];
      pass[extra] += ok;
      EXPECT_TRUE(ok) << GetParam() << (extra ? " extra" : "") << " case " << i + 1 << " '"
                      << cases[i] << "'\n  expected" << ids_string(expected[i]) << "\n  got     "
                      << ids_string(got);
    }
  }
  std::printf("[ tokenizer ] %-15s %2d/%2d standard, %2d/%2d extra%s\n", GetParam().c_str(),
              pass[0], total[0], pass[1], total[1],
              overridden ? " (2 extra lines checked against Hugging Face, not the reference)" : "");
}

INSTANTIATE_TEST_SUITE_P(Vocabs, Conformance,
                         ::testing::Values("llama-spm", "phi-3", "llama-bpe", "gpt-2", "starcoder",
                                           "refact", "mpt", "falcon", "deepseek-coder", "bert-bge"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = (c == '-') ? '_' : c;
                           return n;
                         });

class RoundTrip : public ::testing::TestWithParam<std::string> {};

// Whether the vocabulary has a token for every byte of `text`. Some byte-level vocabularies
// lack a few (StarCoder has no 0xF1, Falcon no 0xF2 and some control bytes); like the reference,
// encoding drops such bytes, so text containing them cannot come back.
bool spellable(const Tokenizer& tok, std::string_view text) {
  if (tok.vocab().kind() != VocabKind::kBpe) return true;  // SentencePiece has all <0xNN>
  for (char c : text) {
    if (tok.vocab().find(byte_to_symbol(static_cast<uint8_t>(c))) == kNoToken) return false;
  }
  return true;
}

// Byte-level BPE and SentencePiece with byte fallback lose nothing: valid UTF-8 comes back.
TEST_P(RoundTrip, DecodeOfEncodeIsIdentity) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer(GetParam());
  std::mt19937 rng(20250214);
  int checked = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string text = random_utf8(rng, 48);
    const auto ids = tok.encode(text, false, false);
    if (!spellable(tok, text)) continue;
    ++checked;
    ASSERT_EQ(tok.decode(ids), text) << GetParam() << " sample " << i;
  }
  EXPECT_GE(checked, 200) << GetParam();  // most samples avoid the missing bytes
}

INSTANTIATE_TEST_SUITE_P(Vocabs, RoundTrip,
                         ::testing::Values("llama-spm", "phi-3", "llama-bpe", "gpt-2", "starcoder",
                                           "refact", "mpt", "falcon", "deepseek-coder"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = (c == '-') ? '_' : c;
                           return n;
                         });

TEST(SpecialTokens, ControlTextIsTokenOnlyWhenParsed) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer("llama-bpe");
  EXPECT_EQ(tok.encode("<|eot_id|>", false, true), std::vector<int32_t>{128009});
  const auto as_text = tok.encode("<|eot_id|>", false, false);
  EXPECT_GT(as_text.size(), 1u);
  for (int32_t id : as_text) EXPECT_LT(id, 128000);
  EXPECT_EQ(tok.decode(as_text), "<|eot_id|>");

  // Text around special tokens is tokenized on its own.
  const auto hello = tok.encode("Hello", false, false);
  const auto mixed = tok.encode("<|begin_of_text|>Hello<|eot_id|>", false, true);
  std::vector<int32_t> want{128000};
  want.insert(want.end(), hello.begin(), hello.end());
  want.push_back(128009);
  EXPECT_EQ(mixed, want);
}

TEST(SpecialTokens, LongestSpecialTokenWins) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  // mpt has user-defined tokens for runs of 2..24 spaces; a longer run takes the longest first.
  const Tokenizer& tok = reference_tokenizer("mpt");
  const int32_t spaces24 = tok.vocab().find(std::string(24, ' '));
  const int32_t spaces2 = tok.vocab().find(std::string(2, ' '));
  ASSERT_NE(spaces24, kNoToken);
  ASSERT_NE(spaces2, kNoToken);
  EXPECT_EQ(tok.encode(std::string(26, ' '), false, false),
            (std::vector<int32_t>{spaces24, spaces2}));
}

TEST(SpecialTokens, UserDefinedMatchWithoutParseSpecial) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& deepseek = reference_tokenizer("deepseek-coder");
  EXPECT_EQ(deepseek.encode("ü", false, false), std::vector<int32_t>{32009});
  EXPECT_EQ(deepseek.token_type(32009), TokenType::kUserDefined);

  // Phi-3's "</s>" is user-defined: matched in plain text; "<s>" is control: never.
  const Tokenizer& phi3 = reference_tokenizer("phi-3");
  const auto with_eos_text = phi3.encode("a</s>b", false, false);
  EXPECT_NE(std::find(with_eos_text.begin(), with_eos_text.end(), 2), with_eos_text.end());
  const auto with_bos_text = phi3.encode("a<s>b", false, false);
  EXPECT_EQ(std::find(with_bos_text.begin(), with_bos_text.end(), 1), with_bos_text.end());
  EXPECT_EQ(phi3.encode("<s>", false, true), std::vector<int32_t>{1});
}

TEST(SpecialTokens, Phi3TokensSwallowFollowingWhiteSpace) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer("phi-3");
  const int32_t user = tok.vocab().find("<|user|>"), end = tok.vocab().find("<|end|>");
  ASSERT_NE(user, kNoToken);
  // The newline after <|user|> goes; the text after a special token gets SentencePiece's space.
  const auto hi = tok.encode("Hi", false, false);
  std::vector<int32_t> want{user};
  want.insert(want.end(), hi.begin(), hi.end());
  want.push_back(end);
  EXPECT_EQ(tok.encode("<|user|>\nHi<|end|>\n", false, true), want);
}

TEST(AddSpecial, FollowsTheFileFlags) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& llama3 = reference_tokenizer("llama-bpe");
  const auto ids = llama3.encode("Hello", true, false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 128000);
  EXPECT_NE(ids.back(), llama3.eos());
  EXPECT_EQ(llama3.encode("", true, false), std::vector<int32_t>{128000});

  const Tokenizer& gpt2 = reference_tokenizer("gpt-2");  // no add_bos_token: nothing added
  EXPECT_EQ(gpt2.encode("Hello", true, false), gpt2.encode("Hello", false, false));

  const Tokenizer& spm = reference_tokenizer("llama-spm");
  EXPECT_EQ(spm.encode("Hello", true, false).front(), 1);
  EXPECT_TRUE(spm.encode("", false, false).empty());

  const Tokenizer& bert = reference_tokenizer("bert-bge");  // [CLS] ... [SEP]
  const auto b = bert.encode("hello world", true, false);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b.front(), 101);
  EXPECT_EQ(b.back(), 102);
}

TEST(EndOfGeneration, EosEotAndTurnMarkers) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& llama3 = reference_tokenizer("llama-bpe");
  EXPECT_EQ(llama3.eos(), 128001);
  EXPECT_EQ(llama3.eot(), 128009);
  EXPECT_TRUE(llama3.is_eog(128001));
  EXPECT_TRUE(llama3.is_eog(128009));
  EXPECT_FALSE(llama3.is_eog(128000));
  EXPECT_FALSE(llama3.is_eog(9906));

  const Tokenizer& phi3 = reference_tokenizer("phi-3");
  const int32_t end = phi3.vocab().find("<|end|>");
  EXPECT_EQ(phi3.eot(), end);
  EXPECT_TRUE(phi3.is_eog(end));
  EXPECT_TRUE(phi3.is_eog(phi3.eos()));

  const Tokenizer& gpt2 = reference_tokenizer("gpt-2");
  EXPECT_TRUE(gpt2.is_eog(50256));
}

TEST(Decode, PiecesAndLeadingSpace) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& spm = reference_tokenizer("llama-spm");
  const auto ids = spm.encode("Hello world", true, false);  // <s> ▁Hello ▁world
  EXPECT_EQ(spm.decode(ids, /*skip_special=*/true), "Hello world");
  EXPECT_EQ(spm.decode(ids), "<s>Hello world");
  EXPECT_EQ(spm.token_to_piece(spm.vocab().find("<0x0A>")), "\n");
  EXPECT_EQ(spm.token_to_piece(spm.vocab().find("\xE2\x96\x81world")), " world");

  const Tokenizer& gpt2 = reference_tokenizer("gpt-2");
  EXPECT_EQ(gpt2.token_to_piece(gpt2.vocab().find("\xC4\xA0world")), " world");  // "Ġworld"
  EXPECT_EQ(gpt2.decode(gpt2.encode(" leading space", false, false)), " leading space");

  const Tokenizer& bert = reference_tokenizer("bert-bge");
  EXPECT_EQ(bert.decode(bert.encode("Hello, World", true, false), true), "hello , world");

  EXPECT_THROW(gpt2.token_to_piece(gpt2.n_vocab()), Error);
  EXPECT_THROW(gpt2.decode(std::vector<int32_t>{-1}), Error);
}

TEST(Encode, InvalidUtf8ReadsAsReplacementCharacter) {
  RS_REQUIRE_TOKENIZER_TESTDATA();
  const Tokenizer& tok = reference_tokenizer("llama-bpe");
  EXPECT_EQ(tok.encode("a\xFF"
                       "b",
                       false, false),
            tok.encode("a\xEF\xBF\xBD"
                       "b",
                       false, false));
  // SentencePiece keeps the raw byte through byte fallback.
  const Tokenizer& spm = reference_tokenizer("llama-spm");
  EXPECT_EQ(spm.decode(spm.encode("a\xFF"
                                  "b",
                                  false, false)),
            "a\xFF"
            "b");
}

}  // namespace
}  // namespace rightsize::tokenizer
