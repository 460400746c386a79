// Fused GQA attention with a streaming softmax. The SIMD version lays a block of query rows
// (the group's heads for a few consecutive positions) along the vector lanes: scores for one
// key are then a broadcast of each key element times a column of transposed queries, and the
// softmax bookkeeping (row max, row sum, rescale) is element-wise with no horizontal sums.
// Compiled once per Highway target (foreach_target); the scalar twin is at the bottom.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/attention.h"
#include "kernels/quant_blocks.h"
#include "util/fp16.h"

HWY_BEFORE_NAMESPACE();
namespace rightsize::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Keys per block of the streaming softmax: enough to amortize the per-block rescale, few
// enough that the block's converted K and V rows and its scores stay in L1.
constexpr int64_t kKeyBlock = 32;

// Converts one stored head row to floats. F32 rows are not copied (the caller reads them in
// place); F16 widens with the hardware conversion, Q8_0 widens int8 to float and scales.
template <class D>
void ConvertRow(D df, KvType type, const uint8_t* src, int64_t n, float* HWY_RESTRICT dst) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  if (type == KvType::F16) {
    const hn::Rebind<hwy::float16_t, D> dh;
    const auto* h = reinterpret_cast<const hwy::float16_t*>(src);
    int64_t i = 0;
    for (; i + lanes <= n; i += lanes) hn::StoreU(hn::PromoteTo(df, hn::LoadU(dh, h + i)), df, dst + i);
    for (; i < n; ++i) {
      uint16_t bits;
      std::memcpy(&bits, src + 2 * i, 2);
      dst[i] = fp16_to_f32(bits);
    }
    return;
  }
  // Q8_0: blocks of 32, so a whole number of vectors per block whenever lanes divides 32.
  const hn::Rebind<int8_t, D> d8;
  const hn::Rebind<int32_t, D> d32;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const uint8_t* blk = src + b * static_cast<int64_t>(sizeof(BlockQ8_0));
    uint16_t dbits;
    std::memcpy(&dbits, blk, 2);
    const float scale = fp16_to_f32(dbits);
    const auto* qs = reinterpret_cast<const int8_t*>(blk + 2);
    float* out = dst + b * kBlock32;
    if (kBlock32 % lanes == 0) {
      const auto vs = hn::Set(df, scale);
      for (int64_t j = 0; j < kBlock32; j += lanes)
        hn::StoreU(hn::Mul(hn::ConvertTo(df, hn::PromoteTo(d32, hn::LoadU(d8, qs + j))), vs), df, out + j);
    } else {
      for (int64_t j = 0; j < kBlock32; ++j) out[j] = static_cast<float>(qs[j]) * scale;
    }
  }
}

// Points krow/vrow at the key and value rows of positions kb..kb+nk-1 (ring addressing): the
// cache rows themselves for F32, else rows converted into kbuf/vbuf ([kKeyBlock][hd] each).
template <class D>
void GatherKeyBlock(D d, const KvHeadView& kv, int64_t hd, int64_t kb, int64_t nk, float* kbuf, float* vbuf,
                    const float** krow, const float** vrow) {
  const auto* kbase = static_cast<const uint8_t*>(kv.k);
  const auto* vbase = static_cast<const uint8_t*>(kv.v);
  int64_t cell = kb % kv.capacity;
  for (int64_t j = 0; j < nk; ++j) {
    const uint8_t* ks = kbase + cell * kv.stride;
    const uint8_t* vs = vbase + cell * kv.stride;
    if (kv.type != KvType::F32) {
      ConvertRow(d, kv.type, ks, hd, kbuf + j * hd);
      ConvertRow(d, kv.type, vs, hd, vbuf + j * hd);
      krow[j] = kbuf + j * hd;
      vrow[j] = vbuf + j * hd;
    } else {
      krow[j] = reinterpret_cast<const float*>(ks);
      vrow[j] = reinterpret_cast<const float*>(vs);
    }
    if (++cell == kv.capacity) cell = 0;
  }
}

