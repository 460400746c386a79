// Tests for the GGUF reader and writer: exact round trips, tensor views, v2 files, and
// hostile input (truncation, bit flips, absurd counts) that must end in Error, never a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf/tensor_types.h"
#include "util/error.h"

namespace rightsize::gguf {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8, kQ4_K = 12;

// A scratch directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("rs_gguf_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Parses a copy sized exactly to the bytes, so any read past the end is a heap overflow
// that the sanitizer build reports.
std::unique_ptr<GgufFile> parse_exact(const std::vector<uint8_t>& bytes, size_t n,
                                      std::unique_ptr<uint8_t[]>& storage) {
  storage.reset(new uint8_t[std::max<size_t>(n, 1)]);
  if (n > 0) std::memcpy(storage.get(), bytes.data(), n);
  return GgufFile::parse({storage.get(), n}, "test.gguf");
}

// Builds GGUF images byte by byte for the cases a well-behaved writer never produces.
class Bytes {
 public:
  Bytes& u8(uint8_t v) { return raw(&v, 1); }
  Bytes& u32(uint32_t v) { return raw(&v, 4); }
  Bytes& u64(uint64_t v) { return raw(&v, 8); }
  Bytes& i64(int64_t v) { return raw(&v, 8); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  Bytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    return u32(0x46554747).u32(version).u64(n_tensors).u64(n_kv);
  }
  Bytes& pad_to(size_t alignment) {
    while (b_.size() % alignment) u8(0);
    return *this;
  }
  Bytes& zeros(size_t n) {
    b_.resize(b_.size() + n);
    return *this;
  }
  size_t size() const { return b_.size(); }
  const std::vector<uint8_t>& bytes() const { return b_; }

 private:
  Bytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
    return *this;
  }
  std::vector<uint8_t> b_;
};

