// AMX (Intel's tile matrix unit, Xeon 4th generation and later) versions of the integer packed
// kernels, for batches of 16 tokens and more (prompt processing). Decode and the last
// n_tokens % 16 tokens run the AVX-512 VNNI kernels, which these extend.
//
// How a tile product maps onto the packed layout (packed.h): AMX's B operand holds, per row,
// 16 columns of 4 consecutive 8-bit values, which is exactly one packed vector (16 weight rows x
// 4 weights). So a sub-block of 32 weights (16 for Q6_K) is 8 (4) such vectors, and its A
// operand is 16 tokens' 32 (16) activation bytes, loaded straight from the activation rows with
// their row stride. TDPBSSD (signed x signed) gives the 16 x 16 integer dots of the sub-block
// in one instruction. The weights are first unpacked to signed bytes (offsets subtracted), once
// per row group for all the tokens, so the integer dots are exactly those of the VNNI kernels
// and the scalar twins; the float scaling that follows is theirs too, in the same order: the
// outputs equal the scalar twins' bit for bit.
#include <cstddef>
#include <type_traits>
#include <vector>

#include "kernels/packed_simd.h"
#include "kernels/packed_tiles.h"

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_ps().
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "kernels/packed_avx512_common.h"

#define RS_TARGET_AMX \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,f16c,fma,amx-tile,amx-int8")))
#define RS_TARGET_AMX_BF16 __attribute__((target("amx-tile,amx-bf16")))

namespace rightsize::kernels {
namespace {

using x86::k4_mins_dot;
using x86::load_k4_mins;
using x86::q6_k_group;
using x86::shift_bit_to_4;

constexpr int kTileTokens = 16;  // rows of an A tile: tokens per tile product

// The CPU has AMX-TILE and AMX-INT8, the OS saves tile state (XCR0 bits 17-18), and Linux
// granted this process the tile data state (it must be asked for, once per process).
bool amx_usable() {
  static const bool ok = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    if (((d >> 24) & 1) == 0 || ((d >> 25) & 1) == 0) return false;  // AMX-TILE, AMX-INT8
    if (!__get_cpuid(1, &a, &b, &c, &d) || ((c >> 27) & 1) == 0) return false;  // OSXSAVE
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if (((lo >> 17) & 3) != 3) return false;  // XTILECFG, XTILEDATA
    constexpr long kArchReqXcompPerm = 0x1023;
    constexpr long kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return ok;
}

bool amx_bf16_usable() {
  static const bool ok = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return amx_usable() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((d >> 22) & 1) != 0 &&  // AMX-BF16
           __builtin_cpu_supports("avx512bf16");
  }();
  return ok;
}

// Palette 1, the tiles as amx_tiles uses them.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved0[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

RS_TARGET_AMX void configure_tiles(int sub) {
  TileConfig cfg;
  for (int k = 0; k < 4; ++k) {
    cfg.rows[k] = kTileTokens;
    cfg.colsb[k] = 64;
  }
  for (int k = 4; k < 6; ++k) {
    cfg.rows[k] = kTileTokens;
    cfg.colsb[k] = static_cast<uint16_t>(sub);
  }
  for (int k = 6; k < 8; ++k) {
    cfg.rows[k] = static_cast<uint8_t>(sub / 4);
    cfg.colsb[k] = 64;
  }
  // Not _tile_loadconfig: GCC 12's takes the configuration as an 8-byte memory operand, so the
  // compiler may treat the rest of it as never read.
  __asm__ volatile("ldtilecfg %0" ::"m"(cfg));
}

// The weights of one row group as signed bytes, sub-block after sub-block (each kSub / 4
// vectors of 64 bytes, in B tile order). Grown once per thread to the largest group seen.
std::vector<int8_t>& unpack_buffer() {
  thread_local std::vector<int8_t> buf;
  return buf;
}

RS_TARGET_AMX inline void store(int8_t* p, __m512i v) { _mm512_storeu_si512(p, v); }

// Per source type: its QuantType, kSub weights per sub-block, kSubs sub-blocks per block, and
// unpack(bp, out), which writes a block's kSubs * kSub * 16 signed bytes.
struct Q8_0Fmt {
  static constexpr QuantType kType = QuantType::Q8_0;
  static constexpr int kSub = 32, kSubs = 1;
  RS_TARGET_AMX static void unpack(const uint8_t* bp, int8_t* out) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));  // u8 with offset 128 -> s8
    for (int v = 0; v < 8; ++v) store(out + 64 * v, _mm512_xor_si512(_mm512_loadu_si512(bp + 32 + 64 * v), flip));
  }
};