// The lane sums of four vectors into out[0..3]. On fixed-width targets the four reductions
// share their steps: interleaving pairs adds within each 128-bit block, the blocks are then
// added through memory. Scalable vectors reduce one by one.
template <class D, class V>
HWY_INLINE void SumOfLanes4(D d, V a, V b, V c, V e, float* HWY_RESTRICT out) {
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR
  out[0] = hn::GetLane(hn::SumOfLanes(d, a));
  out[1] = hn::GetLane(hn::SumOfLanes(d, b));
  out[2] = hn::GetLane(hn::SumOfLanes(d, c));
  out[3] = hn::GetLane(hn::SumOfLanes(d, e));
#else
  const hn::Repartition<uint64_t, D> du;
  // Per block: ab = a0+a2, b0+b2, a1+a3, b1+b3 (and ce likewise).
  const auto ab = hn::Add(hn::InterleaveLower(d, a, b), hn::InterleaveUpper(d, a, b));
  const auto ce = hn::Add(hn::InterleaveLower(d, c, e), hn::InterleaveUpper(d, c, e));
  // Per block: the block sums of a, b, c, e.
  const auto s = hn::Add(hn::BitCast(d, hn::InterleaveLower(du, hn::BitCast(du, ab), hn::BitCast(du, ce))),
                         hn::BitCast(d, hn::InterleaveUpper(du, hn::BitCast(du, ab), hn::BitCast(du, ce))));
  constexpr size_t kMaxLanes = hn::MaxLanes(d);
  HWY_ALIGN float blocks[kMaxLanes];
  hn::Store(s, d, blocks);
  const hn::FixedTag<float, 4> d4;
  auto total = hn::Load(d4, blocks);
  for (size_t i = 4; i < hn::Lanes(d); i += 4) total = hn::Add(total, hn::Load(d4, blocks + i));
  hn::StoreU(total, d4, out);
#endif
}

