// KV cache memory at a long context: sliding-window models' rings against a cache of full
// context length on every layer, and each storage type (f32, f16, q8_0) for those shapes and
// Llama 3.2 1B. Checks the ring sizes and the per-type byte counts first.
#include <cstdio>
#include <cstdlib>

#include "model/kv_cache.h"
#include "model/random_model.h"

int main(int argc, char** argv) {
  using namespace rightsize::model;
  using rightsize::kernels::kv_type_name;
  const int64_t n_ctx = argc > 1 ? std::atoll(argv[1]) : 8192;
  const double mib = 1024.0 * 1024.0;
  for (const char* preset : {"gemma-2-2b", "gemma-2-9b", "phi-3.5-mini", "llama-3.2-1b"}) {
    const ModelConfig c = preset_spec(preset)->config;
    // One cache at a time: the 9B shape's F32 cache alone is 4 GiB at 8k.
    int64_t cells = 0;
    double full_f32 = 0;
    for (KvType t : {KvType::F32, KvType::F16, KvType::Q8_0}) {
      const KvCache kv(c, n_ctx, 1, 512, t);
      if (t == KvType::F32) {
        // Check: windowed layers hold window + 511 cells (capped at n_ctx), the others n_ctx.
        for (int64_t il = 0; il < c.n_layer; ++il) {
          const int64_t want = c.layer_uses_window(il) ? std::min(n_ctx, c.sliding_window + 511) : n_ctx;
          if (kv.capacity(il) != want) {
            std::fprintf(stderr, "%s layer %lld: capacity %lld, expected %lld\n", preset, (long long)il,
                         (long long)kv.capacity(il), (long long)want);
            return 1;
          }
          cells += want;
        }
        full_f32 = static_cast<double>(kv.full_size_bytes());
        std::printf("%-14s n_ctx %lld, window %lld: full-size F32 KV %.1f MiB\n", preset, (long long)n_ctx,
                    (long long)c.sliding_window, full_f32 / mib);
      }
      // Check: K and V, every cell, one row of n_head_kv heads in the stored type.
      const int64_t per_pos = 2 * c.n_head_kv * rightsize::kernels::kv_head_bytes(t, c.head_dim);
      if (kv.bytes() != static_cast<uint64_t>(cells * per_pos)) {
        std::fprintf(stderr, "%s %s: %llu bytes, expected %llu\n", preset, kv_type_name(t),
                     (unsigned long long)kv.bytes(), (unsigned long long)(cells * per_pos));
        return 1;
      }
      std::printf("  %-5s KV %8.1f MiB (%5.1f%% of full-size F32; %lld bytes per position per layer)\n",
                  kv_type_name(t), kv.bytes() / mib, 100.0 * double(kv.bytes()) / full_f32, (long long)per_pos);
    }
  }
  return 0;
}
