// The tensor element types GGUF files carry, and the one traits table that describes them:
// block geometry, dequantize, reference quantize, and the dot product used by matmul.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rightsize::kernels {

// Numeric ids are the GGUF/ggml type ids, so a value read from a file maps directly.
enum class QuantType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ4_NL = 20,
  IQ4_XS = 23,
  BF16 = 30,
};

// Dequantize n elements (n a multiple of block_size) from blocks at src into dst.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
// Quantize n elements (n a multiple of block_size), round-to-nearest as the reference
// quantizer does without an importance matrix.
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);
// Dot product of n elements: one row of this type with one row of vec_dot_type.
using VecDotFn = float (*)(int64_t n, const void* row, const void* activations);

struct TypeTraits {
  QuantType type;
  const char* name;    // "Q4_K", as GGUF tools print it
  int64_t block_size;  // elements per block
  size_t type_size;    // bytes per block
  bool is_quantized;
  ToFloatFn to_float;      // null for types that only ever hold activations
  FromFloatFn from_float;  // null where quantizing is not supported
  VecDotFn vec_dot_scalar;  // the scalar twin; null for activation-only types (Q8_1, Q8_K)
  VecDotFn vec_dot;         // what matmul calls: the SIMD version chosen for this CPU at
                            // start-up (see dispatch.h), else the scalar twin
  QuantType vec_dot_type;   // activations are converted to this once per matmul
};

// Traits of a known type; nullptr for an id that no supported type has.
const TypeTraits* find_traits(uint32_t id);
// Traits of a supported type (a bug to ask for anything else).
const TypeTraits& traits(QuantType t);
// "Q4_K" → Q4_K (case-insensitive); nullopt for an unknown name.
std::optional<QuantType> type_from_name(std::string_view name);

// Bytes of one row of n elements; n must be a multiple of the block size.
size_t row_size(QuantType t, int64_t n);

}  // namespace rightsize::kernels
