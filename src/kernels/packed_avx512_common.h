// Internal to kernels/: AVX-512 pieces shared by the VNNI kernels (packed_simd_x86.cpp) and the
// AMX kernels built on them (packed_simd_amx.cpp): rebuilding packed weights and the K-quant
// mins term. Include only where x86-64 intrinsics are available (GCC/Clang); each helper is
// compiled for RS_TARGET_AVX512_VNNI, which every including target contains.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/packed.h"

#define RS_TARGET_AVX512_VNNI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,f16c,fma")))

namespace rightsize::kernels::x86 {

// Moves bit v of every byte (and the bits above it) to bit 4; the caller masks off the rest.
RS_TARGET_AVX512_VNNI inline __m512i shift_bit_to_4(__m512i h, int v) {
  return v <= 4 ? _mm512_slli_epi16(h, static_cast<unsigned>(4 - v))
                : _mm512_srli_epi16(h, static_cast<unsigned>(v - 4));
}

// Q6_K chunk (packed.h): group x (0..15) of 4 weights x 16 rows as values 0..63, from its
// low-nibble vectors L and high-pair vectors H.
RS_TARGET_AVX512_VNNI inline __m512i q6_k_group(const uint8_t* L, const uint8_t* H, int x) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i raw = _mm512_loadu_si512(L + 64 * (x % 8));
  const __m512i lo = x < 8 ? _mm512_and_si512(raw, low4) : _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4);
  // The pair sits at bits 2 (x / 4) .. 2 (x / 4) + 1; move it to 4..5.
  const __m512i hi = shift_bit_to_4(_mm512_loadu_si512(H + 64 * (x % 4)), 2 * (x / 4));
  return _mm512_or_si512(lo, _mm512_and_si512(hi, _mm512_set1_epi8(0x30)));
}

// Q4_K / Q5_K: the block's 8 mins of each of the 16 rows, widened for vpdpwssd.
RS_TARGET_AVX512_VNNI inline void load_k4_mins(const uint8_t* bp, __m512i mins[4]) {
  for (int k = 0; k < 4; ++k)
    mins[k] = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 192 + 32 * k)));
}

// Sum over the 8 sub-blocks of min x the activations' sum of that sub-block, for 16 rows.
RS_TARGET_AVX512_VNNI inline __m512i k4_mins_dot(const __m512i mins[4], const ActBlock256& ab) {
  __m512i mn = _mm512_setzero_si512();
  for (int k = 0; k < 4; ++k) {
    const uint32_t pair = static_cast<uint16_t>(ab.bsum32[2 * k]) |
                          (static_cast<uint32_t>(static_cast<uint16_t>(ab.bsum32[2 * k + 1])) << 16);
    mn = _mm512_dpwssd_epi32(mn, mins[k], _mm512_set1_epi32(static_cast<int32_t>(pair)));
  }
  return mn;
}

}  // namespace rightsize::kernels::x86
