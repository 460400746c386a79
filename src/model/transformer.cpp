// The decoder forward pass. Per layer:
//   h = RMSNorm(x);  q, k, v = Wq h (+bq), Wk h (+bk), Wv h (+bv);  RoPE(q, k);  cache k, v
//   a = Wo · softmax(cap(q·k * scale) + mask) · v;  [a = RMSNorm_post(a)];  x += rs · a
//   h = RMSNorm(x);  f = Wdown (act(Wgate h) ⊙ Wup h);  [f = RMSNorm_post(f)];  x += rs · f
// then logits = Wout RMSNorm(x) / logit_scale, optionally soft-capped.
#include "model/transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace rightsize::model {

using kernels::matmul;

Transformer::Transformer(const Model& model, int64_t n_ctx, int n_seq, ThreadPool& pool,
                         int64_t max_batch, KvType kv_type)
    : config_(model.config()),
      w_(model.weights()),
      pool_(pool),
      max_batch_(max_batch),
      kv_(model.config(), n_ctx, n_seq, max_batch, kv_type),
      attn_scratch_(static_cast<size_t>(pool.size())) {}

void Transformer::resize_scratch(int64_t n) {
  if (n <= capacity_) return;
  const ModelConfig& c = config_;
  auto size = [n](std::vector<float>& v, int64_t width) { v.resize(static_cast<size_t>(n * width)); };
  size(x_, c.n_embd);
  size(h_, c.n_embd);
  size(q_, c.n_embd_q());
  size(k_, c.n_embd_k());
  size(v_, c.n_embd_v());
  if (c.fused_qkv) size(qkv_, c.n_embd_q() + c.n_embd_k() + c.n_embd_v());
  size(attn_, c.n_embd_q());
  size(o_, c.n_embd);
  size(gate_, c.fused_gate_up ? 2 * c.n_ff : c.n_ff);
  size(up_, c.n_ff);
  size(act_, c.n_ff);
  size(rope_, c.n_rot);
  capacity_ = n;
}

const float* Transformer::rope_factors() const {
  if (!w_.rope_factors_long.empty() || !w_.rope_factors_short.empty()) {
    // LongRoPE: the long factors when the configured context exceeds the original one.
    const bool use_long = config_.rope_orig_ctx > 0 && kv_.n_ctx() > config_.rope_orig_ctx;
    const VectorView& f = use_long ? w_.rope_factors_long : w_.rope_factors_short;
    if (!f.empty()) return f.data;
  }
  return w_.rope_freqs.empty() ? nullptr : w_.rope_freqs.data;
}

std::span<const float> Transformer::forward(std::span<const int32_t> tokens, int32_t pos0,
                                            bool all_logits, int seq) {
  // A member buffer, so a decode step allocates nothing.
  single_seq_batch_.resize(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    single_seq_batch_[i] = {tokens[i], pos0 + static_cast<int32_t>(i), seq,
                            all_logits || i + 1 == tokens.size()};
  }
  return forward(single_seq_batch_);
}

std::span<const float> Transformer::forward(std::span<const BatchToken> batch) {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  if (n == 0) return {};
  for (int64_t i = 0; i < n; ++i) {
    const BatchToken& b = batch[static_cast<size_t>(i)];
    if (b.token < 0 || b.token >= c.n_vocab)
      throw Error("token " + std::to_string(i) + " of the batch has id " + std::to_string(b.token) +
                  ", outside the vocabulary [0, " + std::to_string(c.n_vocab) + ")");
    if (b.pos < 0 || b.pos >= kv_.n_ctx())
      throw Error("token " + std::to_string(i) + " of the batch is at position " +
                  std::to_string(b.pos) + ", outside the context of " +
                  std::to_string(kv_.n_ctx()) + " positions");
    if (b.seq < 0 || b.seq >= kv_.n_seq())
      throw Error("token " + std::to_string(i) + " of the batch names sequence " +
                  std::to_string(b.seq) + ", but there are " + std::to_string(kv_.n_seq()));
  }
  logits_.clear();
  for (int64_t start = 0; start < n; start += max_batch_) {
    const int64_t len = std::min(max_batch_, n - start);
    forward_chunk(batch.subspan(static_cast<size_t>(start), static_cast<size_t>(len)));
  }
  return logits_;
}