// Few query rows (decode: one position's group of heads) would leave most lanes of the
// column layout idle, so each row takes whole vectors along head_dim instead: one horizontal sum
// per (row, key), and values accumulate as row += p * v_j. Requires head_dim % lanes == 0.
template <class D>
void AttendFewRows(D d, const AttentionShape& shape, const KvHeadView& kv, int64_t pos0, int64_t n_q,
                   const float* HWY_RESTRICT q, int64_t q_stride, float* HWY_RESTRICT out,
                   int64_t out_stride, std::vector<float>* scratch) {
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t hd = shape.head_dim;
  const int64_t group = shape.group;
  const int64_t rows = n_q * group;
  const bool convert = kv.type != KvType::F32;
  const int64_t kb_pad = (kKeyBlock + L - 1) / L * L;
  const size_t need = static_cast<size_t>(2 * rows * hd + rows * kb_pad + 2 * rows +
                                          (convert ? 2 * kKeyBlock * hd : 0));
  if (scratch->size() < need) scratch->resize(need);
  float* qs = scratch->data();        // [rows][hd], scaled
  float* acc = qs + rows * hd;        // [rows][hd]
  float* sc = acc + rows * hd;        // [rows][kb_pad]
  float* mx = sc + rows * kb_pad;     // [rows]
  float* sum = mx + rows;             // [rows]
  float* kbuf = sum + rows;
  float* vbuf = kbuf + kKeyBlock * hd;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r < rows; ++r) {
    const float* qr = q + (r / group) * q_stride + (r % group) * hd;
    for (int64_t k = 0; k < hd; ++k) qs[r * hd + k] = qr[k] * shape.scale;
    mx[r] = neg_inf;
    sum[r] = 0.0f;
  }
  std::fill(acc, acc + rows * hd, 0.0f);
  std::fill(sc, sc + rows * kb_pad, neg_inf);  // key slots past a short last block stay -inf

  const int64_t last = pos0 + n_q - 1;
  const int64_t first = shape.window > 0 ? std::max<int64_t>(0, pos0 - shape.window + 1) : 0;
  const float* krow[kKeyBlock];
  const float* vrow[kKeyBlock];
  for (int64_t kb = first; kb <= last; kb += kKeyBlock) {
    const int64_t nk = std::min(kKeyBlock, last - kb + 1);
    GatherKeyBlock(d, kv, hd, kb, nk, kbuf, vbuf, krow, vrow);
    // Scores, four keys at a time per row (four independent FMA chains, one merged horizontal
    // sum), then the causal/window mask and the soft cap per score.
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t pos = pos0 + r / group;
      const float* qr = qs + r * hd;
      float* srow = sc + r * kb_pad;
      int64_t j = 0;
      for (; j + 4 <= nk; j += 4) {
        auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
        const float* k0 = krow[j];
        const float* k1 = krow[j + 1];
        const float* k2 = krow[j + 2];
        const float* k3 = krow[j + 3];
        for (int64_t k = 0; k < hd; k += L) {
          const auto qv = hn::LoadU(d, qr + k);
          a0 = hn::MulAdd(qv, hn::LoadU(d, k0 + k), a0);
          a1 = hn::MulAdd(qv, hn::LoadU(d, k1 + k), a1);
          a2 = hn::MulAdd(qv, hn::LoadU(d, k2 + k), a2);
          a3 = hn::MulAdd(qv, hn::LoadU(d, k3 + k), a3);
        }
        SumOfLanes4(d, a0, a1, a2, a3, srow + j);
      }
      for (; j < nk; ++j) {
        auto a0 = hn::Zero(d);
        for (int64_t k = 0; k < hd; k += L) a0 = hn::MulAdd(hn::LoadU(d, qr + k), hn::LoadU(d, krow[j] + k), a0);
        srow[j] = hn::GetLane(hn::SumOfLanes(d, a0));
      }
      // Visible keys of this row: positions in (pos - window, pos], as block offsets.
      const int64_t vis_lo = shape.window > 0 ? pos - shape.window + 1 : 0;
      const int64_t jlo = std::clamp<int64_t>(vis_lo - kb, 0, nk);
      const int64_t jhi = std::clamp<int64_t>(pos - kb + 1, jlo, nk);
      std::fill(srow, srow + jlo, neg_inf);
      std::fill(srow + jhi, srow + nk, neg_inf);
      if (shape.softcap > 0.0f)
        for (j = jlo; j < jhi; ++j) srow[j] = shape.softcap * std::tanh(srow[j] / shape.softcap);
    }
    // Per row: streaming softmax over the block (exp across keys), then the values.
    for (int64_t r = 0; r < rows; ++r) {
      float* srow = sc + r * kb_pad;
      auto vmax = hn::Set(d, mx[r]);  // slots past nk hold -inf
      for (int64_t j = 0; j < kb_pad; j += L) vmax = hn::Max(vmax, hn::LoadU(d, srow + j));
      const float m_new = hn::GetLane(hn::MaxOfLanes(d, vmax));
      if (m_new == neg_inf) continue;  // nothing visible yet: nothing to add
      const float alpha = std::exp(mx[r] - m_new);  // 0 on the first visible block
      const auto vm = hn::Set(d, m_new);
      auto vs = hn::Zero(d);
      for (int64_t j = 0; j < kb_pad; j += L) {
        const auto p = hn::Exp(d, hn::Sub(hn::LoadU(d, srow + j), vm));
        hn::StoreU(p, d, srow + j);
        vs = hn::Add(vs, p);
      }
      sum[r] = sum[r] * alpha + hn::GetLane(hn::SumOfLanes(d, vs));
      mx[r] = m_new;
      // Values: four vectors of the row at a time, so four FMA chains run side by side (one
      // chain per vector was bound by the FMA latency).
      float* o = acc + r * hd;
      const auto va = hn::Set(d, alpha);
      int64_t k = 0;
      for (; k + 4 * L <= hd; k += 4 * L) {
        auto o0 = hn::Mul(hn::LoadU(d, o + k), va);
        auto o1 = hn::Mul(hn::LoadU(d, o + k + L), va);
        auto o2 = hn::Mul(hn::LoadU(d, o + k + 2 * L), va);
        auto o3 = hn::Mul(hn::LoadU(d, o + k + 3 * L), va);
        for (int64_t j = 0; j < nk; ++j) {
          const auto p = hn::Set(d, srow[j]);
          const float* vr = vrow[j] + k;
          o0 = hn::MulAdd(p, hn::LoadU(d, vr), o0);
          o1 = hn::MulAdd(p, hn::LoadU(d, vr + L), o1);
          o2 = hn::MulAdd(p, hn::LoadU(d, vr + 2 * L), o2);
          o3 = hn::MulAdd(p, hn::LoadU(d, vr + 3 * L), o3);
        }
        hn::StoreU(o0, d, o + k);
        hn::StoreU(o1, d, o + k + L);
        hn::StoreU(o2, d, o + k + 2 * L);
        hn::StoreU(o3, d, o + k + 3 * L);
      }
      for (; k < hd; k += L) {
        auto o0 = hn::Mul(hn::LoadU(d, o + k), va);
        for (int64_t j = 0; j < nk; ++j) o0 = hn::MulAdd(hn::Set(d, srow[j]), hn::LoadU(d, vrow[j] + k), o0);
        hn::StoreU(o0, d, o + k);
      }
      std::fill(srow, srow + kb_pad, neg_inf);
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + (r / group) * out_stride + (r % group) * hd;
    const float inv = 1.0f / sum[r];
    for (int64_t k = 0; k < hd; ++k) o[k] = acc[r * hd + k] * inv;
  }
}

