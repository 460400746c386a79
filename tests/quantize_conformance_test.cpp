// `quantize` against the reference quantizer: re-quantizing the shared F32 models must give the
// reference's quantized files tensor for tensor — the same type for every tensor (the recipe)
// and the same bytes (round-to-nearest quantizers without an importance matrix).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/gguf_file.h"
#include "gguf/tensor_types.h"
#include "model/quantize_model.h"
#include "testdata.h"

namespace rightsize {
namespace {

namespace fs = std::filesystem;

class QuantizeLikeReference : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeLikeReference, SameTypesAndBytes) {
  RS_REQUIRE_TESTDATA();
  const std::string name = GetParam();  // "llama3-tiny.Q4_K_M"
  const std::string model = name.substr(0, name.find('.'));
  const std::string type = name.substr(name.find('.') + 1);
  const fs::path src = testing::testdata_dir() / "models" / (model + ".F32.gguf");
  const fs::path ref = testing::testdata_dir() / "models" / (name + ".gguf");
  if (!fs::exists(ref)) GTEST_SKIP() << "no reference file " << ref;
  const fs::path out = fs::temp_directory_path() / ("rs_q_" + std::to_string(::getpid()) + name + ".gguf");
  model::quantize_model(src.string(), out.string(), type, 2);
  auto ours = gguf::GgufFile::open(out.string());
  auto theirs = gguf::GgufFile::open(ref.string());
  ASSERT_EQ(ours->tensors().size(), theirs->tensors().size());
  size_t identical = 0;
  for (const auto& t : theirs->tensors()) {
    SCOPED_TRACE(t.name);
    const gguf::TensorInfo* o = ours->find_tensor(t.name);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(gguf::type_geometry(o->type)->name, std::string(gguf::type_geometry(t.type)->name));
    ASSERT_EQ(o->n_bytes, t.n_bytes);
    if (std::memcmp(o->data, t.data, t.n_bytes) == 0) ++identical;
    else ADD_FAILURE() << "bytes differ";
  }
  EXPECT_EQ(identical, theirs->tensors().size());
  fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(
    Reference, QuantizeLikeReference,
    ::testing::Values("llama3-tiny.Q8_0", "llama3-tiny.Q4_0", "llama3-tiny.Q4_K_M", "mistral-tiny.Q6_K",
                      "mistral-tiny.Q4_K_M", "gemma2-tiny.Q4_K_M", "phi3-tiny.Q4_K_M", "granite-tiny.Q4_0",
                      "qwen2-tiny.Q8_0", "qwen2-tied-tiny.Q4_K_M", "qwen2-tied-tiny.Q4_0"),
    [](const auto& info) {
      std::string s = info.param;
      for (char& c : s)
        if (c == '.' || c == '-') c = '_';
      return s;
    });

}  // namespace
}  // namespace rightsize
