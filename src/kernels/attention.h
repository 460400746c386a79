// Fused attention over a KV cache: all query heads that share one KV head (a GQA group), for a
// block of consecutive query positions of one sequence, against keys and values stored as F32,
// F16 or Q8_0. Scores are never materialized for the whole context: keys are visited in blocks
// with a streaming (online) softmax, so each K/V row is read and converted once per call.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace rightsize::kernels {

// How the cache stores one head's row of head_dim keys or values.
enum class KvType : uint8_t {
  F32,   // 4 bytes per element
  F16,   // IEEE half, 2 bytes
  Q8_0,  // BlockQ8_0 per 32 elements (34 bytes): head_dim must be a multiple of 32
};
const char* kv_type_name(KvType t);                          // "f32", "f16", "q8_0"
std::optional<KvType> kv_type_from_name(std::string_view s);  // case-insensitive; nullopt if unknown
// Bytes of one head's row of head_dim elements (head_dim % 32 == 0 for Q8_0).
int64_t kv_head_bytes(KvType t, int64_t head_dim);
// Stores n floats (n % 32 == 0 for Q8_0) as type t at dst.
void kv_store_row(KvType t, const float* src, void* dst, int64_t n);

// One KV head of one sequence in the cache. Position p's key is the head row at
// k + (p mod capacity) * stride bytes (its value likewise at v): a plain array when capacity
// covers the context, a ring for sliding-window layers.
struct KvHeadView {
  const void* k = nullptr;
  const void* v = nullptr;
  int64_t stride = 0;    // bytes from one cell to the next
  int64_t capacity = 0;  // cells
  KvType type = KvType::F32;
};

struct AttentionShape {
  int64_t head_dim = 0;  // of queries, keys and values
  int64_t group = 1;     // query heads sharing the KV head
  float scale = 1.0f;    // applied to q . k before the cap
  float softcap = 0.0f;  // 0 = none, else s = softcap * tanh(s / softcap)
  int64_t window = 0;    // 0 = none, else a query at p sees keys p - window + 1 .. p
};

// For the n_q queries at positions pos0 .. pos0 + n_q - 1 and each of their `group` heads:
//   out = softmax_j(cap(q . k_j * scale)) . v_j   over the keys j the query may see (causal,
// windowed), which must all be in the cache. Head g of query i is read at
// q + i * q_stride + g * head_dim and written at out + i * out_stride + g * head_dim.
// scratch is grown as needed and may be reused across calls (one per thread).
void attend_group(const AttentionShape& shape, const KvHeadView& kv, int64_t pos0, int64_t n_q,
                  const float* q, int64_t q_stride, float* out, int64_t out_stride,
                  std::vector<float>& scratch);

// The scalar twin: each query row on its own, two-pass softmax with std::exp, for tests and as
// the reference the SIMD version is held to.
void attend_group_scalar(const AttentionShape& shape, const KvHeadView& kv, int64_t pos0,
                         int64_t n_q, const float* q, int64_t q_stride, float* out,
                         int64_t out_stride);

}  // namespace rightsize::kernels