// Expects parse to fail with a message containing every fragment; returns the message.
std::string expect_error(const std::vector<uint8_t>& bytes,
                         const std::vector<std::string>& fragments) {
  std::unique_ptr<uint8_t[]> storage;
  try {
    parse_exact(bytes, bytes.size(), storage);
  } catch (const Error& e) {
    std::string msg = e.what();
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "parse succeeded; expected an error containing " << fragments[0];
  return "";
}

void fill_pattern(uint8_t* dst, uint64_t n, uint8_t seed) {
  for (uint64_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(i * 7 + seed);
}

std::shared_ptr<Array> make_numbers(ValueType t, std::vector<double> v) {
  auto a = std::make_shared<Array>();
  a->elem_type = t;
  a->numbers = std::move(v);
  return a;
}

// A small valid model image: a few metadata keys and three tensors of different types.
GgufWriter small_model_writer() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_string_array("tokenizer.ggml.tokens", {"<s>", "a", "b"});
  w.set_f32_array("tokenizer.ggml.scores", {0.f, -1.f, -2.f});
  w.add_tensor("token_embd.weight", kQ8_0, {32, 3},
               [](uint8_t* d, uint64_t n) { fill_pattern(d, n, 1); });
  w.add_tensor("output_norm.weight", kF32, {32},
               [](uint8_t* d, uint64_t n) { fill_pattern(d, n, 2); });
  w.add_tensor("blk.0.attn_q.weight", kQ4_0, {32, 2},
               [](uint8_t* d, uint64_t n) { fill_pattern(d, n, 3); });
  return w;
}

std::vector<uint8_t> small_model_bytes(const TempDir& dir) {
  std::string path = dir.file("small.gguf");
  small_model_writer().write(path);
  return read_all(path);
}

TEST(GgufRoundTrip, EveryValueType) {
  TempDir dir;
  GgufWriter w;
  w.set("u8", Value{ValueType::U8, uint64_t{255}});
  w.set("i8", Value{ValueType::I8, int64_t{-128}});
  w.set("u16", Value{ValueType::U16, uint64_t{65535}});
  w.set("i16", Value{ValueType::I16, int64_t{-32768}});
  w.set_u32("u32", 4294967295u);
  w.set_i32("i32", std::numeric_limits<int32_t>::min());
  w.set_f32("f32", 0.1f);
  w.set_bool("bool", true);
  w.set_string("string", std::string("multi\nline \"quoted\" \xe2\x9c\x93 and a \0 byte", 36));
  w.set("u64", Value{ValueType::U64, std::numeric_limits<uint64_t>::max()});
  w.set("i64", Value{ValueType::I64, std::numeric_limits<int64_t>::min()});
  w.set("f64", Value{ValueType::F64, 3.141592653589793});
  w.set_string_array("strings", {"", "tok", std::string(1000, 'x')});
  w.set_i32_array("i32s", {-1, 0, 2147483647});
  w.set("u8s", Value{ValueType::ARRAY, make_numbers(ValueType::U8, {0, 1, 255})});
  w.set("bools", Value{ValueType::ARRAY, make_numbers(ValueType::BOOL, {1, 0, 1})});
  w.set("f64s", Value{ValueType::ARRAY, make_numbers(ValueType::F64, {1e300, -0.5})});
  w.set("empty", Value{ValueType::ARRAY, make_numbers(ValueType::F32, {})});
  auto u64s = std::make_shared<Array>();
  u64s->elem_type = ValueType::U64;
  u64s->ints64 = {-1, 42};  // -1 is the bit pattern of 2^64 - 1
  w.set("u64s", Value{ValueType::ARRAY, u64s});
  auto nested = std::make_shared<Array>();
  nested->elem_type = ValueType::ARRAY;
  auto inner_strings = std::make_shared<Array>();
  inner_strings->elem_type = ValueType::STRING;
  inner_strings->strings = {"x", "y"};
  nested->items.push_back(Value{ValueType::ARRAY, inner_strings});
  nested->items.push_back(Value{ValueType::ARRAY, make_numbers(ValueType::I16, {-3, 4})});
  w.set("nested", Value{ValueType::ARRAY, nested});
  w.set_u32("u32", 7);  // replaces in place: order stays as first inserted
  w.write(dir.file("all.gguf"));

  auto f = GgufFile::open(dir.file("all.gguf"));
  EXPECT_EQ(f->version(), 3u);
  std::vector<std::string> keys;
  for (const auto& [k, v] : f->metadata()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"u8",   "i8",     "u16",  "i16",   "u32",  "i32",     "f32",
                                      "bool", "string", "u64",  "i64",   "f64",  "strings", "i32s",
                                      "u8s",  "bools",  "f64s", "empty", "u64s", "nested"}));
  EXPECT_EQ(f->find("u8")->type, ValueType::U8);
  EXPECT_EQ(f->get_int("u8"), 255);
  EXPECT_EQ(f->get_int("i8"), -128);
  EXPECT_EQ(f->get_int("u16"), 65535);
  EXPECT_EQ(f->get_int("i16"), -32768);
  EXPECT_EQ(f->get_int("u32"), 7);
  EXPECT_EQ(f->get_int("i32"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(f->find("f32")->type, ValueType::F32);
  EXPECT_EQ(static_cast<float>(*f->get_float("f32")), 0.1f);
  EXPECT_EQ(f->get_bool("bool"), true);
  EXPECT_EQ(f->get_string("string"),
            std::string("multi\nline \"quoted\" \xe2\x9c\x93 and a \0 byte", 36));
  EXPECT_EQ(f->find("u64")->as_uint("u64"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(f->get_int("i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(f->get_float("f64"), 3.141592653589793);

  const Array* strings = f->get_array("strings");
  ASSERT_NE(strings, nullptr);
  EXPECT_EQ(strings->elem_type, ValueType::STRING);
  EXPECT_EQ(strings->strings, (std::vector<std::string>{"", "tok", std::string(1000, 'x')}));
  EXPECT_EQ(f->get_array("i32s")->numbers, (std::vector<double>{-1, 0, 2147483647}));
  EXPECT_EQ(f->get_array("u8s")->numbers, (std::vector<double>{0, 1, 255}));
  EXPECT_EQ(f->get_array("bools")->elem_type, ValueType::BOOL);
  EXPECT_EQ(f->get_array("bools")->numbers, (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(f->get_array("f64s")->numbers, (std::vector<double>{1e300, -0.5}));
  EXPECT_EQ(f->get_array("empty")->size(), 0u);
  EXPECT_EQ(f->get_array("empty")->elem_type, ValueType::F32);
  EXPECT_EQ(f->get_array("u64s")->ints64, (std::vector<int64_t>{-1, 42}));
  EXPECT_EQ(f->get_array("u64s")->numbers.size(), 2u);
  const Array* n = f->get_array("nested");
  ASSERT_EQ(n->size(), 2u);
  EXPECT_EQ(n->items[0].as_array("nested[0]").strings, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(n->items[1].as_array("nested[1]").elem_type, ValueType::I16);
  EXPECT_EQ(n->items[1].as_array("nested[1]").numbers, (std::vector<double>{-3, 4}));

  // Writing back what was read gives the identical file.
  GgufWriter copy;
  for (const auto& [k, v] : f->metadata()) copy.set(k, v);
  copy.write(dir.file("copy.gguf"));
  EXPECT_EQ(read_all(dir.file("all.gguf")), read_all(dir.file("copy.gguf")));
}

TEST(GgufRoundTrip, TensorViewsPointAtTheRightBytes) {
  TempDir dir;
  GgufWriter w;
  w.set_u32("general.alignment", 64);
  struct Spec {
    std::string name;
    uint32_t type;
    std::vector<int64_t> shape;
    uint64_t n_bytes;
  };
  std::vector<Spec> specs = {
      {"a.f32", kF32, {8, 3}, 8 * 3 * 4},   {"b.q4_0", kQ4_0, {64, 2}, 2 * 2 * 18},
      {"c.q8_0", kQ8_0, {32}, 34},          {"d.f16", kF16, {5, 1, 2, 3}, 5 * 6 * 2},
      {"e.q4_k", kQ4_K, {256, 2}, 2 * 144},
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    auto seed = static_cast<uint8_t>(i * 31 + 5);
    w.add_tensor(specs[i].name, specs[i].type, specs[i].shape,
                 [seed](uint8_t* d, uint64_t n) { fill_pattern(d, n, seed); });
  }
  std::vector<std::tuple<size_t, size_t, uint64_t>> progress;
  w.write(dir.file("t.gguf"), [&](size_t done, size_t total, uint64_t bytes) {
    progress.emplace_back(done, total, bytes);
  });
  ASSERT_EQ(progress.size(), specs.size());
  EXPECT_EQ(std::get<0>(progress.back()), specs.size());
  EXPECT_EQ(std::get<1>(progress.back()), specs.size());
  EXPECT_EQ(std::get<2>(progress.back()), fs::file_size(dir.file("t.gguf")));

  auto f = GgufFile::open(dir.file("t.gguf"));
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  ASSERT_EQ(f->tensors().size(), specs.size());
  const auto* base = static_cast<const uint8_t*>(f->tensors()[0].data) - f->tensors()[0].offset;
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorInfo* t = f->find_tensor(specs[i].name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t, &f->tensors()[i]);  // file order kept
    EXPECT_EQ(t->type, specs[i].type);
    EXPECT_EQ(t->shape, specs[i].shape);
    EXPECT_EQ(t->n_bytes, specs[i].n_bytes);
    EXPECT_EQ(t->offset % 64, 0u);
    EXPECT_EQ(static_cast<const uint8_t*>(t->data), base + t->offset);
    std::vector<uint8_t> want(t->n_bytes);
    fill_pattern(want.data(), want.size(), static_cast<uint8_t>(i * 31 + 5));
    EXPECT_EQ(std::memcmp(t->data, want.data(), want.size()), 0) << t->name;
  }
  EXPECT_EQ(f->find_tensor("d.f16")->n_elements(), 30);
  EXPECT_EQ(f->find_tensor("missing"), nullptr);
  // The last tensor ends the file: nothing trails it.
  const TensorInfo& last = f->tensors().back();
  EXPECT_EQ(f->data_offset() + last.offset + last.n_bytes, f->file_size());
}

TEST(GgufRoundTrip, DefaultAlignmentIs32) {
  TempDir dir;
  auto bytes = small_model_bytes(dir);
  std::unique_ptr<uint8_t[]> storage;
  auto f = parse_exact(bytes, bytes.size(), storage);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->data_offset() % 32, 0u);
  for (const auto& t : f->tensors()) EXPECT_EQ(t.offset % 32, 0u);
}

TEST(GgufRoundTrip, LargeVocabularyParsesFast) {
  TempDir dir;
  constexpr size_t kTokens = 128256;
  std::vector<std::string> tokens;
  std::vector<float> scores;
  for (size_t i = 0; i < kTokens; ++i) {
    tokens.push_back("tok" + std::to_string(i));
    scores.push_back(-static_cast<float>(i));
  }
  GgufWriter w;
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.write(dir.file("vocab.gguf"));

  auto start = std::chrono::steady_clock::now();
  auto f = GgufFile::open(dir.file("vocab.gguf"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(f->get_array("tokenizer.ggml.tokens")->strings, tokens);
  EXPECT_EQ(f->get_array("tokenizer.ggml.scores")->numbers[kTokens - 1],
            -static_cast<double>(kTokens - 1));
  EXPECT_EQ(f->find("tokenizer.ggml.tokens")->to_display(3),
            "[\"tok0\", \"tok1\", \"tok2\", ... (128256 items)]");
  // ~0.02 s in a release build; the bound only catches a quadratic or per-element-Value path.
  EXPECT_LT(seconds, 2.0);
}

TEST(GgufValue, ConversionsNameTheKeyOnMismatch) {
  TempDir dir;
  GgufWriter w;
  w.set_string("name", "x");
  w.set("big", Value{ValueType::U64, std::numeric_limits<uint64_t>::max()});
  w.set_i32("neg", -1);
  w.set_f32("eps", 1e-5f);
  w.set_u32("n", 3);
  w.write(dir.file("v.gguf"));
  auto f = GgufFile::open(dir.file("v.gguf"));

  EXPECT_EQ(f->get_int("absent"), std::nullopt);
  EXPECT_EQ(f->get_array("absent"), nullptr);
  EXPECT_EQ(f->get_float("n"), 3.0);  // integers widen to double
  auto expect_throw = [](auto fn, const std::string& want) {
    try {
      fn();
      ADD_FAILURE() << "no error; wanted " << want;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  expect_throw([&] { f->get_int("name"); }, "key 'name': expected an integer, found string");
  expect_throw([&] { f->get_int("name"); }, "v.gguf");
  expect_throw([&] { f->get_int("big"); }, "does not fit in int64");
  expect_throw([&] { f->find("neg")->as_uint("neg"); }, "key 'neg': value -1 is negative");
  expect_throw([&] { f->get_int("eps"); }, "key 'eps'");
  expect_throw([&] { f->get_bool("n"); }, "expected a bool, found u32");
  expect_throw([&] { f->get_string("n"); }, "expected a string");
  expect_throw([&] { f->get_array("n"); }, "expected an array");
  expect_throw([&] { f->get_float("name"); }, "expected a number");
}

TEST(GgufValue, DisplayForm) {
  EXPECT_EQ((Value{ValueType::U32, uint64_t{42}}).to_display(), "42");
  EXPECT_EQ((Value{ValueType::I32, int64_t{-3}}).to_display(), "-3");
  EXPECT_EQ((Value{ValueType::F32, double{1e-5f}}).to_display(), "1e-05");
  EXPECT_EQ((Value{ValueType::BOOL, true}).to_display(), "true");
  EXPECT_EQ((Value{ValueType::STRING, std::string("a\"b\nc")}).to_display(), "\"a\\\"b\\nc\"");
  std::string long_text = (Value{ValueType::STRING, std::string(500, 'z')}).to_display();
  EXPECT_LT(long_text.size(), 100u);
  EXPECT_NE(long_text.find("...\" (500 bytes)"), std::string::npos) << long_text;
  auto a = make_numbers(ValueType::I32, {1, 2, 3});
  EXPECT_EQ((Value{ValueType::ARRAY, a}).to_display(), "[1, 2, 3]");
  EXPECT_EQ((Value{ValueType::ARRAY, a}).to_display(2), "[1, 2, ... (3 items)]");
  EXPECT_EQ((Value{ValueType::ARRAY, make_numbers(ValueType::F32, {0.5})}).to_display(), "[0.5]");
}

TEST(GgufReader, ParsesHandWrittenV2File) {
  Bytes b;
  b.header(2, 1, 2);
  b.str("general.architecture").u32(8).str("llama");
  b.str("general.alignment").u32(4).u32(16);
  b.str("w").u32(2).u64(4).u64(1).u32(kF32).u64(0);
  b.pad_to(16);
  size_t data_at = b.size();
  for (uint8_t i = 0; i < 16; ++i) b.u8(i);
  std::unique_ptr<uint8_t[]> storage;
  auto f = parse_exact(b.bytes(), b.size(), storage);
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(f->alignment(), 16u);
  EXPECT_EQ(f->data_offset(), data_at);
  EXPECT_EQ(f->get_string("general.architecture"), "llama");
  const TensorInfo* t = f->find_tensor("w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(t->n_bytes, 16u);
  EXPECT_EQ(static_cast<const uint8_t*>(t->data), storage.get() + data_at);
  EXPECT_EQ(static_cast<const uint8_t*>(t->data)[15], 15);
}

TEST(GgufReader, MetadataOnlyFileNeedsNoPadding) {
  Bytes b;
  b.header(3, 0, 1).str("k").u32(0).u8(1);
  std::unique_ptr<uint8_t[]> storage;
  auto f = parse_exact(b.bytes(), b.size(), storage);
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_EQ(f->get_int("k"), 1);
}

TEST(GgufReader, RejectsBadHeaders) {
  expect_error({}, {"test.gguf: byte 0: magic:", "too short"});
  expect_error(Bytes().u32(0x12345678).u32(3).u64(0).u64(0).bytes(),
               {"byte 0: magic: not a GGUF file"});
  expect_error(Bytes().header(1, 0, 0).bytes(), {"byte 4: version: unsupported version 1"});
  expect_error(Bytes().header(7, 0, 0).bytes(), {"byte 4: version: unsupported version 7"});
  expect_error(Bytes().header(0x03000000, 0, 0).bytes(), {"byte 4", "big-endian"});
  expect_error(Bytes().u32(0x46554747).u32(3).u32(0).bytes(), {"byte 8: tensor_count:"});
}

TEST(GgufReader, RejectsHostileCounts) {
  using namespace std::chrono;
  auto start = steady_clock::now();
  expect_error(Bytes().header(3, 0, uint64_t{1} << 60).zeros(64).bytes(),
               {"byte 16: kv_count:", "1152921504606846976"});
  expect_error(Bytes().header(3, uint64_t{1} << 60, 0).zeros(64).bytes(),
               {"byte 8: tensor_count:"});
  expect_error(Bytes().header(3, ~uint64_t{0}, ~uint64_t{0}).bytes(), {"tensor_count"});
  // Key length 2^62.
  expect_error(Bytes().header(3, 0, 1).u64(uint64_t{1} << 62).zeros(16).bytes(),
               {"byte 24: key of metadata entry #0:", "string length 4611686018427387904"});
  // String value length larger than the file.
  expect_error(Bytes().header(3, 0, 1).str("k").u32(8).u64(1000).zeros(8).bytes(),
               {"byte 37: key 'k':", "string length 1000 exceeds"});
  // Array counts that cannot fit: 2^60 u8, 2^59 strings, 2^40 nested arrays.
  expect_error(
      Bytes().header(3, 0, 1).str("k").u32(9).u32(0).u64(uint64_t{1} << 60).zeros(8).bytes(),
      {"byte 41: key 'k':", "array of 1152921504606846976 u8 elements cannot fit"});
  expect_error(Bytes().header(3, 0, 1).str("k").u32(9).u32(8).u64(uint64_t{1} << 59).bytes(),
               {"key 'k'", "string elements cannot fit"});
  expect_error(Bytes().header(3, 0, 1).str("k").u32(9).u32(9).u64(uint64_t{1} << 40).bytes(),
               {"key 'k'", "array elements cannot fit"});
  // 2 strings declared, the second's length runs past the end.
  expect_error(Bytes().header(3, 0, 1).str("k").u32(9).u32(8).u64(2).str("a").u64(99).bytes(),
               {"key 'k'[1]:", "string length 99"});
  EXPECT_LT(duration<double>(steady_clock::now() - start).count(), 1.0);
}

TEST(GgufReader, RejectsBadMetadata) {
  expect_error(Bytes().header(3, 0, 2).str("k").u32(0).u8(1).str("k").u32(0).u8(2).bytes(),
               {"byte 38: key 'k': duplicate key"});
  expect_error(Bytes().header(3, 0, 1).str("k").u32(13).u8(1).zeros(8).bytes(),
               {"byte 33: key 'k': unknown value type 13"});
  expect_error(Bytes().header(3, 0, 1).str("k").u32(9).u32(77).u64(0).zeros(8).bytes(),
               {"byte 37: key 'k': unknown array element type 77"});
  expect_error(Bytes().header(3, 0, 1).str("k").u32(7).u8(2).zeros(8).bytes(),
               {"byte 37: key 'k': bool value 2"});
  // Nesting: 9 levels of arrays each holding one array.
  Bytes deep;
  deep.header(3, 0, 1).str("k").u32(9);
  for (int i = 0; i < 9; ++i) deep.u32(9).u64(1);
  deep.u32(0).u64(0);
  expect_error(deep.bytes(), {"key 'k'[0][0][0][0][0][0][0][0]", "nested deeper than 8"});
}

TEST(GgufReader, RejectsBadAlignment) {
  expect_error(Bytes().header(3, 0, 1).str("general.alignment").u32(5).u32(32).bytes(),
               {"byte 49: key 'general.alignment': must be a u32, found i32"});
  expect_error(Bytes().header(3, 0, 1).str("general.alignment").u32(4).u32(48).bytes(),
               {"byte 53: key 'general.alignment': alignment 48 is not a power of two"});
  expect_error(Bytes().header(3, 0, 1).str("general.alignment").u32(4).u32(0).bytes(),
               {"alignment 0 is not a power of two"});
  expect_error(Bytes().header(3, 0, 1).str("general.alignment").u32(4).u32(1u << 21).bytes(),
               {"alignment 2097152"});
}

// One tensor info after an empty metadata section starts at byte 24.
Bytes one_tensor(const std::string& name, std::vector<int64_t> dims, uint32_t type, uint64_t offset,
                 uint32_t n_dims_override = 0) {
  Bytes b;
  b.header(3, 1, 0).str(name).u32(n_dims_override ? n_dims_override : uint32_t(dims.size()));
  for (int64_t d : dims) b.i64(d);
  b.u32(type).u64(offset);
  return b;
}

TEST(GgufReader, RejectsBadTensorInfo) {
  const std::string q = "blk.0.attn_q.weight";  // 19 bytes: name ends at 24 + 8 + 19 = 51
  expect_error(one_tensor(q, {4}, kF32, 0, 99).zeros(64).bytes(),
               {"byte 51: tensor 'blk.0.attn_q.weight': n_dims is 99"});
  expect_error(one_tensor(q, {}, kF32, 0).zeros(64).bytes(), {"byte 51", "n_dims is 0"});
  expect_error(one_tensor(q, {32, -5}, kF32, 0).pad_to(32).zeros(64).bytes(),
               {"test.gguf: byte 63: tensor 'blk.0.attn_q.weight': dimension 1 is -5"});
  expect_error(one_tensor(q, {32, 0}, kF32, 0).pad_to(32).bytes(), {"dimension 1 is 0"});
  expect_error(one_tensor(q, {int64_t{1} << 40, int64_t{1} << 40}, kF32, 0).pad_to(32).bytes(),
               {"byte 63", "overflows the element count"});
  // 2^62 f32 elements fit in int64 but not as bytes.
  expect_error(one_tensor(q, {int64_t{1} << 62}, kF32, 0).pad_to(32).bytes(),
               {"byte 63", "overflows the byte size"});
  expect_error(one_tensor(q, {32}, 99, 0).pad_to(32).bytes(),
               {"byte 63: tensor 'blk.0.attn_q.weight': unknown tensor type id 99"});
  expect_error(one_tensor(q, {100, 2}, kQ4_K, 0).pad_to(32).bytes(),
               {"byte 71", "ne0 = 100 is not a multiple of the Q4_K block size 256"});
  expect_error(one_tensor(q, {8}, kF32, 4).pad_to(32).zeros(64).bytes(),
               {"byte 67: tensor 'blk.0.attn_q.weight': data offset 4 is not a multiple"});
  expect_error(one_tensor(q, {8}, kF32, 32).pad_to(32).zeros(40).bytes(),
               {"byte 67", "runs past the end of the 40-byte data section"});
  expect_error(one_tensor(q, {8}, kF32, ~uint64_t{0} << 5).pad_to(32).zeros(40).bytes(),
               {"byte 67", "runs past the end"});
  expect_error(one_tensor(q, {8}, kF32, 0).bytes(), {"byte 75: padding:"});
}

TEST(GgufReader, RejectsDuplicateAndOverlappingTensors) {
  Bytes dup;
  dup.header(3, 2, 0).str("a").u32(1).i64(8).u32(kF32).u64(0);
  size_t second_at = dup.size();
  dup.str("a").u32(1).i64(8).u32(kF32).u64(32).pad_to(32).zeros(64);
  expect_error(dup.bytes(), {"byte " + std::to_string(second_at) + ": tensor 'a': duplicate"});

  Bytes overlap;
  overlap.header(3, 2, 0).str("a").u32(1).i64(16).u32(kF32).u64(0);
  overlap.str("b").u32(1).i64(8).u32(kF32);
  size_t b_offset_at = overlap.size();
  overlap.u64(32).pad_to(32).zeros(96);
  expect_error(overlap.bytes(), {"byte " + std::to_string(b_offset_at) +
                                 ": tensor 'b': data at offset 32 overlaps tensor 'a'"});
}

TEST(GgufReader, EveryTruncationFails) {
  TempDir dir;
  auto bytes = small_model_bytes(dir);
  {
    std::unique_ptr<uint8_t[]> storage;
    auto f = parse_exact(bytes, bytes.size(), storage);  // the whole file is fine
    ASSERT_EQ(f->tensors().size(), 3u);
  }
  // The last tensor ends the file, so every shorter prefix, in the header, metadata, tensor
  // table, padding or data, must fail.
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::unique_ptr<uint8_t[]> storage;
    try {
      parse_exact(bytes, n, storage);
      ADD_FAILURE() << "truncated to " << n << " bytes parsed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("test.gguf: byte "), std::string::npos) << e.what();
    }
  }
}

TEST(GgufReader, EveryBitFlipInTheHeaderEndsCleanly) {
  TempDir dir;
  auto bytes = small_model_bytes(dir);
  std::unique_ptr<uint8_t[]> storage;
  uint64_t data_offset = parse_exact(bytes, bytes.size(), storage)->data_offset();
  size_t failed = 0, parsed = 0;
  for (size_t bit = 0; bit < data_offset * 8; ++bit) {
    auto flipped = bytes;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    try {
      auto f = parse_exact(flipped, flipped.size(), storage);
      for (const auto& [k, v] : f->metadata()) (void)v.to_display();
      for (const auto& t : f->tensors()) {
        const auto* p = static_cast<const uint8_t*>(t.data);
        volatile uint8_t touch = p[0] ^ p[t.n_bytes - 1];  // sanitizer build: in bounds
        (void)touch;
      }
      ++parsed;
    } catch (const Error&) {
      ++failed;
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(parsed, 0u);  // flips inside strings and float values are still valid files
}

TEST(GgufReader, RandomByteCorruptionEndsCleanly) {
  TempDir dir;
  auto bytes = small_model_bytes(dir);
  std::mt19937 rng(12345);
  std::unique_ptr<uint8_t[]> storage;
  for (int iter = 0; iter < 2000; ++iter) {
    auto mutated = bytes;
    int n_changes = 1 + static_cast<int>(rng() % 4);
    for (int c = 0; c < n_changes; ++c) mutated[rng() % 200] = static_cast<uint8_t>(rng());
    try {
      parse_exact(mutated, mutated.size(), storage);
    } catch (const Error&) {
    }
  }
}

TEST(GgufWriter, RejectsBadTensorsAndValues) {
  TempDir dir;
  GgufWriter w;
  auto fill = [](uint8_t*, uint64_t) {};
  EXPECT_THROW(w.add_tensor("x", 99, {32}, fill), Error);
  EXPECT_THROW(w.add_tensor("x", kQ4_0, {33}, fill), Error);
  EXPECT_THROW(w.add_tensor("x", kF32, {}, fill), Error);
  EXPECT_THROW(w.add_tensor("x", kF32, {1, 1, 1, 1, 1}, fill), Error);
  EXPECT_THROW(w.add_tensor("x", kF32, {4, -1}, fill), Error);
  w.add_tensor("x", kF32, {4}, fill);
  EXPECT_THROW(w.add_tensor("x", kF32, {4}, fill), Error);

  GgufWriter bad_value;
  bad_value.set("k", Value{ValueType::U8, uint64_t{300}});
  try {
    bad_value.write(dir.file("bad.gguf"));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("key 'k': value 300 does not fit in u8"),
              std::string::npos)
        << e.what();
  }
  GgufWriter bad_element;
  bad_element.set("k", Value{ValueType::ARRAY, make_numbers(ValueType::I32, {1, 2.5})});
  EXPECT_THROW(bad_element.write(dir.file("bad.gguf")), Error);
  GgufWriter bad_alignment;
  bad_alignment.set_u32("general.alignment", 24);
  EXPECT_THROW(bad_alignment.write(dir.file("bad.gguf")), Error);
  EXPECT_FALSE(fs::exists(dir.file("bad.gguf")));
  EXPECT_TRUE(fs::is_empty(dir.path()));  // no temporary files left behind
}

TEST(GgufWriter, FailureLeavesNoFileBehind) {
  TempDir dir;
  GgufWriter w = small_model_writer();
  EXPECT_THROW(w.write(dir.file("no/such/dir/m.gguf")), Error);

  GgufWriter failing;
  failing.add_tensor("a", kF32, {8}, [](uint8_t*, uint64_t) {});
  failing.add_tensor("b", kF32, {8}, [](uint8_t*, uint64_t) { throw Error("source vanished"); });
  EXPECT_THROW(failing.write(dir.file("m.gguf")), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));

  // A previous good file survives a failed rewrite.
  w.write(dir.file("m.gguf"));
  auto before = read_all(dir.file("m.gguf"));
  EXPECT_THROW(failing.write(dir.file("m.gguf")), Error);
  EXPECT_EQ(read_all(dir.file("m.gguf")), before);
}

// The reference models in ../shared/testdata must all parse, with every tensor in bounds.
TEST(GgufReader, ParsesSharedTestdata) {
  const char* env = std::getenv("RIGHTSIZE_TESTDATA");
  fs::path root =
      env ? fs::path(env) : fs::path(__FILE__).parent_path() / "../../../shared/testdata";
  fs::path models = root / "models";
  if (!fs::is_directory(models)) GTEST_SKIP() << "no testdata at " << models;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(models)) {
    if (entry.path().extension() != ".gguf") continue;
    auto f = GgufFile::open(entry.path().string());
    EXPECT_TRUE(f->get_string("general.architecture").has_value()) << entry.path();
    EXPECT_FALSE(f->tensors().empty()) << entry.path();
    for (const auto& [k, v] : f->metadata()) EXPECT_FALSE(v.to_display().empty());
    ++n;
  }
  EXPECT_GT(n, 0);
}

// Not a test of behaviour: with RS_GGUF_WRITE_SEEDS=<dir> it writes the fuzzer's seed corpus
// (see docs/fuzzing.md).
TEST(GgufFuzzSeeds, WriteWhenAsked) {
  const char* out = std::getenv("RS_GGUF_WRITE_SEEDS");
  if (!out) GTEST_SKIP() << "set RS_GGUF_WRITE_SEEDS=<dir> to write the fuzz seed corpus";
  fs::create_directories(out);
  small_model_writer().write((fs::path(out) / "small_model.gguf").string());

  GgufWriter values;
  values.set("u8", Value{ValueType::U8, uint64_t{1}});
  values.set("i8", Value{ValueType::I8, int64_t{-1}});
  values.set("u16", Value{ValueType::U16, uint64_t{2}});
  values.set("i16", Value{ValueType::I16, int64_t{-2}});
  values.set_u32("general.alignment", 16);
  values.set_i32("i32", -3);
  values.set_bool("b", false);
  values.set("u64", Value{ValueType::U64, uint64_t{4}});
  values.set("i64", Value{ValueType::I64, int64_t{-4}});
  values.set("f64", Value{ValueType::F64, 0.25});
  values.set("bools", Value{ValueType::ARRAY, make_numbers(ValueType::BOOL, {1, 0})});
  auto nested = std::make_shared<Array>();
  nested->elem_type = ValueType::ARRAY;
  nested->items.push_back(Value{ValueType::ARRAY, make_numbers(ValueType::U16, {7})});
  values.set("nested", Value{ValueType::ARRAY, nested});
  values.add_tensor("f16", kF16, {4, 2, 1, 1},
                    [](uint8_t* d, uint64_t n) { fill_pattern(d, n, 9); });
  values.add_tensor("q4k", kQ4_K, {256}, [](uint8_t* d, uint64_t n) { fill_pattern(d, n, 8); });
  values.write((fs::path(out) / "all_types.gguf").string());

  GgufWriter meta_only;
  meta_only.set_string("general.architecture", "qwen2");
  meta_only.set_i32_array("tokenizer.ggml.token_type", {1, 3, 3});
  meta_only.write((fs::path(out) / "metadata_only.gguf").string());
}

}  // namespace
}  // namespace rightsize::gguf
