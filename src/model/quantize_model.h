// Re-quantizes a GGUF model to a type or mix, tensor by tensor, streaming to disk.
#pragma once

#include <string>

#include "model/quant_recipe.h"
#include "model/random_model.h"

namespace rightsize::model {

struct QuantizeStats {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  size_t n_quantized = 0;  // tensors converted
  size_t n_copied = 0;     // tensors copied unchanged (1-D, or already the chosen type)
};

// Reads `in`, writes `out` with every 2-D weight converted as the recipe for `target` says;
// metadata is copied. Raises Error for an unreadable input, an unknown target, or a tensor
// whose type cannot be dequantized.
QuantizeStats quantize_model(const std::string& in, const std::string& out,
                             const std::string& target, int threads,
                             const WriteProgress& progress = nullptr);

}  // namespace rightsize::model
