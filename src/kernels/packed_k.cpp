// Repacking and scalar twins for the K-quant packed layouts (Q4_K, Q6_K); see packed.h for the
// byte layouts. The scalar twins do the SIMD kernels' arithmetic in the same order.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/packed.h"
#include "kernels/packed_internal.h"
#include "kernels/packed_tiles.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_rows.h"
#include "util/fp16.h"

namespace rightsize::kernels {

namespace {
// Q4_K and Q5_K share the 4-bit part of the layout; Q5_K adds the fifth bits after it.
template <class Block>
void pack_block_k4(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  uint16_t* d = reinterpret_cast<uint16_t*>(out);
  uint16_t* dmin = d + 16;
  uint8_t* sc = out + 64;
  uint8_t* mp = out + 192;
  constexpr bool kFive = std::is_same_v<Block, BlockQ5_K>;
  for (int r = 0; r < kPackRows; ++r) {
    const Block blk = load_block<Block>(w.row(g * kPackRows + r), b);
    d[r] = blk.d;
    dmin[r] = blk.dmin;
    for (int j = 0; j < 8; ++j) {
      int scale, min;
      unpack_scale_min(blk.scales, j, &scale, &min);
      sc[j * 16 + r] = static_cast<uint8_t>(scale);
      mp[(j / 2) * 32 + r * 2 + (j & 1)] = static_cast<uint8_t>(min);
    }
    // Source chunk c: byte 32c + l, low nibble = weight 64c + l, high = 64c + 32 + l.
    for (int c = 0; c < 4; ++c)
      for (int v = 0; v < 8; ++v)
        for (int i = 0; i < 4; ++i) out[k4_nibbles(kFive, c, v) + r * 4 + i] = blk.qs[32 * c + 4 * v + i];
    if constexpr (kFive) {
      // Fifth bit of weight 64c + l is bit 2c of qh[l], of weight 64c + 32 + l bit 2c + 1. Target
      // vector (c, half), byte 4r + i, bit v: the weight 64c + 32 half + 4v + i.
      for (int c = 0; c < 4; ++c)
        for (int half = 0; half < 2; ++half)
          for (int i = 0; i < 4; ++i) {
            uint8_t bits = 0;
            for (int v = 0; v < 8; ++v)
              bits |= static_cast<uint8_t>(((blk.qh[4 * v + i] >> (2 * c + half)) & 1) << v);
            out[k5_high_bits(c, half) + r * 4 + i] = bits;
          }
    }
  }
}
}  // namespace

void pack_block_q4_k(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  pack_block_k4<BlockQ4_K>(w, g, b, out);
}
void pack_block_q5_k(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  pack_block_k4<BlockQ5_K>(w, g, b, out);
}

void pack_block_q6_k(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  uint16_t* d = reinterpret_cast<uint16_t*>(out);
  int8_t* sc = reinterpret_cast<int8_t*>(out + 32);
  uint8_t* chunks = out + 288;
  std::memset(chunks, 0, 3072);
  for (int r = 0; r < kPackRows; ++r) {
    const BlockQ6_K blk = load_block<BlockQ6_K>(w.row(g * kPackRows + r), b);
    d[r] = blk.d;
    for (int s = 0; s < 16; ++s) sc[s * 16 + r] = blk.scales[s];
    uint8_t q[256];  // 0..63
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = blk.ql + 64 * h;
      const uint8_t* qh = blk.qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        q[128 * h + l] = static_cast<uint8_t>((ql[l] & 0xF) | ((qh[l] & 3) << 4));
        q[128 * h + l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
        q[128 * h + l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
        q[128 * h + l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
      }
    }
    for (int u = 0; u < 4; ++u) {
      uint8_t* L = chunks + u * 768;
      uint8_t* H = L + 512;
      for (int i = 0; i < 4; ++i) {
        for (int y = 0; y < 8; ++y) {
          const uint8_t lo = q[4 * (16 * u + y) + i] & 0xF;
          const uint8_t hi = q[4 * (16 * u + 8 + y) + i] & 0xF;
          L[y * 64 + r * 4 + i] = static_cast<uint8_t>(lo | (hi << 4));
        }
        for (int z = 0; z < 4; ++z) {
          uint8_t bits = 0;
          for (int wq = 0; wq < 4; ++wq) bits |= static_cast<uint8_t>((q[4 * (16 * u + z + 4 * wq) + i] >> 4) << (2 * wq));
          H[z * 64 + r * 4 + i] = bits;
        }
      }
    }
  }
}

void quantize_activations_256(const float* x, int64_t n_in, void* dst) {
  ActBlock256* out = static_cast<ActBlock256*>(dst);
  for (int64_t b = 0; b < n_in / 256; ++b) {
    // quantize_row_q8_k's SIMD twin, straight into the block.
    quantize_q8_k_block(x + b * 256, &out[b].d, out[b].qs, out[b].bsum16);
    for (int j = 0; j < 8; ++j)
      out[b].bsum32[j] = static_cast<int16_t>(out[b].bsum16[2 * j] + out[b].bsum16[2 * j + 1]);
  }
}

template <bool kFiveBit>
void kernel_k4_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                      size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  const int64_t nb = w.n_blocks();
  for (int64_t g = g0; g < g1; ++g) {
    for (int64_t t = 0; t < n_tokens; ++t) {
      const ActBlock256* a = reinterpret_cast<const ActBlock256*>(acts + static_cast<size_t>(t) * act_row_bytes);
      float acc[kPackRows] = {};
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* bp = w.group(g) + static_cast<size_t>(b) * w.block_bytes;
        const uint16_t* d = reinterpret_cast<const uint16_t*>(bp);
        const uint8_t* sc = bp + 64;
        const uint8_t* mp = bp + 192;
        for (int r = 0; r < kPackRows; ++r) {
          float fsum = 0.0f;
          for (int j = 0; j < 8; ++j) {
            const int c = j / 2;
            int32_t s = 0;
            for (int v = 0; v < 8; ++v)
              for (int i = 0; i < 4; ++i) {
                const uint8_t byte = bp[k4_nibbles(kFiveBit, c, v) + r * 4 + i];
                int wq = (j & 1) ? (byte >> 4) : (byte & 0xF);
                if constexpr (kFiveBit) wq |= ((bp[k5_high_bits(c, j & 1) + r * 4 + i] >> v) & 1) << 4;
                s += wq * a[b].qs[32 * j + 4 * v + i];
              }
            fsum = std::fma(static_cast<float>(s), static_cast<float>(sc[j * 16 + r]), fsum);
          }
          int32_t mn = 0;
          for (int j = 0; j < 8; ++j) mn += mp[(j / 2) * 32 + r * 2 + (j & 1)] * a[b].bsum32[j];
          acc[r] = std::fma(fsum, fp16_to_f32(d[r]) * a[b].d, acc[r]);
          acc[r] = std::fma(-static_cast<float>(mn), fp16_to_f32(d[16 + r]) * a[b].d, acc[r]);
        }
      }
      std::memcpy(y + t * ldy + g * kPackRows, acc, sizeof(acc));
    }
  }
}

