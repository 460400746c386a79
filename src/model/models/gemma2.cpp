// `gemma2`: Gemma 2 (2B, 9B, 27B). Differences from the llama block, all config fields:
// embeddings × sqrt(n_embd); a post-norm after attention and after the FFN; GELU-tanh gating;
// attention logits soft-capped (s → c·tanh(s/c)) and final logits too; sliding-window
// attention on even layers, global on odd; NEOX rope; output tied to the embeddings.
#include <cmath>

#include "model/arch_registry.h"

namespace rightsize::model {
namespace {

// Gemma 2 scales queries by 1/sqrt(query_pre_attn_scalar), a training hyperparameter that the
// GGUF converter does not store. The reference hard-codes it by model size: head_dim for 2B and
// 9B, n_embd / n_head for 27B (the only Gemma 2 with 46 layers). An explicit key wins.
constexpr int64_t kGemma2_27bLayers = 46;

void set_defaults(ModelConfig& c) {
  c.rope_type = kernels::RopeType::kNeox;
  c.ffn_activation = FfnActivation::kGeluTanh;
  c.post_norms = true;
  c.window_layers = ModelConfig::WindowLayers::kEven;
  c.attn_softcap = 50.0f;
  c.final_softcap = 30.0f;
  c.sliding_window = 4096;
}

void read_keys(ConfigReader& r, ModelConfig& c) {
  c.embedding_scale = std::sqrt(static_cast<float>(c.n_embd));
  c.attn_softcap = r.get_float("attn_logit_softcapping", 50.0f);
  c.final_softcap = r.get_float("final_logit_softcapping", 30.0f);
  c.sliding_window = r.get_int("attention.sliding_window", 4096);
  if (c.attention_scale == 0.0f) {
    float scalar = static_cast<float>(c.n_layer == kGemma2_27bLayers && c.n_head > 0 ? c.n_embd / c.n_head
                                                                                     : c.head_dim);
    scalar = r.get_float("attention.query_pre_attn_scalar", scalar);
    if (!(scalar > 0.0f)) r.fail("gemma2.attention.query_pre_attn_scalar must be positive");
    c.attention_scale = 1.0f / std::sqrt(scalar);
  }
}

void write_keys(const ModelConfig& c, gguf::GgufWriter& w) {
  w.set_f32("gemma2.attn_logit_softcapping", c.attn_softcap);
  w.set_f32("gemma2.final_logit_softcapping", c.final_softcap);
}

}  // namespace

const ArchSpec kGemma2Arch = {"gemma2", set_defaults, read_keys, write_keys};

}  // namespace rightsize::model
