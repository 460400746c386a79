// Which type each tensor gets when a model is quantized to a target type or mix (Q4_K_M, ...),
// following the reference quantizer's per-tensor rules without an importance matrix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/quant_types.h"

namespace rightsize::model {

// A quantization target as the user names it: a plain type ("Q8_0") or a mix ("Q4_K_M").
struct QuantTarget {
  std::string name;            // as given, upper-case
  kernels::QuantType base;     // the type most 2-D weights get
  enum class Mix { kNone, kS, kM } mix = Mix::kNone;
  uint32_t file_type = 0;      // general.file_type as the reference numbers it
};

// Parses "q4_k_m", "Q8_0", ... ; nullopt for an unknown name.
std::optional<QuantTarget> parse_quant_target(std::string_view name);
// Every accepted name, for --help and errors.
std::vector<std::string> quant_target_names();

struct TensorSlot {
  std::string name;             // e.g. "blk.3.attn_v.weight"
  std::vector<int64_t> shape;   // ne0 first
};

// Chooses the type for each tensor of a model with n_layer layers. 1-D tensors stay F32.
class QuantRecipe {
 public:
  QuantRecipe(QuantTarget target, int64_t n_layer, bool tied_output);
  kernels::QuantType type_for(const TensorSlot& t) const;

 private:
  QuantTarget target_;
  int64_t n_layer_;
  bool tied_output_;
};

}  // namespace rightsize::model