struct Q4_0Fmt {
  static constexpr QuantType kType = QuantType::Q4_0;
  static constexpr int kSub = 32, kSubs = 1;
  RS_TARGET_AMX static void unpack(const uint8_t* bp, int8_t* out) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i eight = _mm512_set1_epi8(8);
    for (int v = 0; v < 4; ++v) {
      const __m512i raw = _mm512_loadu_si512(bp + 32 + 64 * v);
      store(out + 64 * v, _mm512_sub_epi8(_mm512_and_si512(raw, low4), eight));
      store(out + 64 * (v + 4), _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(raw, 4), low4), eight));
    }
  }
};

template <bool kFiveBit>
struct K4Fmt {
  static constexpr QuantType kType = kFiveBit ? QuantType::Q5_K : QuantType::Q4_K;
  static constexpr int kSub = 32, kSubs = 8;
  RS_TARGET_AMX static void unpack(const uint8_t* bp, int8_t* out) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i bit4 = _mm512_set1_epi8(0x10);
    for (int j = 0; j < 8; ++j) {
      const int c = j / 2, half = j & 1;
      __m512i h = _mm512_setzero_si512();
      if constexpr (kFiveBit) h = _mm512_loadu_si512(bp + k5_high_bits(c, half));
      for (int v = 0; v < 8; ++v) {
        const __m512i raw = _mm512_loadu_si512(bp + k4_nibbles(kFiveBit, c, v));
        __m512i q = half ? _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4) : _mm512_and_si512(raw, low4);
        if constexpr (kFiveBit) q = _mm512_or_si512(q, _mm512_and_si512(shift_bit_to_4(h, v), bit4));
        store(out + 512 * j + 64 * v, q);
      }
    }
  }
};

struct Q6_KFmt {
  static constexpr QuantType kType = QuantType::Q6_K;
  static constexpr int kSub = 16, kSubs = 16;
  RS_TARGET_AMX static void unpack(const uint8_t* bp, int8_t* out) {
    const __m512i offset = _mm512_set1_epi8(32);
    for (int s = 0; s < 16; ++s) {
      const uint8_t* L = bp + 288 + (s / 4) * 768;
      const uint8_t* H = L + 512;
      for (int gi = 0; gi < 4; ++gi)  // group 4 (s % 4) + gi of the chunk
        store(out + 256 * s + 64 * gi, _mm512_sub_epi8(q6_k_group(L, H, 4 * (s % 4) + gi), offset));
    }
  }
};

// Weights per block, and whether the type reads 256-weight activation blocks (K-quants).
template <class Fmt>
constexpr int kBlockWeights = Fmt::kSub * Fmt::kSubs;
template <class Fmt>
constexpr bool kUses256 = kBlockWeights<Fmt> == 256;

