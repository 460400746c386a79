// ModelConfig: every hyperparameter of a model, filled from GGUF keys in one place and
// validated once at load. The forward pass reads only this struct, never the file.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf_file.h"
#include "kernels/ops.h"

namespace rightsize::model {

enum class FfnActivation { kSilu, kGeluTanh };

// Dimension glossary (used everywhere): n_embd model width; n_head query heads; n_head_kv
// key/value heads; head_dim per-head width of q and k; head_dim_v of v; n_ff feed-forward
// width; n_vocab vocabulary size; n_ctx context length; n_tokens tokens in a batch.
struct ModelConfig {
  std::string arch;  // general.architecture
  std::string name;  // general.name, if any

  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;    // attention.key_length, default n_embd / n_head
  int64_t head_dim_v = 0;  // attention.value_length, default head_dim
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;
  float rms_eps = 1e-5f;

  // Rotary embeddings.
  kernels::RopeType rope_type = kernels::RopeType::kNorm;
  int64_t n_rot = 0;  // rope.dimension_count, default head_dim
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;   // 1 / rope.scaling.factor for linear scaling
  float rope_attn_factor = 1.0f;  // multiplies cos/sin (LongRoPE)
  int64_t rope_orig_ctx = 0;      // rope.scaling.original_context_length, 0 if unset

  // Scales (granite's multipliers; gemma's sqrt(n_embd) embedding scale).
  float embedding_scale = 1.0f;
  float residual_scale = 1.0f;
  float attention_scale = 0.0f;  // kq scale; 0 means 1/sqrt(head_dim)
  float logit_scale = 1.0f;      // final logits are divided by it

  // Soft-capping (0 = off) and sliding-window attention.
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;
  int64_t sliding_window = 0;  // 0 = none; a query at p sees keys at p - window + 1 .. p
  enum class WindowLayers { kAll, kEven } window_layers = WindowLayers::kAll;

  // Block shape.
  FfnActivation ffn_activation = FfnActivation::kSilu;
  bool fused_qkv = false;      // one attn_qkv tensor (q, k, v rows in that order)
  bool fused_gate_up = false;  // ffn_up holds gate then up
  bool qkv_bias_required = false;
  bool post_norms = false;  // post_attention_norm / post_ffw_norm after each sub-block

  int64_t n_embd_q() const { return n_head * head_dim; }
  int64_t n_embd_k() const { return n_head_kv * head_dim; }
  int64_t n_embd_v() const { return n_head_kv * head_dim_v; }
  float kq_scale() const;
  bool layer_uses_window(int64_t layer) const;
};

// Reads the configuration from a GGUF file: common keys, then the architecture's own
// (see arch_registry.h). Raises Error listing every missing or invalid key.
ModelConfig load_config(const gguf::GgufFile& file);

// Reads `<arch>.<suffix>` keys, recording errors instead of throwing at the first one.
class ConfigReader {
 public:
  ConfigReader(const gguf::GgufFile& file, std::string arch) : file_(file), arch_(std::move(arch)) {}

  int64_t require_int(const char* suffix);
  int64_t get_int(const char* suffix, int64_t fallback);
  float get_float(const char* suffix, float fallback);
  bool has(const char* suffix) const;
  void fail(const std::string& message);

  const gguf::GgufFile& file() const { return file_; }
  const std::string& errors() const { return errors_; }

 private:
  std::string key(const char* suffix) const { return arch_ + "." + suffix; }
  const gguf::GgufFile& file_;
  std::string arch_;
  std::string errors_;
};

}  // namespace rightsize::model
