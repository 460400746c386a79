// `phi3`: Phi-3, Phi-3.5, Phi-4. The llama block with a fused q/k/v projection (attn_qkv:
// q, k, v rows in that order) and a fused gate/up projection (ffn_up: gate half first), NEOX
// rope, sliding-window attention on every layer when the file sets a window (Phi-4 writes 0:
// none), and LongRoPE: per-dimension factors, long or short chosen from the configured context
// against rope.scaling.original_context_length, with cos/sin scaled by rope.scaling.attn_factor.
#include "model/arch_registry.h"

namespace rightsize::model {
namespace {

void set_defaults(ModelConfig& c) {
  c.rope_type = kernels::RopeType::kNeox;
  c.ffn_activation = FfnActivation::kSilu;
  c.fused_qkv = true;
  c.fused_gate_up = true;
  c.window_layers = ModelConfig::WindowLayers::kAll;
}

}  // namespace

// The window and the LongRoPE keys are read with the common keys.
const ArchSpec kPhi3Arch = {"phi3", set_defaults, nullptr, nullptr};

}  // namespace rightsize::model
