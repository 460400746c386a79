// Token masks against brute force on the real 128k-token Llama 3 vocabulary, read from the
// reference GGUF with a minimal reader here (this layer must not depend on the tokenizer).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "sampling/grammar/token_mask.h"
#include "util/utf8.h"

namespace rightsize::sampling::grammar {
namespace {

std::string testdata_dir() {
  const char* env = std::getenv("RIGHTSIZE_TESTDATA");
  return env != nullptr ? env : RS_DEFAULT_TESTDATA;
}

// Reads tokenizer.ggml.tokens, token_type and eos_token_id from a GGUF file: just enough of the
// format (header, then typed key/values) to find them.
class MiniGguf {
 public:
  explicit MiniGguf(std::string bytes) : b_(std::move(bytes)) {}

  bool read(std::vector<std::string>& tokens, std::vector<int32_t>& types, int64_t& eos) {
    if (b_.compare(0, 4, "GGUF") != 0) return false;
    pos_ = 4;
    u32();  // version
    u64();  // tensors
    const uint64_t n_kv = u64();
    for (uint64_t i = 0; i < n_kv; ++i) {
      const std::string key = str();
      const uint32_t type = u32();
      if (key == "tokenizer.ggml.tokens" && type == 9) {
        RS_CHECK(u32() == 8);
        const uint64_t n = u64();
        for (uint64_t j = 0; j < n; ++j) tokens.push_back(str());
      } else if (key == "tokenizer.ggml.token_type" && type == 9) {
        RS_CHECK(u32() == 5);
        const uint64_t n = u64();
        for (uint64_t j = 0; j < n; ++j) types.push_back(static_cast<int32_t>(u32()));
      } else if (key == "tokenizer.ggml.eos_token_id" && type == 4) {
        eos = u32();
      } else {
        skip(type);
      }
    }
    return !tokens.empty() && tokens.size() == types.size();
  }