void AttendGroup(const AttentionShape& shape, const KvHeadView& kv, int64_t pos0, int64_t n_q,
                 const float* HWY_RESTRICT q, int64_t q_stride, float* HWY_RESTRICT out,
                 int64_t out_stride, std::vector<float>* scratch) {
  const hn::ScalableTag<float> d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t hd = shape.head_dim;
  const int64_t group = shape.group;
  const int64_t rows = n_q * group;             // query rows, r = i * group + g
  const int64_t rp = (rows + L - 1) / L * L;    // padded to whole vectors
  const bool convert = kv.type != KvType::F32;
  // Up to half a vector of rows: per-row vectors along head_dim do less work.
  if (2 * rows <= L && hd % L == 0) {
    AttendFewRows(d, shape, kv, pos0, n_q, q, q_stride, out, out_stride, scratch);
    return;
  }

  // Scratch: transposed scaled queries [hd][rp], transposed output accumulators [hd][rp],
  // scores/probabilities [kKeyBlock][rp], per-row max, sum, rescale factor and position [rp],
  // converted K and V rows [kKeyBlock][hd].
  const size_t need = static_cast<size_t>(2 * hd * rp + kKeyBlock * rp + 4 * rp +
                                          (convert ? 2 * kKeyBlock * hd : 0));
  if (scratch->size() < need) scratch->resize(need);
  float* qt = scratch->data();
  float* acc = qt + hd * rp;
  float* sc = acc + hd * rp;
  float* mx = sc + kKeyBlock * rp;
  float* sum = mx + rp;
  float* alpha = sum + rp;
  float* rowpos = alpha + rp;
  float* kbuf = rowpos + rp;
  float* vbuf = kbuf + kKeyBlock * hd;

  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r < rp; ++r) {
    // Padding rows repeat the last query's position, so they see keys and stay finite.
    const int64_t i = std::min(r / group, n_q - 1);
    rowpos[r] = static_cast<float>(pos0 + i);
    mx[r] = neg_inf;
    sum[r] = 0.0f;
  }
  for (int64_t r = 0; r < rp; ++r) {
    const float* qr = q + (r / group) * q_stride + (r % group) * hd;
    for (int64_t k = 0; k < hd; ++k) qt[k * rp + r] = r < rows ? qr[k] * shape.scale : 0.0f;
  }
  std::fill(acc, acc + hd * rp, 0.0f);

  const int64_t last = pos0 + n_q - 1;
  const int64_t first = shape.window > 0 ? std::max<int64_t>(0, pos0 - shape.window + 1) : 0;
  const float* krow[kKeyBlock];
  const float* vrow[kKeyBlock];
  const auto vneg_inf = hn::Set(d, neg_inf);
  const auto vzero = hn::Zero(d);
  const bool capped = shape.softcap > 0.0f;
  const auto vcap = hn::Set(d, shape.softcap);
  const auto vinv_cap = hn::Set(d, capped ? 1.0f / shape.softcap : 0.0f);
  const auto vwindow = hn::Set(d, static_cast<float>(shape.window));

  for (int64_t kb = first; kb <= last; kb += kKeyBlock) {
    const int64_t nk = std::min(kKeyBlock, last - kb + 1);
    GatherKeyBlock(d, kv, hd, kb, nk, kbuf, vbuf, krow, vrow);
    // Masking is needed only where the block reaches past the first query (causal) or, with a
    // window, starts before the last query's window.
    const bool masked = kb + nk - 1 > pos0 || (shape.window > 0 && kb <= last - shape.window);

    // Scores, four keys at a time against one vector of rows.
    auto finish = [&](hn::Vec<decltype(d)> s, int64_t j, int64_t t) {
      if (capped) s = hn::Mul(vcap, hn::Tanh(d, hn::Mul(s, vinv_cap)));
      if (masked) {
        const auto kp = hn::Set(d, static_cast<float>(kb + j));
        const auto pos = hn::LoadU(d, rowpos + t);
        auto ok = hn::Le(kp, pos);
        if (shape.window > 0) ok = hn::And(ok, hn::Gt(kp, hn::Sub(pos, vwindow)));
        s = hn::IfThenElse(ok, s, vneg_inf);
      }
      hn::StoreU(s, d, sc + j * rp + t);
    };
    for (int64_t t = 0; t < rp; t += L) {
      int64_t j = 0;
      for (; j + 4 <= nk; j += 4) {
        auto a0 = vzero, a1 = vzero, a2 = vzero, a3 = vzero;
        const float* k0 = krow[j];
        const float* k1 = krow[j + 1];
        const float* k2 = krow[j + 2];
        const float* k3 = krow[j + 3];
        for (int64_t k = 0; k < hd; ++k) {
          const auto qv = hn::LoadU(d, qt + k * rp + t);
          a0 = hn::MulAdd(qv, hn::Set(d, k0[k]), a0);
          a1 = hn::MulAdd(qv, hn::Set(d, k1[k]), a1);
          a2 = hn::MulAdd(qv, hn::Set(d, k2[k]), a2);
          a3 = hn::MulAdd(qv, hn::Set(d, k3[k]), a3);
        }
        finish(a0, j, t);
        finish(a1, j + 1, t);
        finish(a2, j + 2, t);
        finish(a3, j + 3, t);
      }
      for (; j < nk; ++j) {
        auto a0 = vzero;
        const float* k0 = krow[j];
        for (int64_t k = 0; k < hd; ++k) a0 = hn::MulAdd(hn::LoadU(d, qt + k * rp + t), hn::Set(d, k0[k]), a0);
        finish(a0, j, t);
      }
    }

    // Streaming softmax: new running max, rescale of what was accumulated, probabilities.
    for (int64_t t = 0; t < rp; t += L) {
      const auto m_old = hn::LoadU(d, mx + t);
      auto m_new = m_old;
      for (int64_t j = 0; j < nk; ++j) m_new = hn::Max(m_new, hn::LoadU(d, sc + j * rp + t));
      // A row that has seen no visible key yet keeps -inf; subtracting 0 then gives exp = 0.
      const auto m_safe = hn::IfThenElse(hn::Eq(m_new, vneg_inf), vzero, m_new);
      const auto a = hn::Exp(d, hn::Sub(m_old, m_safe));
      auto s = hn::Zero(d);
      for (int64_t j = 0; j < nk; ++j) {
        const auto p = hn::Exp(d, hn::Sub(hn::LoadU(d, sc + j * rp + t), m_safe));
        hn::StoreU(p, d, sc + j * rp + t);
        s = hn::Add(s, p);
      }
      hn::StoreU(hn::MulAdd(hn::LoadU(d, sum + t), a, s), d, sum + t);
      hn::StoreU(m_new, d, mx + t);
      hn::StoreU(a, d, alpha + t);
    }

    // Values: acc[k][r] = acc[k][r] * alpha[r] + sum_j p[j][r] * v_j[k], four dims at a time.
    for (int64_t t = 0; t < rp; t += L) {
      const auto a = hn::LoadU(d, alpha + t);
      int64_t k = 0;
      for (; k + 4 <= hd; k += 4) {
        auto o0 = hn::Mul(hn::LoadU(d, acc + k * rp + t), a);
        auto o1 = hn::Mul(hn::LoadU(d, acc + (k + 1) * rp + t), a);
        auto o2 = hn::Mul(hn::LoadU(d, acc + (k + 2) * rp + t), a);
        auto o3 = hn::Mul(hn::LoadU(d, acc + (k + 3) * rp + t), a);
        for (int64_t j = 0; j < nk; ++j) {
          const auto p = hn::LoadU(d, sc + j * rp + t);
          const float* vr = vrow[j] + k;
          o0 = hn::MulAdd(p, hn::Set(d, vr[0]), o0);
          o1 = hn::MulAdd(p, hn::Set(d, vr[1]), o1);
          o2 = hn::MulAdd(p, hn::Set(d, vr[2]), o2);
          o3 = hn::MulAdd(p, hn::Set(d, vr[3]), o3);
        }
        hn::StoreU(o0, d, acc + k * rp + t);
        hn::StoreU(o1, d, acc + (k + 1) * rp + t);
        hn::StoreU(o2, d, acc + (k + 2) * rp + t);
        hn::StoreU(o3, d, acc + (k + 3) * rp + t);
      }
      for (; k < hd; ++k) {
        auto o0 = hn::Mul(hn::LoadU(d, acc + k * rp + t), a);
        for (int64_t j = 0; j < nk; ++j)
          o0 = hn::MulAdd(hn::LoadU(d, sc + j * rp + t), hn::Set(d, vrow[j][k]), o0);
        hn::StoreU(o0, d, acc + k * rp + t);
      }
    }
  }

  // Normalize and write back in the caller's [query][head][dim] layout. Every real row has
  // seen at least its own position, so its sum is positive.
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + (r / group) * out_stride + (r % group) * hd;
    const float inv = 1.0f / sum[r];
    for (int64_t k = 0; k < hd; ++k) o[k] = acc[k * rp + r] * inv;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace rightsize::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cctype>