void Transformer::forward_chunk(std::span<const BatchToken> batch) {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  resize_scratch(n);
  const int64_t E = c.n_embd;

  // Embeddings.
  for (int64_t i = 0; i < n; ++i) {
    float* xi = x_.data() + i * E;
    kernels::dequantize_row(w_.token_embd, batch[static_cast<size_t>(i)].token, xi);
    if (c.embedding_scale != 1.0f)
      for (int64_t j = 0; j < E; ++j) xi[j] *= c.embedding_scale;
  }
  // Rotation tables, one per token.
  const float* factors = rope_factors();
  for (int64_t i = 0; i < n; ++i) {
    kernels::rope_cache(batch[static_cast<size_t>(i)].pos, c.n_rot, c.rope_freq_base,
                        c.rope_freq_scale, c.rope_attn_factor, factors,
                        rope_.data() + i * c.n_rot);
  }

  auto norm_rows = [&](const float* in, const VectorView& weight, float* out) {
    for (int64_t i = 0; i < n; ++i) kernels::rms_norm(in + i * E, weight.data, E, c.rms_eps, out + i * E);
  };
  auto add_bias = [&](float* rows, int64_t width, const VectorView& bias) {
    if (bias.empty()) return;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < width; ++j) rows[i * width + j] += bias.data[j];
  };
  auto residual_add = [&](const float* branch) {
    for (int64_t i = 0; i < n * E; ++i) x_[static_cast<size_t>(i)] += c.residual_scale * branch[i];
  };

  for (int64_t il = 0; il < c.n_layer; ++il) {
    const LayerWeights& l = w_.layers[static_cast<size_t>(il)];

    // Attention.
    norm_rows(x_.data(), l.attn_norm, h_.data());
    const int64_t nq = c.n_embd_q(), nk = c.n_embd_k(), nv = c.n_embd_v();
    if (!l.wqkv.empty()) {
      matmul(l.wqkv, h_.data(), n, qkv_.data(), pool_, mm_);
      const int64_t width = nq + nk + nv;
      for (int64_t i = 0; i < n; ++i) {
        const float* row = qkv_.data() + i * width;
        std::memcpy(q_.data() + i * nq, row, sizeof(float) * static_cast<size_t>(nq));
        std::memcpy(k_.data() + i * nk, row + nq, sizeof(float) * static_cast<size_t>(nk));
        std::memcpy(v_.data() + i * nv, row + nq + nk, sizeof(float) * static_cast<size_t>(nv));
      }
    } else {
      const kernels::MatmulOutput qkv[] = {{&l.wq, q_.data()}, {&l.wk, k_.data()}, {&l.wv, v_.data()}};
      kernels::matmul_shared_input(qkv, h_.data(), n, pool_, mm_);
      add_bias(q_.data(), nq, l.bq);
      add_bias(k_.data(), nk, l.bk);
      add_bias(v_.data(), nv, l.bv);
    }
    for (int64_t i = 0; i < n; ++i) {
      const float* cs = rope_.data() + i * c.n_rot;
      kernels::rope_apply(q_.data() + i * nq, c.n_head, c.head_dim, c.n_rot, c.rope_type, cs);
      kernels::rope_apply(k_.data() + i * nk, c.n_head_kv, c.head_dim, c.n_rot, c.rope_type, cs);
      const BatchToken& b = batch[static_cast<size_t>(i)];
      kv_.store(il, b.seq, b.pos, k_.data() + i * nk, v_.data() + i * nv);
    }
    attention(il, batch);
    matmul(l.wo, attn_.data(), n, o_.data(), pool_, mm_);
    if (c.post_norms) norm_rows(o_.data(), l.post_attn_norm, o_.data());
    residual_add(o_.data());

    // Feed-forward.
    norm_rows(x_.data(), l.ffn_norm, h_.data());
    const int64_t F = c.n_ff;
    const float* gate = nullptr;
    const float* up = nullptr;
    int64_t gate_stride = F;
    if (l.w_gate.empty()) {  // fused: [gate | up] per row
      matmul(l.w_up, h_.data(), n, gate_.data(), pool_, mm_);
      gate = gate_.data();
      up = gate_.data() + F;
      gate_stride = 2 * F;
    } else {
      const kernels::MatmulOutput gate_up[] = {{&l.w_gate, gate_.data()}, {&l.w_up, up_.data()}};
      kernels::matmul_shared_input(gate_up, h_.data(), n, pool_, mm_);
      gate = gate_.data();
      up = up_.data();
    }
    for (int64_t i = 0; i < n; ++i) {
      if (c.ffn_activation == FfnActivation::kSilu) {
        kernels::silu_mul(gate + i * gate_stride, up + i * gate_stride, F, act_.data() + i * F);
      } else {
        kernels::gelu_tanh_mul(gate + i * gate_stride, up + i * gate_stride, F, act_.data() + i * F);
      }
    }
    matmul(l.w_down, act_.data(), n, o_.data(), pool_, mm_);
    if (c.post_norms) norm_rows(o_.data(), l.post_ffw_norm, o_.data());
    residual_add(o_.data());
  }

  // Output head, only for the rows that want logits.
  int64_t n_out = 0;
  for (const BatchToken& b : batch) n_out += b.logits ? 1 : 0;
  out_h_.resize(static_cast<size_t>(n_out * E));
  const size_t first_logit = logits_.size();
  logits_.resize(first_logit + static_cast<size_t>(n_out * c.n_vocab));
  float* out_logits = logits_.data() + first_logit;
  const int64_t n_logits = n_out * c.n_vocab;
  for (int64_t i = 0, o = 0; i < n; ++i) {
    if (!batch[static_cast<size_t>(i)].logits) continue;
    kernels::rms_norm(x_.data() + i * E, w_.output_norm.data, E, c.rms_eps, out_h_.data() + o * E);
    ++o;
  }
  if (n_out > 0) {
    matmul(w_.output, out_h_.data(), n_out, out_logits, pool_, mm_);
    if (c.logit_scale != 1.0f) {
      const float inv = 1.0f / c.logit_scale;
      for (int64_t i = 0; i < n_logits; ++i) out_logits[i] *= inv;
    }
    if (c.final_softcap > 0.0f) kernels::softcap(out_logits, n_logits, c.final_softcap);
  }
}

