// KV cache memory of sliding-window models at a long context: the windowed layers' rings
// against a cache of full context length on every layer. Checks the ring sizes first.
#include <cstdio>
#include <cstdlib>

#include "model/kv_cache.h"
#include "model/random_model.h"

int main(int argc, char** argv) {
  using namespace rightsize::model;
  const int64_t n_ctx = argc > 1 ? std::atoll(argv[1]) : 8192;
  for (const char* preset : {"gemma-2-2b", "gemma-2-9b", "phi-3.5-mini"}) {
    const ModelConfig c = preset_spec(preset)->config;
    KvCache kv(c, n_ctx, 1, 512);
    // Check: windowed layers hold window + 511 cells (capped at n_ctx), the others n_ctx.
    for (int64_t il = 0; il < c.n_layer; ++il) {
      const int64_t want = c.layer_uses_window(il) ? std::min(n_ctx, c.sliding_window + 511) : n_ctx;
      if (kv.capacity(il) != want) {
        std::fprintf(stderr, "%s layer %lld: capacity %lld, expected %lld\n", preset, (long long)il,
                     (long long)kv.capacity(il), (long long)want);
        return 1;
      }
    }
    const double mib = 1024.0 * 1024.0;
    std::printf("%-14s n_ctx %lld, window %lld: KV %.1f MiB (F32) vs full-size %.1f MiB: %.1f%% saved\n",
                preset, (long long)n_ctx, (long long)c.sliding_window, kv.bytes() / mib,
                kv.full_size_bytes() / mib, 100.0 * (1.0 - double(kv.bytes()) / kv.full_size_bytes()));
  }
  return 0;
}
