// Runtime selection of SIMD kernels: Highway compiles each kernel for several targets
// (AVX2, AVX-512, NEON, ...) and the best one for the CPU in hand is chosen once at start-up.
// The scalar twins stay in the traits table (vec_dot_scalar) for tests and as the fallback.
#pragma once

#include <cstdint>
#include <string>

namespace rightsize::kernels {

// Installs the SIMD vec_dot of every type that has one into the traits table. Idempotent and
// thread-safe; traits() calls it before handing out the table.
void install_simd_kernels();

// Name of the Highway target that was chosen, e.g. "AVX3" or "AVX2"; for logs and benchmarks.
std::string simd_target_name();

// SIMD dot products, exposed for the row kernels and for tests against their scalar twins.
float dot_f32(int64_t n, const float* a, const float* b);
void axpy_f32(int64_t n, float a, const float* x, float* y);  // y += a * x

// One block of 256 values quantized exactly as quantize_row_q8_k does (its SIMD twin): scale d,
// the 256 values, their sums per 16.
void quantize_q8_k_block(const float* x, float* d, int8_t* qs, int16_t* bsums);

}  // namespace rightsize::kernels