// Products of up to 2 token tiles (kM) x 2 row groups (kG) per sub-block, all eight tiles:
// C (m, g) is tile 2m + g (16 tokens x 16 int32), A (m) tile 4 + m (16 tokens x kSub bytes),
// B (g) tile 6 + g (kSub / 4 rows of 16 x 4 bytes); tile numbers are immediates, hence the
// spelled-out cases. The products and their stores to c are separate steps: a load that
// follows a tile store in program order waits for it, so the scaling of the previous results
// must come between the two (products running meanwhile), not after the stores.
template <int kM, int kG>
RS_TARGET_AMX inline void tile_products(const uint8_t* a, size_t act_row_bytes, const int8_t* w0, const int8_t* w1) {
  _tile_zero(0);
  if constexpr (kG > 1) _tile_zero(1);
  if constexpr (kM > 1) _tile_zero(2);
  if constexpr (kM > 1 && kG > 1) _tile_zero(3);
  _tile_loadd(4, a, act_row_bytes);
  _tile_loadd(6, w0, 64);
  _tile_dpbssd(0, 4, 6);
  if constexpr (kG > 1) {
    _tile_loadd(7, w1, 64);
    _tile_dpbssd(1, 4, 7);
  }
  if constexpr (kM > 1) {
    _tile_loadd(5, a + kTileTokens * act_row_bytes, act_row_bytes);
    _tile_dpbssd(2, 5, 6);
    if constexpr (kG > 1) _tile_dpbssd(3, 5, 7);
  }
}

template <int kM, int kG>
RS_TARGET_AMX inline void store_products(int32_t (*c)[kTileTokens * 16]) {
  _tile_stored(0, c[0], 64);
  if constexpr (kG > 1) _tile_stored(1, c[1], 64);
  if constexpr (kM > 1) _tile_stored(2, c[2], 64);
  if constexpr (kM > 1 && kG > 1) _tile_stored(3, c[3], 64);
}

