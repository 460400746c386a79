// Byte layouts of the quantized blocks GGUF files store, as plain structs: a tensor's data is
// an array of these, read in place from the mapped file. Half-precision fields are raw uint16_t.
#pragma once

#include <cstdint>

namespace rightsize::kernels {

// Elements per block: the legacy formats and IQ4_NL use 32, the K-quants and IQ4_XS 256.
inline constexpr int kBlock32 = 32;
inline constexpr int kSuperBlock = 256;

// Every struct below is made of byte and 16-bit fields only (Q8_K adds one float first), so the
// compiler inserts no padding and the layout is the file's; the static_asserts prove it.

struct BlockQ4_0 {  // x = d * (q - 8)
  uint16_t d;
  uint8_t qs[kBlock32 / 2];  // byte j: low nibble is element j, high nibble element j + 16
};
static_assert(sizeof(BlockQ4_0) == 18);

struct BlockQ4_1 {  // x = d * q + m
  uint16_t d;
  uint16_t m;
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ4_1) == 20);

struct BlockQ5_0 {  // x = d * (q - 16), q = nibble | fifth bit << 4
  uint16_t d;
  uint8_t qh[4];  // little-endian u32: bit j is the fifth bit of element j
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ5_0) == 22);

struct BlockQ5_1 {  // x = d * q + m
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ5_1) == 24);

struct BlockQ8_0 {  // x = d * q
  uint16_t d;
  int8_t qs[kBlock32];
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ8_1 {  // activations for Q4_1/Q5_1: s carries the block sum for their offsets
  uint16_t d;
  uint16_t s;  // d * sum(qs)
  int8_t qs[kBlock32];
};
static_assert(sizeof(BlockQ8_1) == 36);

// 16 sub-blocks of 16: x = d * (scales & 15) * q - dmin * (scales >> 4), q in 0..3.
struct BlockQ2_K {
  uint8_t scales[kSuperBlock / 16];
  uint8_t qs[kSuperBlock / 4];  // per 128 elements: 32 bytes, 2-bit fields for l, l+32, l+64, l+96
  uint16_t d;
  uint16_t dmin;
};
static_assert(sizeof(BlockQ2_K) == 84);

// 16 sub-blocks of 16: x = d * (scale - 32) * (q - 4), q = 2 low bits + high bit from hmask.
struct BlockQ3_K {
  uint8_t hmask[kSuperBlock / 8];  // bit b of byte l: high bit of element 32 * b + l
  uint8_t qs[kSuperBlock / 4];
  uint8_t scales[12];  // 16 six-bit scales: low nibbles in bytes 0-7, high pairs in 8-11
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110);

// 8 sub-blocks of 32: x = d * scale * q - dmin * min, six-bit scale and min each.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kSuperBlock / 2];  // per 64 elements: low nibbles sub-block 2k, high 2k + 1
};
static_assert(sizeof(BlockQ4_K) == 144);

struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kSuperBlock / 8];  // bit b of byte l: fifth bit of element 32 * b + l
  uint8_t qs[kSuperBlock / 2];
};
static_assert(sizeof(BlockQ5_K) == 176);

// 16 sub-blocks of 16: x = d * scale * (q - 32), q = 4 bits from ql + 2 bits from qh.
struct BlockQ6_K {
  uint8_t ql[kSuperBlock / 2];
  uint8_t qh[kSuperBlock / 4];
  int8_t scales[kSuperBlock / 16];
  uint16_t d;  // last, unlike the other K-quants
};
static_assert(sizeof(BlockQ6_K) == 210);

// Activations for the K-quants and IQ4_XS: a float scale and the sums of each 16 quants, so
// that weight formats with a min can apply it without touching the quants.
struct BlockQ8_K {
  float d;
  int8_t qs[kSuperBlock];
  int16_t bsums[kSuperBlock / 16];
};
static_assert(sizeof(BlockQ8_K) == 292);

struct BlockIQ4_NL {  // x = d * kIQ4Values[q]
  uint16_t d;
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockIQ4_NL) == 18);

// 8 sub-blocks of 32: x = d * (scale - 32) * kIQ4Values[q], six-bit scales split in two fields.
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;                   // two high bits of each sub-block scale
  uint8_t scales_l[kSuperBlock / 64];  // four low bits, two sub-blocks per byte
  uint8_t qs[kSuperBlock / 2];
};
static_assert(sizeof(BlockIQ4_XS) == 136);

// The 16 levels of the non-linear 4-bit formats: denser near zero, where weights cluster.
inline constexpr int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                          1,    13,   25,  38,  53,  69,  89,  113};

}  // namespace rightsize::kernels
