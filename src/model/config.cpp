// Filling and validating ModelConfig from GGUF metadata.
#include "model/config.h"

#include <cmath>

#include "model/arch_registry.h"
#include "util/error.h"

namespace rightsize::model {

float ModelConfig::kq_scale() const {
  return attention_scale != 0.0f ? attention_scale
                                 : 1.0f / std::sqrt(static_cast<float>(head_dim));
}

bool ModelConfig::layer_uses_window(int64_t layer) const {
  if (sliding_window <= 0) return false;
  return window_layers == WindowLayers::kAll || layer % 2 == 0;
}

int64_t ConfigReader::require_int(const char* suffix) {
  const std::string k = key(suffix);
  try {
    if (auto v = file_.get_int(k)) return *v;
  } catch (const Error& e) {
    fail(e.what());
    return 0;
  }
  fail("missing key '" + k + "'");
  return 0;
}

int64_t ConfigReader::get_int(const char* suffix, int64_t fallback) {
  try {
    if (auto v = file_.get_int(key(suffix))) return *v;
  } catch (const Error& e) {
    fail(e.what());
  }
  return fallback;
}

float ConfigReader::get_float(const char* suffix, float fallback) {
  try {
    if (auto v = file_.get_float(key(suffix))) return static_cast<float>(*v);
  } catch (const Error& e) {
    fail(e.what());
  }
  return fallback;
}

bool ConfigReader::has(const char* suffix) const { return file_.find(key(suffix)) != nullptr; }

void ConfigReader::fail(const std::string& message) { errors_ += "\n  - " + message; }

ModelConfig load_config(const gguf::GgufFile& file) {
  ModelConfig c;
  auto arch = file.get_string("general.architecture");
  if (!arch) throw Error(file.path() + ": missing key 'general.architecture'");
  c.arch = *arch;
  const ArchSpec* spec = find_arch(c.arch);
  if (spec == nullptr) {
    std::string list;
    for (const auto& a : supported_archs()) list += (list.empty() ? "" : ", ") + a;
    throw Error(file.path() + ": architecture '" + c.arch + "' is not supported (supported: " +
                list + ")");
  }
  if (auto n = file.get_string("general.name")) c.name = *n;

  ConfigReader r(file, c.arch);
  c.n_embd = r.require_int("embedding_length");
  c.n_layer = r.require_int("block_count");
  c.n_head = r.require_int("attention.head_count");
  c.n_head_kv = r.get_int("attention.head_count_kv", c.n_head);
  c.n_ff = r.require_int("feed_forward_length");
  c.n_ctx_train = r.get_int("context_length", 0);
  c.rms_eps = r.get_float("attention.layer_norm_rms_epsilon", 1e-5f);
  c.head_dim = r.get_int("attention.key_length", c.n_head > 0 ? c.n_embd / c.n_head : 0);
  c.head_dim_v = r.get_int("attention.value_length", c.head_dim);
  c.n_rot = r.get_int("rope.dimension_count", c.head_dim);
  c.rope_freq_base = r.get_float("rope.freq_base", 10000.0f);
  const float rope_factor = r.get_float("rope.scaling.factor", 0.0f);
  if (auto type = file.get_string(c.arch + ".rope.scaling.type")) {
    if (*type == "linear" && rope_factor > 0.0f) {
      c.rope_freq_scale = 1.0f / rope_factor;
    } else if (*type != "none" && *type != "linear") {
      r.fail("rope scaling type '" + *type + "' (" + c.arch +
             ".rope.scaling.type) is not supported yet");
    }
  }
  c.rope_attn_factor = r.get_float("rope.scaling.attn_factor", 1.0f);
  c.rope_orig_ctx = r.get_int("rope.scaling.original_context_length", 0);
  c.attention_scale = r.get_float("attention.scale", 0.0f);
  c.sliding_window = r.get_int("attention.sliding_window", 0);

  // Vocabulary size: the explicit key, else the token list (the embedding tensor is checked
  // against it when the weights are bound).
  c.n_vocab = r.get_int("vocab_size", 0);
  if (c.n_vocab == 0) {
    if (const gguf::Array* tokens = file.get_array("tokenizer.ggml.tokens")) {
      c.n_vocab = static_cast<int64_t>(tokens->size());
    } else if (const gguf::TensorInfo* t = file.find_tensor("token_embd.weight");
               t != nullptr && t->shape.size() == 2) {
      c.n_vocab = t->shape[1];
    }
  }

  spec->set_defaults(c);
  if (spec->read_keys != nullptr) spec->read_keys(r, c);

  auto positive = [&](int64_t v, const char* what) {
    if (v <= 0) r.fail(std::string(what) + " must be positive, got " + std::to_string(v));
  };
  positive(c.n_embd, "embedding_length");
  positive(c.n_layer, "block_count");
  positive(c.n_head, "attention.head_count");
  positive(c.n_head_kv, "attention.head_count_kv");
  positive(c.n_ff, "feed_forward_length");
  positive(c.head_dim, "attention.key_length");
  positive(c.head_dim_v, "attention.value_length");
  positive(c.n_vocab, "vocabulary size");
  if (c.n_head > 0 && c.n_head_kv > 0 && c.n_head % c.n_head_kv != 0)
    r.fail("attention.head_count (" + std::to_string(c.n_head) +
           ") is not a multiple of attention.head_count_kv (" + std::to_string(c.n_head_kv) + ")");
  if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0)
    r.fail("rope.dimension_count " + std::to_string(c.n_rot) +
           " must be even and within the head dimension " + std::to_string(c.head_dim));
  if (c.head_dim_v != c.head_dim)
    r.fail("attention.value_length " + std::to_string(c.head_dim_v) +
           " differs from key_length " + std::to_string(c.head_dim) + ": not supported");
  if (!(c.rms_eps > 0.0f) || !std::isfinite(c.rms_eps))
    r.fail("attention.layer_norm_rms_epsilon must be a positive number");
  if (!(c.rope_freq_base > 0.0f) || !std::isfinite(c.rope_freq_base))
    r.fail("rope.freq_base must be a positive number");
  // Guard against absurd shapes before anything is sized from them.
  constexpr int64_t kMaxDim = int64_t{1} << 20;
  for (auto [v, what] : {std::pair{c.n_embd, "embedding_length"}, {c.n_layer, "block_count"},
                         {c.n_head, "attention.head_count"}, {c.n_ff, "feed_forward_length"},
                         {c.head_dim, "attention.key_length"}}) {
    if (v > kMaxDim) r.fail(std::string(what) + " " + std::to_string(v) + " is implausibly large");
  }
  if (c.sliding_window < 0) r.fail("attention.sliding_window must not be negative");
  if (!r.errors().empty())
    throw Error(file.path() + ": invalid model configuration (" + c.arch + "):" + r.errors());
  return c;
}

}  // namespace rightsize::model