void Transformer::attention(int64_t il, std::span<const BatchToken> batch) {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t group = c.n_head / c.n_head_kv;
  const int64_t nq = c.n_embd_q();
  const int64_t hd = c.head_dim;
  const kernels::AttentionShape shape{hd, group, c.kq_scale(), c.attn_softcap,
                                      c.layer_uses_window(il) ? c.sliding_window : 0};
  // Query blocks: runs of consecutive positions of one sequence, cut so that a block has about
  // kRows query rows (positions x group heads). Each K/V row is then converted and loaded once
  // per block for all of them; more rows would spill the kernel's transposed tiles out of L1/L2.
  constexpr int64_t kRows = 64;
  const int64_t max_q = std::max<int64_t>(1, kRows / group);
  query_blocks_.clear();
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && j - i < max_q && batch[static_cast<size_t>(j)].seq == batch[static_cast<size_t>(i)].seq &&
           batch[static_cast<size_t>(j)].pos == batch[static_cast<size_t>(j - 1)].pos + 1)
      ++j;
    query_blocks_.push_back({i, j - i});
    i = j;
  }
  const int64_t n_blocks = static_cast<int64_t>(query_blocks_.size());
  // Items are KV-head major, so the blocks one thread takes in a row share that head's rows
  // in its cache.
  auto work = [&](int64_t begin, int64_t end, int thread) {
    std::vector<float>& scratch = attn_scratch_[static_cast<size_t>(thread)];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t hkv = item / n_blocks;
      const QueryBlock& qb = query_blocks_[static_cast<size_t>(item % n_blocks)];
      const BatchToken& b = batch[static_cast<size_t>(qb.first)];
      const int64_t at = qb.first * nq + hkv * group * hd;
      kernels::attend_group(shape, kv_.head_view(il, b.seq, hkv), b.pos, qb.count, q_.data() + at, nq,
                            attn_.data() + at, nq, scratch);
    }
  };
  // Short contexts are a few microseconds of work: not worth waking the pool.
  int64_t macs = 0;
  for (const BatchToken& b : batch) macs += (b.pos + 1) * c.n_head * hd * 2;
  if (macs < (int64_t{1} << 17)) {
    work(0, n_blocks * c.n_head_kv, 0);
  } else {
    pool_.parallel_for(n_blocks * c.n_head_kv, work);
  }
}

}  // namespace rightsize::model
