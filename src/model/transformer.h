// The forward pass shared by every architecture: one pre-norm decoder block driven by
// ModelConfig, over a batch of tokens from one or more sequences, with a KV cache.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/matmul.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "util/thread_pool.h"

namespace rightsize::model {

// One token of a batch: its id, its position in its sequence, the sequence slot, and whether
// the caller wants its logits.
struct BatchToken {
  int32_t token = 0;
  int32_t pos = 0;
  int32_t seq = 0;
  bool logits = false;
};

class Transformer {
 public:
  // Sizes the KV cache for n_ctx positions in each of n_seq sequence slots. A batch is
  // evaluated in chunks of at most max_batch tokens, which bounds the activation memory.
  static constexpr int64_t kDefaultMaxBatch = 512;
  // kv_type: how keys and values are stored (F32 unless memory or long contexts call for less).
  Transformer(const Model& model, int64_t n_ctx, int n_seq, ThreadPool& pool,
              int64_t max_batch = kDefaultMaxBatch, KvType kv_type = KvType::F32);

  // Evaluates the batch; returns the logits of the tokens that asked for them, in batch
  // order, n_vocab floats each. A token attends to positions 0..pos of its own sequence,
  // which must already be in the cache or earlier in this batch.
  // Raises Error for a token id or position out of range.
  std::span<const float> forward(std::span<const BatchToken> batch);

  // Convenience: the tokens of one sequence at consecutive positions from pos0; all_logits
  // selects every row, otherwise only the last.
  std::span<const float> forward(std::span<const int32_t> tokens, int32_t pos0, bool all_logits,
                                 int seq = 0);

  const ModelConfig& config() const { return config_; }
  int64_t n_ctx() const { return kv_.n_ctx(); }
  const KvCache& kv_cache() const { return kv_; }
  // See KvCache::copy_prefix: sequence dst continues from src's first n_pos positions.
  void copy_prefix(int src, int dst, int64_t n_pos, int64_t src_len) {
    kv_.copy_prefix(src, dst, n_pos, src_len);
  }
  int64_t max_batch() const { return max_batch_; }

 private:
  void forward_chunk(std::span<const BatchToken> batch);
  void resize_scratch(int64_t n_tokens);
  void attention(int64_t layer, std::span<const BatchToken> batch);
  const float* rope_factors() const;

  const ModelConfig& config_;
  const ModelWeights& w_;
  ThreadPool& pool_;
  int64_t max_batch_;
  KvCache kv_;
  kernels::MatmulScratch mm_;

  // Activations, [n_tokens, width] row-major; sized for the largest batch seen.
  int64_t capacity_ = 0;
  std::vector<float> x_;      // residual stream [n_tokens, n_embd]
  std::vector<float> h_;      // normed input [n_tokens, n_embd]
  std::vector<float> q_;      // [n_tokens, n_embd_q]
  std::vector<float> k_;      // [n_tokens, n_embd_k]
  std::vector<float> v_;      // [n_tokens, n_embd_v]
  std::vector<float> qkv_;    // fused projection [n_tokens, n_embd_q + n_embd_k + n_embd_v]
  std::vector<float> attn_;   // attention output [n_tokens, n_embd_q]
  std::vector<float> o_;      // block output [n_tokens, n_embd]
  std::vector<float> gate_;   // [n_tokens, n_ff] (or [n_tokens, 2 n_ff] fused)
  std::vector<float> up_;     // [n_tokens, n_ff]
  std::vector<float> act_;    // [n_tokens, n_ff]
  std::vector<float> rope_;   // per-token cos/sin table [n_tokens, n_rot]
  std::vector<std::vector<float>> attn_scratch_;  // per-thread scratch of the attention kernel
  struct QueryBlock {
    int64_t first;  // batch index of the first query
    int64_t count;  // consecutive positions of one sequence
  };
  std::vector<QueryBlock> query_blocks_;
  std::vector<float> out_h_;  // final-normed rows that want logits [n_out, n_embd]
  std::vector<float> logits_; // [n_out, n_vocab]
  std::vector<BatchToken> single_seq_batch_;  // the batch built by the one-sequence forward()
};

}  // namespace rightsize::model
