// The traits table: one row per tensor type, joining the block geometry that gguf/ owns with
// the row functions defined in quants_*.cpp.
#include "kernels/quant_types.h"

#include <array>
#include <cctype>
#include <string>

#include "gguf/tensor_types.h"
#include "kernels/dispatch.h"
#include "kernels/quant_rows.h"
#include "kernels/quant_table.h"
#include "util/error.h"

namespace rightsize::kernels {
namespace {

struct RowFunctions {
  QuantType type;
  bool is_quantized;
  ToFloatFn to_float;
  FromFloatFn from_float;
  VecDotFn vec_dot;  // null for the activation-only types
  QuantType vec_dot_type;
};

using enum QuantType;

constexpr RowFunctions kRowFunctions[] = {
    {F32, false, dequantize_row_f32, quantize_row_f32, vec_dot_f32, F32},
    {F16, false, dequantize_row_f16, quantize_row_f16, vec_dot_f16, F16},
    {BF16, false, dequantize_row_bf16, quantize_row_bf16, vec_dot_bf16, BF16},
    {Q4_0, true, dequantize_row_q4_0, quantize_row_q4_0, vec_dot_q4_0_q8_0, Q8_0},
    {Q4_1, true, dequantize_row_q4_1, quantize_row_q4_1, vec_dot_q4_1_q8_1, Q8_1},
    {Q5_0, true, dequantize_row_q5_0, quantize_row_q5_0, vec_dot_q5_0_q8_0, Q8_0},
    {Q5_1, true, dequantize_row_q5_1, quantize_row_q5_1, vec_dot_q5_1_q8_1, Q8_1},
    {Q8_0, true, dequantize_row_q8_0, quantize_row_q8_0, vec_dot_q8_0_q8_0, Q8_0},
    {Q8_1, true, dequantize_row_q8_1, quantize_row_q8_1, nullptr, Q8_1},
    {Q2_K, true, dequantize_row_q2_k, quantize_row_q2_k, vec_dot_q2_k_q8_k, Q8_K},
    {Q3_K, true, dequantize_row_q3_k, quantize_row_q3_k, vec_dot_q3_k_q8_k, Q8_K},
    {Q4_K, true, dequantize_row_q4_k, quantize_row_q4_k, vec_dot_q4_k_q8_k, Q8_K},
    {Q5_K, true, dequantize_row_q5_k, quantize_row_q5_k, vec_dot_q5_k_q8_k, Q8_K},
    {Q6_K, true, dequantize_row_q6_k, quantize_row_q6_k, vec_dot_q6_k_q8_k, Q8_K},
    {Q8_K, true, dequantize_row_q8_k, quantize_row_q8_k, nullptr, Q8_K},
    {IQ4_NL, true, dequantize_row_iq4_nl, quantize_row_iq4_nl, vec_dot_iq4_nl_q8_0, Q8_0},
    {IQ4_XS, true, dequantize_row_iq4_xs, quantize_row_iq4_xs, vec_dot_iq4_xs_q8_k, Q8_K},
};
constexpr size_t kNumTypes = std::size(kRowFunctions);

// Built on first use because the geometry comes from gguf/'s table at run time.
std::array<TypeTraits, kNumTypes>& table() {
  static std::array<TypeTraits, kNumTypes> entries = [] {
    std::array<TypeTraits, kNumTypes> out{};
    for (size_t i = 0; i < kNumTypes; ++i) {
      const RowFunctions& f = kRowFunctions[i];
      const gguf::TypeGeometry* g = gguf::type_geometry(static_cast<uint32_t>(f.type));
      RS_CHECK_MSG(g != nullptr, "no block geometry for type id " +
                                     std::to_string(static_cast<uint32_t>(f.type)));
      out[i] = TypeTraits{f.type,     g->name,      g->block_size, g->type_size, f.is_quantized,
                          f.to_float, f.from_float, f.vec_dot,     f.vec_dot,    f.vec_dot_type};
    }
    return out;
  }();
  return entries;
}

TypeTraits* lookup(uint32_t id) {
  for (TypeTraits& t : table())
    if (static_cast<uint32_t>(t.type) == id) return &t;
  return nullptr;
}

}  // namespace

TypeTraits& mutable_traits(QuantType t) {
  TypeTraits* entry = lookup(static_cast<uint32_t>(t));
  RS_CHECK_MSG(entry != nullptr, "unsupported type id " + std::to_string(static_cast<uint32_t>(t)));
  return *entry;
}

const TypeTraits* find_traits(uint32_t id) {
  install_simd_kernels();
  return lookup(id);
}

const TypeTraits& traits(QuantType t) {
  install_simd_kernels();
  return mutable_traits(t);
}

std::optional<QuantType> type_from_name(std::string_view name) {
  for (const TypeTraits& t : table()) {
    const std::string_view candidate = t.name;
    if (candidate.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(name[i])) ==
             std::toupper(static_cast<unsigned char>(candidate[i]));
    }
    if (same) return t.type;
  }
  return std::nullopt;
}

size_t row_size(QuantType t, int64_t n) {
  const TypeTraits& tt = mutable_traits(t);
  RS_CHECK_MSG(n >= 0 && n % tt.block_size == 0,
               std::string(tt.name) + " row of " + std::to_string(n) + " elements");
  return static_cast<size_t>(n / tt.block_size) * tt.type_size;
}

}  // namespace rightsize::kernels
