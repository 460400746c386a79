// Internal to kernels/: helpers shared by the x86 packed kernels (AVX-512 and 256-bit). Plain
// SSE-level code, safe to inline into any of their targets.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace rightsize::kernels::x86 {

inline int32_t load_i32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Decoding streams each weight once from memory; on some CPUs asking for the data a few blocks
// ahead keeps more cache-line requests in flight than the hardware prefetcher does on its own, on
// others it only costs (packed_prefetch_bytes chooses; distance 0 = none).
inline void prefetch_ahead(const uint8_t* bp, size_t block_bytes, size_t distance) {
  if (distance == 0) return;
  for (size_t off = 0; off < block_bytes; off += 64)
    _mm_prefetch(reinterpret_cast<const char*>(bp + distance + off), _MM_HINT_T0);
}

}  // namespace rightsize::kernels::x86