// kM x 16 tokens x kG groups over all blocks. The products of sub-block i (of nb x kSubs) run
// while the results of sub-block i - 1 are scaled, so the tile unit and the vector units overlap. The scaling is the VNNI kernels', in the same order:
//   32-weight types: acc += dot x (d_w x d_a) per block (tile_32);
//   K-quants: fsum += dot x scale per sub-block, then per block acc += fsum x (d x d_a)
//   [- mins . sums x (dmin x d_a)] (tile_k4, tile_q6_k).
// Sums live in small local arrays (loads and stores are not what limits this loop, registers
// are), not in y, whose rows are often a multiple of 4 KiB apart and would share L1 sets.
template <class Fmt, int kM, int kG>
RS_TARGET_AMX void amx_tiles(const uint8_t* const* gp, const int8_t* const* wq, int64_t nb, size_t block_bytes,
                             const uint8_t* acts, size_t act_row_bytes, float* y, int64_t ldy) {
  constexpr bool k256 = kUses256<Fmt>;
  using Act = std::conditional_t<k256, ActBlock256, ActBlock32>;
  constexpr bool kQ6 = Fmt::kSub == 16;
  constexpr int kSubs = Fmt::kSubs;
  constexpr int kC = 4;  // C slots: (m, g) -> 2m + g
  constexpr size_t kSubBytes = static_cast<size_t>(Fmt::kSub) * kPackRows;  // unpacked bytes per sub-block
  alignas(64) int32_t c[2][kC][kTileTokens * 16];
  alignas(64) float acc[kC][kTileTokens * 16];
  alignas(64) float fsum[k256 ? kC : 1][kTileTokens * 16];
  for (int m = 0; m < kM; ++m)
    for (int g = 0; g < kG; ++g)
      for (int t = 0; t < kTileTokens; ++t) _mm512_store_ps(acc[2 * m + g] + 16 * t, _mm512_setzero_ps());
  const int64_t n_sub = nb * kSubs;
  auto issue = [&](int64_t i) {
    const int64_t b = i / kSubs, s = i % kSubs;
    const uint8_t* a = acts + static_cast<size_t>(b) * sizeof(Act) + offsetof(Act, qs) + Fmt::kSub * s;
    tile_products<kM, kG>(a, act_row_bytes, wq[0] + i * kSubBytes, kG > 1 ? wq[1] + i * kSubBytes : nullptr);
  };
  issue(0);
  store_products<kM, kG>(c[0]);
  for (int64_t i = 0; i < n_sub; ++i) {
    if (i + 1 < n_sub) issue(i + 1);
    const int64_t b = i / kSubs, s = i % kSubs;
    for (int g = 0; g < kG; ++g) {
      const uint8_t* bp = gp[g] + static_cast<size_t>(b) * block_bytes;
      const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp)));
      for (int m = 0; m < kM; ++m) {
        const int32_t* ci = c[i & 1][2 * m + g];
        float* am = acc[2 * m + g];
        // Token m * 16's block b; each token's is act_row_bytes further.
        const uint8_t* ab = acts + (static_cast<size_t>(m) * kTileTokens) * act_row_bytes + static_cast<size_t>(b) * sizeof(Act);
        if constexpr (!k256) {
          for (int t = 0; t < kTileTokens; ++t, ab += act_row_bytes) {
            const __m512 dot = _mm512_cvtepi32_ps(_mm512_load_si512(ci + 16 * t));
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(reinterpret_cast<const Act*>(ab)->d));
            _mm512_store_ps(am + 16 * t, _mm512_fmadd_ps(dot, scale, _mm512_load_ps(am + 16 * t)));
          }
        } else {
          float* fm = fsum[2 * m + g];
          const __m128i raw_sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + (kQ6 ? 32 : 64) + 16 * s));
          const __m512 sc = _mm512_cvtepi32_ps(kQ6 ? _mm512_cvtepi8_epi32(raw_sc) : _mm512_cvtepu8_epi32(raw_sc));
          for (int t = 0; t < kTileTokens; ++t) {
            const __m512 prev = s == 0 ? _mm512_setzero_ps() : _mm512_load_ps(fm + 16 * t);
            _mm512_store_ps(fm + 16 * t, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(ci + 16 * t)), sc, prev));
          }
          if (s != kSubs - 1) continue;
          if constexpr (kQ6) {
            for (int t = 0; t < kTileTokens; ++t, ab += act_row_bytes) {
              const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(reinterpret_cast<const Act*>(ab)->d));
              _mm512_store_ps(am + 16 * t, _mm512_fmadd_ps(_mm512_load_ps(fm + 16 * t), scale, _mm512_load_ps(am + 16 * t)));
            }
          } else {
            __m512i mins[4];
            load_k4_mins(bp, mins);
            const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 32)));
            for (int t = 0; t < kTileTokens; ++t, ab += act_row_bytes) {
              const Act& at = *reinterpret_cast<const Act*>(ab);
              const __m512i mn = k4_mins_dot(mins, at);
              const __m512 da = _mm512_set1_ps(at.d);
              __m512 v = _mm512_fmadd_ps(_mm512_load_ps(fm + 16 * t), _mm512_mul_ps(dw, da), _mm512_load_ps(am + 16 * t));
              v = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mn), _mm512_mul_ps(dmin, da), v);
              _mm512_store_ps(am + 16 * t, v);
            }
          }
        }
      }
    }
    if (i + 1 < n_sub) store_products<kM, kG>(c[(i + 1) & 1]);
  }
  for (int m = 0; m < kM; ++m)
    for (int g = 0; g < kG; ++g)
      for (int t = 0; t < kTileTokens; ++t)
        _mm512_storeu_ps(y + (m * kTileTokens + t) * ldy + g * kPackRows, _mm512_load_ps(acc[2 * m + g] + 16 * t));
}