 private:
  template <typename T>
  T get() {
    RS_CHECK(pos_ + sizeof(T) <= b_.size());
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  uint32_t u32() { return get<uint32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }
  std::string str() {
    const uint64_t n = u64();
    RS_CHECK(pos_ + n <= b_.size());
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(uint32_t type) {
    static constexpr size_t kSize[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    RS_CHECK(type <= 12);
    if (type == 8) {
      str();
    } else if (type == 9) {
      const uint32_t inner = u32();
      const uint64_t n = u64();
      for (uint64_t j = 0; j < n; ++j) skip(inner);
    } else {
      pos_ += kSize[type];
    }
  }

  std::string b_;
  size_t pos_ = 0;
};

// GPT-2 byte-level BPE spells each byte as a printable code point; undo that.
std::string decode_byte_level(const std::string& text) {
  static const std::vector<int> kByteOf = [] {
    std::vector<int> byte_of(512, -1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      byte_of[printable ? b : next++] = b;
    }
    return byte_of;
  }();
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    if (!utf8_decode(text, pos, cp) || cp >= kByteOf.size() || kByteOf[cp] < 0) return text;
    out += static_cast<char>(kByteOf[cp]);
  }
  return out;
}

std::shared_ptr<const VocabIndex> load_llama3_vocab() {
  const std::string path = testdata_dir() + "/tokenizer/ggml-vocab-llama-bpe.gguf";
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> texts;
  std::vector<int32_t> types;
  int64_t eos = -1;
  if (!MiniGguf(ss.str()).read(texts, types, eos)) return nullptr;
  std::vector<std::string> pieces;
  std::vector<bool> special;
  std::vector<int32_t> eog;
  for (size_t id = 0; id < texts.size(); ++id) {
    const bool control = types[id] == 3;  // llama.cpp's LLAMA_TOKEN_TYPE_CONTROL
    pieces.push_back(control ? texts[id] : decode_byte_level(texts[id]));
    special.push_back(control);
    if (static_cast<int64_t>(id) == eos || texts[id] == "<|eot_id|>" || texts[id] == "<|eom_id|>") {
      eog.push_back(static_cast<int32_t>(id));
    }
  }
  return VocabIndex::build(std::move(pieces), std::move(special), std::move(eog));
}

bool bit(const std::vector<uint64_t>& mask, int32_t id) { return (mask[id >> 6] >> (id & 63)) & 1; }

bool brute_force(const Matcher& m, const VocabIndex& v, int32_t id) {
  if (v.is_eog(id)) return m.is_complete();
  if (v.is_special(id) || v.piece(id).empty()) return false;
  Matcher copy = m;
  return copy.accept_bytes(v.piece(id));
}

class Llama3Vocab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vocab_ = load_llama3_vocab(); }
  void SetUp() override {
    if (vocab_ == nullptr) {
      GTEST_SKIP() << "Llama 3 vocabulary not found under " << testdata_dir()
                   << "/tokenizer (set RIGHTSIZE_TESTDATA)";
    }
  }
  static std::shared_ptr<const VocabIndex> vocab_;
};
std::shared_ptr<const VocabIndex> Llama3Vocab::vocab_;

TEST_F(Llama3Vocab, DecodesPieces) {
  ASSERT_EQ(vocab_->n_vocab(), 128256);
  int32_t space_hello = -1;
  for (int32_t id = 0; id < vocab_->n_vocab(); ++id) {
    if (vocab_->piece(id) == " hello") space_hello = id;
  }
  EXPECT_GE(space_hello, 0);
  EXPECT_TRUE(vocab_->is_special(128000));  // <|begin_of_text|>
  EXPECT_TRUE(vocab_->is_eog(128009));      // <|eot_id|>
}

// A random walk where every mask is checked against brute force: the whole vocabulary on some
// steps, and a sample of tokens (plus the picked one) on the others, to keep the test quick.
void walk_checked(const std::shared_ptr<const VocabIndex>& vocab, const std::string& gbnf,
                  uint32_t seed, int steps) {
  TokenConstraint tc(Grammar::parse(gbnf), vocab);
  std::mt19937 rng(seed);
  std::vector<uint64_t> mask;
  std::string text;
  for (int step = 0; step < steps && tc.can_continue(); ++step) {
    tc.fill_mask(mask);
    const bool full = step % 8 == 0;
    std::vector<int32_t> allowed;
    for (int32_t id = 0; id < vocab->n_vocab(); ++id) {
      if (bit(mask, id) && !vocab->is_eog(id)) allowed.push_back(id);
    }
    int bad = 0;
    auto check = [&](int32_t id) {
      const bool expected = brute_force(tc.matcher(), *vocab, id);
      if (bit(mask, id) != expected && ++bad <= 5) {
        ADD_FAILURE() << "seed " << seed << " step " << step << " after [" << text << "] token "
                      << id << " [" << vocab->piece(id) << "] mask " << bit(mask, id);
      }
    };
    if (full) {
      for (int32_t id = 0; id < vocab->n_vocab(); ++id) check(id);
    } else {
      for (int i = 0; i < 3000; ++i) check(static_cast<int32_t>(rng() % vocab->n_vocab()));
      for (int i = 0; i < 200 && !allowed.empty(); ++i) check(allowed[rng() % allowed.size()]);
    }
    if (bad > 0 || allowed.empty()) return;
    int32_t pick = allowed[rng() % allowed.size()];
    for (int tries = 0; tries < 3; ++tries) {  // favour short tokens: more varied states
      const int32_t other = allowed[rng() % allowed.size()];
      if (vocab->piece(other).size() < vocab->piece(pick).size()) pick = other;
    }
    tc.accept(pick);
    text += vocab->piece(pick);
  }
}

TEST_F(Llama3Vocab, JsonMasksMatchBruteForce) {
  const std::string json = R"g(root   ::= (value "\n")+
value  ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array  ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
)g";
  for (uint32_t seed = 1; seed <= 3; ++seed) walk_checked(vocab_, json, seed, 40);
}

TEST_F(Llama3Vocab, SchemaLikeAndUnicodeMasksMatchBruteForce) {
  const std::string person = R"g(root ::= "{" ws "\"name\":" ws str "," ws "\"age\":" ws int ws "}"
str ::= "\"" [^"\\]{1,12} "\""
int ::= "0" | [1-9] [0-9]{0,2}
ws ::= [ \n]{0,3}
)g";
  const std::string unicode = "root ::= ([a-zé-ü\\u0400-\\u04FF] | \" \")+ \".\"";
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    walk_checked(vocab_, person, seed, 30);
    walk_checked(vocab_, unicode, seed, 30);
  }
}

// maxLength strings as the schema converter writes them (a counter within a token's reach of its
// bound at every step), and an unbounded one, both over the whole Unicode-heavy vocabulary.
TEST_F(Llama3Vocab, BoundedJsonStringMasksMatchBruteForce) {
  const std::string strings = R"g(root ::= "{" ws "\"a\":" ws short "," ws "\"b\":" ws long "," ws "\"c\":" ws any ws "}"
short ::= "\"" char{2,20} "\""
long ::= "\"" char{0,100} "\""
any ::= "\"" char* "\""
char ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
ws ::= ( " " | "\n" [ \t]{0,20} )?
)g";
  for (uint32_t seed = 1; seed <= 2; ++seed) walk_checked(vocab_, strings, seed, 40);
}

}  // namespace
}  // namespace rightsize::sampling::grammar