#include <cmath>
#include <string>

#include "kernels/quant_types.h"
#include "util/error.h"

namespace rightsize::kernels {

HWY_EXPORT(AttendGroup);

const char* kv_type_name(KvType t) {
  switch (t) {
    case KvType::F32: return "f32";
    case KvType::F16: return "f16";
    case KvType::Q8_0: return "q8_0";
  }
  return "?";
}

std::optional<KvType> kv_type_from_name(std::string_view s) {
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (KvType t : {KvType::F32, KvType::F16, KvType::Q8_0})
    if (lower == kv_type_name(t)) return t;
  return std::nullopt;
}

int64_t kv_head_bytes(KvType t, int64_t head_dim) {
  switch (t) {
    case KvType::F32: return head_dim * 4;
    case KvType::F16: return head_dim * 2;
    case KvType::Q8_0:
      RS_CHECK(head_dim % kBlock32 == 0);
      return head_dim / kBlock32 * static_cast<int64_t>(sizeof(BlockQ8_0));
  }
  return 0;
}

void kv_store_row(KvType t, const float* src, void* dst, int64_t n) {
  switch (t) {
    case KvType::F32:
      std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(n));
      return;
    case KvType::F16: {
      auto* h = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t bits = f32_to_fp16(src[i]);
        std::memcpy(h + 2 * i, &bits, 2);
      }
      return;
    }
    case KvType::Q8_0:
      RS_CHECK(n % kBlock32 == 0);
      traits(QuantType::Q8_0).from_float(src, dst, n);
      return;
  }
}