// Row groups in pairs (an odd last one alone), each unpacked once for all the tokens; tokens in
// pairs of 16-token tiles (a last single tile alone).
template <class Fmt>
RS_TARGET_AMX void amx_groups(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                              size_t act_row_bytes, int64_t n_full, float* y, int64_t ldy) {
  const int64_t nb = w.n_blocks();
  constexpr size_t kBlockUnpacked = static_cast<size_t>(kBlockWeights<Fmt>) * kPackRows;
  const size_t group_unpacked = static_cast<size_t>(nb) * kBlockUnpacked;
  std::vector<int8_t>& buf = unpack_buffer();
  if (buf.size() < 2 * group_unpacked) buf.resize(2 * group_unpacked);
  configure_tiles(Fmt::kSub);
  for (int64_t g = g0; g < g1; g += 2) {
    const int n_g = g + 1 < g1 ? 2 : 1;
    const uint8_t* gp[2] = {w.group(g), n_g > 1 ? w.group(g + 1) : nullptr};
    const int8_t* wq[2] = {buf.data(), buf.data() + group_unpacked};
    for (int k = 0; k < n_g; ++k)
      for (int64_t b = 0; b < nb; ++b)
        Fmt::unpack(gp[k] + static_cast<size_t>(b) * w.block_bytes,
                    buf.data() + k * group_unpacked + static_cast<size_t>(b) * kBlockUnpacked);
    // The tile loads are asm without a memory operand: keep the unpacking stores before them.
    __asm__ volatile("" ::: "memory");
    for (int64_t t = 0; t < n_full;) {
      const uint8_t* at = acts + static_cast<size_t>(t) * act_row_bytes;
      float* yt = y + t * ldy + g * kPackRows;
      const bool two_m = t + 2 * kTileTokens <= n_full;
      if (two_m && n_g == 2) amx_tiles<Fmt, 2, 2>(gp, wq, nb, w.block_bytes, at, act_row_bytes, yt, ldy);
      if (two_m && n_g == 1) amx_tiles<Fmt, 2, 1>(gp, wq, nb, w.block_bytes, at, act_row_bytes, yt, ldy);
      if (!two_m && n_g == 2) amx_tiles<Fmt, 1, 2>(gp, wq, nb, w.block_bytes, at, act_row_bytes, yt, ldy);
      if (!two_m && n_g == 1) amx_tiles<Fmt, 1, 1>(gp, wq, nb, w.block_bytes, at, act_row_bytes, yt, ldy);
      t += two_m ? 2 * kTileTokens : kTileTokens;
    }
  }
  _tile_release();
}

// The kernel: whole tiles of 16 tokens on AMX, the rest (and decode) on the VNNI kernel.
template <class Fmt>
void amx_kernel(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts, size_t act_row_bytes,
                int64_t n_tokens, float* y, int64_t ldy) {
  static const PackedKernelFn vnni = packed_kernel_avx512_vnni(Fmt::kType);
  const int64_t n_full = n_tokens / kTileTokens * kTileTokens;
  if (n_full > 0) amx_groups<Fmt>(w, g0, g1, acts, act_row_bytes, n_full, y, ldy);
  if (n_full < n_tokens) {
    vnni(w, g0, g1, acts + static_cast<size_t>(n_full) * act_row_bytes, act_row_bytes, n_tokens - n_full,
         y + n_full * ldy, ldy);
  }
}

// BF16: the packed pairs are AMX's BF16 B operand as stored (16 pairs of columns = 16 vectors)
// and the activations' BF16 pairs its A rows, so nothing is unpacked, and with no per-block
// scales the sums stay in the C tiles over the whole row, stored once into y. TDPBF16PS adds,
// per pair, the second column's product and then the first's (each exact in single precision),
// pair after pair, as vdpbf16ps and the scalar twin do. kM x 16 tokens x kG groups.
template <int kM, int kG>
RS_TARGET_AMX_BF16 void amx_bf16_tiles(const uint8_t* g0, const uint8_t* g1, int64_t n_pairs, const uint8_t* pairs,
                                       size_t act_row_bytes, float* y, int64_t ldy) {
  _tile_zero(0);
  if constexpr (kG > 1) _tile_zero(1);
  if constexpr (kM > 1) _tile_zero(2);
  if constexpr (kM > 1 && kG > 1) _tile_zero(3);
  for (int64_t j = 0; j < n_pairs; j += 16) {
    _tile_loadd(4, pairs + 4 * j, act_row_bytes);
    _tile_loadd(6, g0 + 64 * j, 64);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (kG > 1) {
      _tile_loadd(7, g1 + 64 * j, 64);
      _tile_dpbf16ps(1, 4, 7);
    }
    if constexpr (kM > 1) {
      _tile_loadd(5, pairs + kTileTokens * act_row_bytes + 4 * j, act_row_bytes);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (kG > 1) _tile_dpbf16ps(3, 5, 7);
    }
  }
  const size_t ys = static_cast<size_t>(ldy) * sizeof(float);
  _tile_stored(0, y, ys);
  if constexpr (kG > 1) _tile_stored(1, y + kPackRows, ys);
  if constexpr (kM > 1) _tile_stored(2, y + kTileTokens * ldy, ys);
  if constexpr (kM > 1 && kG > 1) _tile_stored(3, y + kTileTokens * ldy + kPackRows, ys);
}