void kernel_q4_k_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  kernel_k4_scalar<false>(w, g0, g1, acts, act_row_bytes, n_tokens, y, ldy);
}
void kernel_q5_k_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  kernel_k4_scalar<true>(w, g0, g1, acts, act_row_bytes, n_tokens, y, ldy);
}

void kernel_q6_k_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  const int64_t nb = w.n_blocks();
  for (int64_t g = g0; g < g1; ++g) {
    for (int64_t t = 0; t < n_tokens; ++t) {
      const ActBlock256* a = reinterpret_cast<const ActBlock256*>(acts + static_cast<size_t>(t) * act_row_bytes);
      float acc[kPackRows] = {};
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* bp = w.group(g) + static_cast<size_t>(b) * w.block_bytes;
        const uint16_t* d = reinterpret_cast<const uint16_t*>(bp);
        const int8_t* sc = reinterpret_cast<const int8_t*>(bp + 32);
        const uint8_t* chunks = bp + 288;
        for (int r = 0; r < kPackRows; ++r) {
          float fsum = 0.0f;
          for (int s = 0; s < 16; ++s) {
            const int u = s / 4;
            const uint8_t* L = chunks + u * 768;
            const uint8_t* H = L + 512;
            int32_t isum = -32 * a[b].bsum16[s];
            for (int gi = 0; gi < 4; ++gi) {
              const int x = (s % 4) * 4 + gi;  // group within the chunk, 0..15
              for (int i = 0; i < 4; ++i) {
                const uint8_t lb = L[(x % 8) * 64 + r * 4 + i];
                const int lo = x < 8 ? (lb & 0xF) : (lb >> 4);
                const int hi = (H[(x % 4) * 64 + r * 4 + i] >> (2 * (x / 4))) & 3;
                isum += (lo | (hi << 4)) * a[b].qs[4 * (16 * u + x) + i];
              }
            }
            fsum = std::fma(static_cast<float>(isum), static_cast<float>(sc[s * 16 + r]), fsum);
          }
          acc[r] = std::fma(fsum, fp16_to_f32(d[r]) * a[b].d, acc[r]);
        }
      }
      std::memcpy(y + t * ldy + g * kPackRows, acc, sizeof(acc));
    }
  }
}

}  // namespace rightsize::kernels