void attend_group(const AttentionShape& shape, const KvHeadView& kv, int64_t pos0, int64_t n_q,
                  const float* q, int64_t q_stride, float* out, int64_t out_stride,
                  std::vector<float>& scratch) {
  RS_CHECK(n_q > 0 && shape.group > 0 && shape.head_dim > 0 && kv.capacity > 0 && pos0 >= 0);
  HWY_DYNAMIC_DISPATCH(AttendGroup)(shape, kv, pos0, n_q, q, q_stride, out, out_stride, &scratch);
}

namespace {
// One stored head row as floats, element by element.
void load_row_scalar(KvType type, const uint8_t* src, int64_t n, float* dst) {
  switch (type) {
    case KvType::F32:
      std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(n));
      return;
    case KvType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = fp16_to_f32(bits);
      }
      return;
    case KvType::Q8_0:
      traits(QuantType::Q8_0).to_float(src, dst, n);
      return;
  }
}
}  // namespace

void attend_group_scalar(const AttentionShape& shape, const KvHeadView& kv, int64_t pos0,
                         int64_t n_q, const float* q, int64_t q_stride, float* out,
                         int64_t out_stride) {
  const int64_t hd = shape.head_dim;
  std::vector<float> krow(static_cast<size_t>(hd)), vrow(static_cast<size_t>(hd));
  std::vector<float> scores;
  const auto* kbase = static_cast<const uint8_t*>(kv.k);
  const auto* vbase = static_cast<const uint8_t*>(kv.v);
  for (int64_t i = 0; i < n_q; ++i) {
    const int64_t pos = pos0 + i;
    const int64_t first = shape.window > 0 ? std::max<int64_t>(0, pos - shape.window + 1) : 0;
    const int64_t count = pos - first + 1;
    for (int64_t g = 0; g < shape.group; ++g) {
      const float* qr = q + i * q_stride + g * hd;
      float* o = out + i * out_stride + g * hd;
      scores.assign(static_cast<size_t>(count), 0.0f);
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < count; ++j) {
        load_row_scalar(kv.type, kbase + ((first + j) % kv.capacity) * kv.stride, hd, krow.data());
        float s = 0.0f;
        for (int64_t k = 0; k < hd; ++k) s += qr[k] * krow[static_cast<size_t>(k)];
        s *= shape.scale;
        if (shape.softcap > 0.0f) s = shape.softcap * std::tanh(s / shape.softcap);
        scores[static_cast<size_t>(j)] = s;
        m = std::max(m, s);
      }
      float total = 0.0f;
      for (float& s : scores) total += (s = std::exp(s - m));
      std::fill(o, o + hd, 0.0f);
      for (int64_t j = 0; j < count; ++j) {
        load_row_scalar(kv.type, vbase + ((first + j) % kv.capacity) * kv.stride, hd, vrow.data());
        const float p = scores[static_cast<size_t>(j)] / total;
        for (int64_t k = 0; k < hd; ++k) o[k] += p * vrow[static_cast<size_t>(k)];
      }
    }
  }
}

}  // namespace rightsize::kernels
#endif  // HWY_ONCE
