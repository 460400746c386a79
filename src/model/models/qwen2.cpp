// `qwen2`: Qwen2 / Qwen2.5. The llama block with biases on q, k and v (required) and rotary
// embeddings over halves of each head (NEOX pairing).
#include "model/arch_registry.h"

namespace rightsize::model {
namespace {
void set_defaults(ModelConfig& c) {
  c.rope_type = kernels::RopeType::kNeox;
  c.ffn_activation = FfnActivation::kSilu;
  c.qkv_bias_required = true;
}
}  // namespace

const ArchSpec kQwen2Arch = {"qwen2", set_defaults, nullptr, nullptr};

}  // namespace rightsize::model