RS_TARGET_AMX_BF16 void amx_bf16_groups(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                                        size_t act_row_bytes, int64_t n_full, float* y, int64_t ldy) {
  const int64_t n_pairs = w.n_blocks();
  const size_t pairs_offset = static_cast<size_t>(2 * n_pairs) * sizeof(float);  // after the floats
  configure_tiles(64);
  for (int64_t g = g0; g < g1; g += 2) {
    const bool two_g = g + 1 < g1;
    const uint8_t* gp0 = w.group(g);
    const uint8_t* gp1 = two_g ? w.group(g + 1) : nullptr;
    for (int64_t t = 0; t < n_full;) {
      const uint8_t* pt = acts + static_cast<size_t>(t) * act_row_bytes + pairs_offset;
      float* yt = y + t * ldy + g * kPackRows;
      const bool two_m = t + 2 * kTileTokens <= n_full;
      if (two_m && two_g) amx_bf16_tiles<2, 2>(gp0, gp1, n_pairs, pt, act_row_bytes, yt, ldy);
      if (two_m && !two_g) amx_bf16_tiles<2, 1>(gp0, gp1, n_pairs, pt, act_row_bytes, yt, ldy);
      if (!two_m && two_g) amx_bf16_tiles<1, 2>(gp0, gp1, n_pairs, pt, act_row_bytes, yt, ldy);
      if (!two_m && !two_g) amx_bf16_tiles<1, 1>(gp0, gp1, n_pairs, pt, act_row_bytes, yt, ldy);
      t += two_m ? 2 * kTileTokens : kTileTokens;
    }
  }
  _tile_release();
}

// Whole tiles of 16 tokens on AMX when the row is whole tiles of 16 pairs (n_in % 32 == 0,
// every model's); the rest on the AVX-512 BF16 kernel.
void amx_bf16_kernel(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts, size_t act_row_bytes,
                     int64_t n_tokens, float* y, int64_t ldy) {
  static const PackedKernelFn avx512 = packed_kernel_avx512_bf16(QuantType::BF16);
  const int64_t n_full = w.n_blocks() % 16 == 0 ? n_tokens / kTileTokens * kTileTokens : 0;
  if (n_full > 0) amx_bf16_groups(w, g0, g1, acts, act_row_bytes, n_full, y, ldy);
  if (n_full < n_tokens) {
    avx512(w, g0, g1, acts + static_cast<size_t>(n_full) * act_row_bytes, act_row_bytes, n_tokens - n_full,
           y + n_full * ldy, ldy);
  }
}

}  // namespace

PackedKernelFn packed_kernel_amx(QuantType type) {
  if (!amx_usable() || packed_kernel_avx512_vnni(QuantType::Q4_0) == nullptr) return nullptr;
  switch (type) {
    case QuantType::Q4_0: return amx_kernel<Q4_0Fmt>;
    case QuantType::Q8_0: return amx_kernel<Q8_0Fmt>;
    case QuantType::Q4_K: return amx_kernel<K4Fmt<false>>;
    case QuantType::Q5_K: return amx_kernel<K4Fmt<true>>;
    case QuantType::Q6_K: return amx_kernel<Q6_KFmt>;
    case QuantType::BF16:
      if (amx_bf16_usable()) return amx_bf16_kernel;
      break;
    default: break;
  }
  // F16 (and BF16 without AMX-BF16): the AVX-512 kernels.
  if (PackedKernelFn f = packed_kernel_avx512_bf16(type)) return f;
  return packed_kernel_avx512_vnni(type);
}

}  // namespace rightsize::kernels

#else  // not x86-64 Linux with GCC/Clang

namespace rightsize::kernels {
PackedKernelFn packed_kernel_amx(QuantType) { return nullptr; }
}  // namespace rightsize::kernels

#endif
