// Vocabulary loading: a small hand-written vocabulary works, and every kind of bad vocabulary
// is refused with an Error that names the key.
#include "tokenizer/vocab.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace rightsize::tokenizer {
namespace {

namespace fs = std::filesystem;

// Writes `writer` to a per-test temporary file and loads it as a tokenizer.
class VocabFile {
 public:
  VocabFile() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("rs_vocab_" + std::string(info->name()) + "_" + std::to_string(::getpid()) + ".gguf");
  }
  ~VocabFile() { fs::remove(path_); }
  std::unique_ptr<Tokenizer> load(const gguf::GgufWriter& writer) {
    writer.write(path_.string());
    file_ = gguf::GgufFile::open(path_.string());
    return Tokenizer::from_gguf(*file_);
  }

 private:
  fs::path path_;
  std::unique_ptr<gguf::GgufFile> file_;
};

// A tiny SentencePiece vocabulary: <unk> <s> </s>, two byte tokens, and a few pieces.
gguf::GgufWriter spm_vocab() {
  gguf::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens",
                     {"<unk>", "<s>", "</s>", "<0x21>", "<0x0A>", "\xE2\x96\x81", "a", "b",
                      "\xE2\x96\x81"
                      "a",
                      "ab",
                      "\xE2\x96\x81"
                      "ab"});
  w.set_f32_array("tokenizer.ggml.scores", {0, 0, 0, 0, 0, -1, -2, -2, -1, -3, -0.5f});
  w.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1});
  return w;
}

// A tiny byte-level BPE vocabulary over "a", "b" and space (Ġ).
gguf::GgufWriter bpe_vocab() {
  gguf::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt-2");
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "\xC4\xA0", "ab",
                                               "\xC4\xA0"
                                               "ab",
                                               "<|endoftext|>"});
  w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 3});
  w.set_string_array("tokenizer.ggml.merges", {"a b", "\xC4\xA0 ab"});
  w.set_u32("tokenizer.ggml.eos_token_id", 5);
  return w;
}

void expect_error(gguf::GgufWriter w, const std::string& needle) {
  VocabFile f;
  try {
    f.load(w);
    ADD_FAILURE() << "loaded a bad vocabulary; expected an error mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Vocab, SmallSentencePieceVocabulary) {
  VocabFile f;
  auto tok = f.load(spm_vocab());
  EXPECT_EQ(tok->n_vocab(), 11);
  EXPECT_EQ(tok->bos(), 1);  // SentencePiece defaults when the file names no ids
  EXPECT_EQ(tok->eos(), 2);
  // "▁ab" outscores the other merges; "!" falls back to its byte; "?" has no byte token → <unk>.
  EXPECT_EQ(tok->encode("ab!", true, false), (std::vector<int32_t>{1, 10, 3}));
  EXPECT_EQ(tok->encode("b?", false, false), (std::vector<int32_t>{5, 7, 0}));
  EXPECT_EQ(tok->decode(tok->encode("ab!\nab", false, false)), "ab!\nab");
}

TEST(Vocab, SmallBpeVocabulary) {
  VocabFile f;
  auto tok = f.load(bpe_vocab());
  EXPECT_EQ(tok->encode("ab ab", false, false), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(tok->encode("ba", false, false), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(tok->bos(), kNoToken);
  EXPECT_TRUE(tok->is_eog(5));
  EXPECT_EQ(tok->eot(), 5);  // <|endoftext|> doubles as end of turn
}

TEST(Vocab, RefusesMissingModel) {
  gguf::GgufWriter w;
  w.set_string_array("tokenizer.ggml.tokens", {"a"});
  expect_error(w, "tokenizer.ggml.model: missing");
}

TEST(Vocab, RefusesUnknownModel) {
  auto w = spm_vocab();
  w.set_string("tokenizer.ggml.model", "rwkv");
  expect_error(w, "unsupported tokenizer model 'rwkv'");
}

TEST(Vocab, RefusesMissingOrEmptyTokens) {
  gguf::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "llama");
  expect_error(w, "tokenizer.ggml.tokens: missing");
  w.set_string_array("tokenizer.ggml.tokens", {});
  expect_error(w, "token list is empty");
}

TEST(Vocab, RefusesTokensThatAreNotStrings) {
  auto w = spm_vocab();
  w.set_i32_array("tokenizer.ggml.tokens", {1, 2, 3});
  expect_error(w, "tokenizer.ggml.tokens: expected an array of strings");
}

TEST(Vocab, RefusesArraysOfDifferentLengths) {
  auto w = spm_vocab();
  w.set_f32_array("tokenizer.ggml.scores", {0, 0, 0});
  expect_error(w, "tokenizer.ggml.scores: has 3 entries for 11 tokens");
  w = spm_vocab();
  w.set_i32_array("tokenizer.ggml.token_type", {1, 1});
  expect_error(w, "tokenizer.ggml.token_type: has 2 entries for 11 tokens");
}

TEST(Vocab, RefusesUnknownTokenType) {
  auto w = spm_vocab();
  w.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 6, 6, 1, 1, 9, 1, 1, 1});
  expect_error(w, "element 7 is 9");
}

TEST(Vocab, RefusesSpecialIdOutOfRange) {
  auto w = spm_vocab();
  w.set_u32("tokenizer.ggml.eos_token_id", 11);
  expect_error(w,
               "tokenizer.ggml.eos_token_id: token id 11 is out of range (the vocabulary has 11");
  w = spm_vocab();
  w.set_i32("tokenizer.ggml.bos_token_id", -3);
  expect_error(w, "tokenizer.ggml.bos_token_id: token id -3 is out of range");
}

TEST(Vocab, RefusesDuplicateToken) {
  auto w = spm_vocab();
  w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "<0x21>", "<0x0A>",
                                               "\xE2\x96\x81", "a", "b", "a", "ab",
                                               "\xE2\x96\x81"
                                               "ab"});
  expect_error(w, "token 'a' appears twice, as ids 6 and 8");
}

TEST(Vocab, RefusesBpeWithoutMerges) {
  gguf::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b"});
  expect_error(w, "tokenizer.ggml.merges: missing");
}

TEST(Vocab, RefusesMalformedMerge) {
  auto w = bpe_vocab();
  w.set_string_array("tokenizer.ggml.merges", {"a b", "ab"});
  expect_error(w, "entry 1 'ab' is not two tokens separated by a space");
}

TEST(Vocab, RefusesUnknownPreTokenizer) {
  auto w = bpe_vocab();
  w.set_string("tokenizer.ggml.pre", "mystery");
  expect_error(w, "unknown pre-tokenizer 'mystery' (known: llama3");
}

TEST(Vocab, RefusesAddBosWithoutBos) {
  auto w = bpe_vocab();
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  expect_error(w, "tokenizer.ggml.add_bos_token: is true but the file names no BOS token");
}

TEST(Vocab, MissingPreTokenizerMeansDefault) {
  gguf::GgufWriter without;
  without.set_string("tokenizer.ggml.model", "gpt2");
  without.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab"});
  without.set_string_array("tokenizer.ggml.merges", {"a b"});
  VocabFile f;
  auto tok = f.load(without);
  EXPECT_EQ(tok->vocab().pre(), "default");
  EXPECT_EQ(tok->encode("ab", false, false), std::vector<int32_t>{2});
}

}  // namespace
}  // namespace rightsize::tokenizer
