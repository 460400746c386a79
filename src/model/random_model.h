// Writes GGUF models with random weights: any supported architecture, shape and quant type,
// loadable by this engine and by the reference engine. Tests and benchmarks use them in place
// of downloaded weights; presets reproduce the shapes of real models.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/quant_recipe.h"

namespace rightsize::model {

struct RandomModelSpec {
  ModelConfig config;       // arch and dimensions; arch-specific fields as the arch sets them
  bool tied_output = false;
  bool rope_freqs = false;  // write a Llama-3.1-style rope_freqs tensor
  float rope_scaling_factor = 8.0f;  // for rope_freqs
  int64_t rope_orig_ctx = 8192;      // for rope_freqs
  bool long_rope = false;            // write LongRoPE factor tensors (Phi-3.5)
  std::string target = "F32";        // type or mix name (see quant_recipe.h)
  uint64_t seed = 42;
  int threads = 1;
};

// A spec with the given architecture's defaults and a small shape.
RandomModelSpec default_spec(const std::string& arch);

// Named real-model shapes ("llama-3.2-1b", "llama-3.1-8b", ...); nullopt for an unknown name.
std::optional<RandomModelSpec> preset_spec(const std::string& name);
std::vector<std::string> preset_names();

// Called after each tensor: (tensors done, total, bytes written so far).
using WriteProgress = std::function<void(size_t, size_t, uint64_t)>;

// Validates the spec (Error on a bad shape or target), then writes the file.
void write_random_model(const RandomModelSpec& spec, const std::string& path,
                        const WriteProgress& progress = nullptr);

}  // namespace rightsize::model
