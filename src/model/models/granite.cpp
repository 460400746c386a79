// `granite`: Granite 3.x dense. The llama block with four multipliers: embeddings ×
// embedding_scale, each branch × residual_scale before its residual add, kq scale =
// attention.scale (read with the common keys), logits ÷ logit_scale.
#include "model/arch_registry.h"

namespace rightsize::model {
namespace {
void set_defaults(ModelConfig& c) {
  c.rope_type = kernels::RopeType::kNorm;
  c.ffn_activation = FfnActivation::kSilu;
}

void read_keys(ConfigReader& r, ModelConfig& c) {
  c.embedding_scale = r.get_float("embedding_scale", 1.0f);
  c.residual_scale = r.get_float("residual_scale", 1.0f);
  c.logit_scale = r.get_float("logit_scale", 1.0f);
  if (!(c.logit_scale > 0.0f)) r.fail("granite.logit_scale must be positive");
}

void write_keys(const ModelConfig& c, gguf::GgufWriter& w) {
  w.set_f32("granite.embedding_scale", c.embedding_scale);
  w.set_f32("granite.residual_scale", c.residual_scale);
  w.set_f32("granite.logit_scale", c.logit_scale);
}
}  // namespace

const ArchSpec kGraniteArch = {"granite", set_defaults, read_keys, write_keys};

}  // namespace rightsize::model
