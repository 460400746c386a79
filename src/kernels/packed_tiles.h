// Internal to kernels/: drives a family of token-tile functions (one per tile width) over row
// groups and tokens. Plain C++ (no intrinsics), shared by every ISA's packed kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/packed.h"

namespace rightsize::kernels {


// Q4_K / Q5_K blocks (packed.h): where nibble vector (c, v) and Q5_K's fifth-bit vector (c, half)
// sit. Q5_K keeps each chunk's fifth bits right before its nibbles, so a kernel reads a block
// front to back (with them after all the nibbles, Zen 4's prefetchers lost track: 7 GB/s).
constexpr size_t k4_nibbles(bool five_bit, int c, int v) {
  return 320 + static_cast<size_t>(c) * (five_bit ? 640 : 512) + (five_bit ? 128 : 0) + static_cast<size_t>(v) * 64;
}
constexpr size_t k5_high_bits(int c, int half) { return 320 + static_cast<size_t>(c) * 640 + static_cast<size_t>(half) * 64; }

// A tile function: 16 rows of one group x kT tokens over all blocks. acts[t] points at token
// t's activation blocks; y[t] receives its 16 outputs.
template <class Act>
using TileFn = void (*)(const uint8_t* group, int64_t n_blocks, size_t block_bytes, const Act* const* acts,
                        float* const* y);

// Runs tiles over row groups g0..g1 and all tokens: kTile tokens at a time, the remainder in
// tiles of 3, 2 and 1.
template <class Act, int kTile, TileFn<Act> Tile1, TileFn<Act> Tile2, TileFn<Act> Tile3, TileFn<Act> TileN>
void run_tiles(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts, size_t act_row_bytes,
               int64_t n_tokens, float* y, int64_t ldy) {
  static_assert(kTile >= 4);
  const int64_t nb = w.n_blocks();
  for (int64_t g = g0; g < g1; ++g) {
    const uint8_t* gp = w.group(g);
    const Act* a[kTile];
    float* out[kTile];
    int64_t t = 0;
    auto setup = [&](int n) {
      for (int i = 0; i < n; ++i) {
        a[i] = reinterpret_cast<const Act*>(acts + static_cast<size_t>(t + i) * act_row_bytes);
        out[i] = y + (t + i) * ldy + g * kPackRows;
      }
    };
    for (; t + kTile <= n_tokens; t += kTile) {
      setup(kTile);
      TileN(gp, nb, w.block_bytes, a, out);
    }
    for (int rest = static_cast<int>(n_tokens - t); rest > 0; rest = static_cast<int>(n_tokens - t)) {
      const int take = rest >= 3 ? 3 : rest;
      setup(take);
      if (take == 3) Tile3(gp, nb, w.block_bytes, a, out);
      if (take == 2) Tile2(gp, nb, w.block_bytes, a, out);
      if (take == 1) Tile1(gp, nb, w.block_bytes, a, out);
      t += take;
    }
  }
}

// The same over two row groups at a time, for kernels whose instructions take a broadcast
// activation: each broadcast then feeds both groups' rows, halving the activation loads per
// instruction. Tile is a class with a static template run<kT, kG>(group, group_bytes, n_blocks,
// acts, y) over kG (1 or 2) groups that start group_bytes apart; y[t] + 16 g receives group g's
// outputs. An odd last group runs alone. Each output's arithmetic is that of a one-group tile.
template <class Act, class Tile>
void run_group_pairs(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts, size_t act_row_bytes,
                     int64_t n_tokens, float* y, int64_t ldy) {
  constexpr int kTile = 8;
  const int64_t nb = w.n_blocks();
  for (int64_t g = g0; g < g1; g += 2) {
    const uint8_t* gp = w.group(g);
    const bool two = g + 1 < g1;
    const Act* a[kTile];
    float* out[kTile];
    for (int64_t t = 0; t < n_tokens;) {
      const int64_t rest = n_tokens - t;
      const int take = rest >= kTile ? kTile : rest >= 3 ? 3 : static_cast<int>(rest);
      for (int i = 0; i < take; ++i) {
        a[i] = reinterpret_cast<const Act*>(acts + static_cast<size_t>(t + i) * act_row_bytes);
        out[i] = y + (t + i) * ldy + g * kPackRows;
      }
      switch (take * 2 + (two ? 1 : 0)) {
        case 2 * kTile + 1: Tile::template run<kTile, 2>(gp, w.group_bytes, nb, a, out); break;
        case 2 * kTile: Tile::template run<kTile, 1>(gp, w.group_bytes, nb, a, out); break;
        case 7: Tile::template run<3, 2>(gp, w.group_bytes, nb, a, out); break;
        case 6: Tile::template run<3, 1>(gp, w.group_bytes, nb, a, out); break;
        case 5: Tile::template run<2, 2>(gp, w.group_bytes, nb, a, out); break;
        case 4: Tile::template run<2, 1>(gp, w.group_bytes, nb, a, out); break;
        case 3: Tile::template run<1, 2>(gp, w.group_bytes, nb, a, out); break;
        default: Tile::template run<1, 1>(gp, w.group_bytes, nb, a, out); break;
      }
      t += take;
    }
  }
}

}  // namespace rightsize::kernels
