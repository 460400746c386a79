// `llama`: Llama 3.x (rope_freqs), Mistral / Nemo / Small (explicit head_dim), SmolLM.
// The plain pre-norm block: RMSNorm → GQA attention with adjacent-pair RoPE → RMSNorm → SwiGLU.
#include "model/arch_registry.h"

namespace rightsize::model {
namespace {
void set_defaults(ModelConfig& c) {
  c.rope_type = kernels::RopeType::kNorm;
  c.ffn_activation = FfnActivation::kSilu;
}
}  // namespace

const ArchSpec kLlamaArch = {"llama", set_defaults, nullptr, nullptr};

}  // namespace rightsize::model
