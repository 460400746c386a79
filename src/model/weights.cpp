// Binding GGUF tensors to the weight structs, with shape and type checks.
#include "model/weights.h"

#include <cstring>
#include <string>

#include "kernels/quant_types.h"
#include "util/error.h"

namespace rightsize::model {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

class Binder {
 public:
  Binder(const gguf::GgufFile& file, ModelWeights& w) : file_(file), w_(w) {}

  kernels::MatrixView matrix(const std::string& name, int64_t n_in, int64_t n_out,
                             bool required = true) {
    const gguf::TensorInfo* t = file_.find_tensor(name);
    if (t == nullptr) {
      if (required) problem("missing tensor '" + name + "' (expected shape " +
                            shape_str({n_in, n_out}) + ")");
      return {};
    }
    if (t->shape.size() != 2 || t->shape[0] != n_in || t->shape[1] != n_out) {
      problem("tensor '" + name + "' has shape " + shape_str(t->shape) + ", expected " +
              shape_str({n_in, n_out}));
      return {};
    }
    const kernels::TypeTraits* tt = kernels::find_traits(t->type);
    if (tt == nullptr || tt->vec_dot == nullptr) {
      problem("tensor '" + name + "' has type " + type_name(t->type) +
              ", which is not supported for weight matrices");
      return {};
    }
    kernels::MatrixView m;
    m.type = tt->type;
    m.n_in = n_in;
    m.n_out = n_out;
    m.data = t->data;
    m.row_bytes = kernels::row_size(tt->type, n_in);
    return m;
  }

  VectorView vector(const std::string& name, int64_t n, bool required = true) {
    const gguf::TensorInfo* t = file_.find_tensor(name);
    if (t == nullptr) {
      if (required) problem("missing tensor '" + name + "' (expected shape [" +
                            std::to_string(n) + "])");
      return {};
    }
    if (t->n_elements() != n || (t->shape.size() != 1 && t->shape[0] != n)) {
      problem("tensor '" + name + "' has shape " + shape_str(t->shape) + ", expected [" +
              std::to_string(n) + "]");
      return {};
    }
    // 1-D tensors are copied: they are tiny, and reading them from the mapping on every forward
    // would keep faulting in the (large) page-cache folios around them, whose other pages belong
    // to matrices that were repacked and released.
    if (t->type == static_cast<uint32_t>(kernels::QuantType::F32)) {
      auto& copy = w_.owned.emplace_back(static_cast<size_t>(n));
      std::memcpy(copy.data(), t->data, sizeof(float) * static_cast<size_t>(n));
      return {copy.data(), n};
    }
    const kernels::TypeTraits* tt = kernels::find_traits(t->type);
    if (tt == nullptr || tt->to_float == nullptr || n % tt->block_size != 0) {
      problem("tensor '" + name + "' has type " + type_name(t->type) +
              ", which is not supported for a vector");
      return {};
    }
    auto& copy = w_.owned.emplace_back(static_cast<size_t>(n));
    tt->to_float(t->data, copy.data(), n);
    return {copy.data(), n};
  }

  void problem(const std::string& p) {
    if (++n_problems_ <= kMaxListed) problems_ += "\n  - " + p;
  }
  void finish(const ModelConfig& c) {
    if (n_problems_ == 0) return;
    if (n_problems_ > kMaxListed)
      problems_ += "\n  ... and " + std::to_string(n_problems_ - kMaxListed) + " more";
    throw Error(file_.path() + ": the tensors do not match a '" + c.arch + "' model with n_embd " +
                std::to_string(c.n_embd) + ", " + std::to_string(c.n_layer) + " layers:" +
                problems_);
  }

 private:
  static constexpr int kMaxListed = 20;
  static std::string type_name(uint32_t id) {
    const kernels::TypeTraits* tt = kernels::find_traits(id);
    return tt != nullptr ? tt->name : "id " + std::to_string(id);
  }
  const gguf::GgufFile& file_;
  ModelWeights& w_;
  std::string problems_;
  int n_problems_ = 0;
};

}  // namespace

ModelWeights bind_weights(const gguf::GgufFile& file, const ModelConfig& c) {
  ModelWeights w;
  Binder b(file, w);
  w.token_embd = b.matrix("token_embd.weight", c.n_embd, c.n_vocab);
  w.output_norm = b.vector("output_norm.weight", c.n_embd);
  if (file.find_tensor("output.weight") != nullptr) {
    w.output = b.matrix("output.weight", c.n_embd, c.n_vocab);
  } else {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  const int64_t n_pairs = c.n_rot / 2;
  w.rope_freqs = b.vector("rope_freqs.weight", n_pairs, false);
  w.rope_factors_long = b.vector("rope_factors_long.weight", n_pairs, false);
  w.rope_factors_short = b.vector("rope_factors_short.weight", n_pairs, false);

  w.layers.resize(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    LayerWeights& l = w.layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.attn_norm = b.vector(p + "attn_norm.weight", c.n_embd);
    if (c.fused_qkv && file.find_tensor(p + "attn_qkv.weight") != nullptr) {
      l.wqkv = b.matrix(p + "attn_qkv.weight", c.n_embd, c.n_embd_q() + c.n_embd_k() + c.n_embd_v());
    } else {
      l.wq = b.matrix(p + "attn_q.weight", c.n_embd, c.n_embd_q());
      l.wk = b.matrix(p + "attn_k.weight", c.n_embd, c.n_embd_k());
      l.wv = b.matrix(p + "attn_v.weight", c.n_embd, c.n_embd_v());
      l.bq = b.vector(p + "attn_q.bias", c.n_embd_q(), c.qkv_bias_required);
      l.bk = b.vector(p + "attn_k.bias", c.n_embd_k(), c.qkv_bias_required);
      l.bv = b.vector(p + "attn_v.bias", c.n_embd_v(), c.qkv_bias_required);
    }
    l.wo = b.matrix(p + "attn_output.weight", c.n_embd_q(), c.n_embd);
    if (c.post_norms) {
      l.post_attn_norm = b.vector(p + "post_attention_norm.weight", c.n_embd);
      l.post_ffw_norm = b.vector(p + "post_ffw_norm.weight", c.n_embd);
    }
    l.ffn_norm = b.vector(p + "ffn_norm.weight", c.n_embd);
    if (c.fused_gate_up && file.find_tensor(p + "ffn_gate.weight") == nullptr) {
      l.w_up = b.matrix(p + "ffn_up.weight", c.n_embd, 2 * c.n_ff);
    } else {
      l.w_gate = b.matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff);
      l.w_up = b.matrix(p + "ffn_up.weight", c.n_embd, c.n_ff);
    }
    l.w_down = b.matrix(p + "ffn_down.weight", c.n_ff, c.n_embd);
  }
  b.finish(c);
  return w;
}

uint64_t weight_bytes(const gguf::GgufFile& file) {
  uint64_t total = 0;
  for (const auto& t : file.tensors()) total += t.n_bytes;
  return total;
}

}  // namespace rightsize::model
