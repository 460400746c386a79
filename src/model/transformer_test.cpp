// The forward pass against a naive double-precision forward written here from the math alone:
// gen-model → load → forward, for every architecture and several weight types, batched and
// one token at a time.
#include "model/transformer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "kernels/quant_types.h"
#include "model/random_model.h"
#include "util/error.h"
#include <algorithm>
#include <cstdio>

namespace rightsize::model {
namespace {

using Mat = std::vector<double>;  // row-major [rows, cols]

Mat load_matrix(const kernels::MatrixView& m) {
  Mat out(static_cast<size_t>(m.n_in * m.n_out));
  std::vector<float> row(static_cast<size_t>(m.n_in));
  for (int64_t r = 0; r < m.n_out; ++r) {
    kernels::traits(m.type).to_float(m.row(r), row.data(), m.n_in);
    for (int64_t i = 0; i < m.n_in; ++i) out[static_cast<size_t>(r * m.n_in + i)] = row[static_cast<size_t>(i)];
  }
  return out;
}

std::vector<double> matvec(const kernels::MatrixView& m, const std::vector<double>& x) {
  const Mat w = load_matrix(m);
  std::vector<double> y(static_cast<size_t>(m.n_out), 0.0);
  for (int64_t r = 0; r < m.n_out; ++r)
    for (int64_t i = 0; i < m.n_in; ++i) y[static_cast<size_t>(r)] += w[static_cast<size_t>(r * m.n_in + i)] * x[static_cast<size_t>(i)];
  return y;
}

std::vector<double> rmsnorm(const std::vector<double>& x, const VectorView& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double s = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w.data[i];
  return y;
}

void rope(std::vector<double>& v, int64_t n_heads, const ModelConfig& c, int64_t pos, const float* ff) {
  for (int64_t h = 0; h < n_heads; ++h) {
    double* x = v.data() + h * c.head_dim;
    for (int64_t i = 0; i < c.n_rot / 2; ++i) {
      double theta = static_cast<double>(pos) * std::pow(static_cast<double>(c.rope_freq_base), -2.0 * static_cast<double>(i) / static_cast<double>(c.n_rot));
      if (ff != nullptr) theta /= ff[i];
      const int64_t a = c.rope_type == kernels::RopeType::kNorm ? 2 * i : i;
      const int64_t b = c.rope_type == kernels::RopeType::kNorm ? 2 * i + 1 : i + c.n_rot / 2;
      const double x0 = x[a], x1 = x[b];
      x[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
      x[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  }
}

// Logits for every position of `tokens`, computed densely in double precision.
std::vector<std::vector<double>> naive_forward(const Model& m, const std::vector<int32_t>& tokens) {
  const ModelConfig& c = m.config();
  const ModelWeights& w = m.weights();
  const size_t T = tokens.size();
  std::vector<std::vector<double>> x(T);
  const Mat emb = load_matrix(w.token_embd);
  for (size_t t = 0; t < T; ++t) {
    x[t].resize(static_cast<size_t>(c.n_embd));
    for (int64_t i = 0; i < c.n_embd; ++i) x[t][static_cast<size_t>(i)] = emb[static_cast<size_t>(tokens[t] * c.n_embd + i)] * c.embedding_scale;
  }
  const float* ff = w.rope_freqs.empty() ? nullptr : w.rope_freqs.data;
  const double scale = c.attention_scale != 0 ? c.attention_scale : 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const LayerWeights& l = w.layers[static_cast<size_t>(il)];
    std::vector<std::vector<double>> q(T), k(T), v(T);
    for (size_t t = 0; t < T; ++t) {
      auto h = rmsnorm(x[t], l.attn_norm, c.rms_eps);
      if (!l.wqkv.empty()) {
        auto qkv = matvec(l.wqkv, h);
        q[t].assign(qkv.begin(), qkv.begin() + c.n_embd_q());
        k[t].assign(qkv.begin() + c.n_embd_q(), qkv.begin() + c.n_embd_q() + c.n_embd_k());
        v[t].assign(qkv.begin() + c.n_embd_q() + c.n_embd_k(), qkv.end());
      } else {
        q[t] = matvec(l.wq, h);
        k[t] = matvec(l.wk, h);
        v[t] = matvec(l.wv, h);
        for (size_t i = 0; i < q[t].size() && !l.bq.empty(); ++i) q[t][i] += l.bq.data[i];
        for (size_t i = 0; i < k[t].size() && !l.bk.empty(); ++i) k[t][i] += l.bk.data[i];
        for (size_t i = 0; i < v[t].size() && !l.bv.empty(); ++i) v[t][i] += l.bv.data[i];
      }
      rope(q[t], c.n_head, c, static_cast<int64_t>(t), ff);
      rope(k[t], c.n_head_kv, c, static_cast<int64_t>(t), ff);
    }
    for (size_t t = 0; t < T; ++t) {
      std::vector<double> att(static_cast<size_t>(c.n_embd_q()), 0.0);
      for (int64_t h = 0; h < c.n_head; ++h) {
        const int64_t hk = h / (c.n_head / c.n_head_kv);
        std::vector<double> s;
        size_t first = 0;
        if (c.layer_uses_window(il) && static_cast<int64_t>(t) >= c.sliding_window) first = t - static_cast<size_t>(c.sliding_window) + 1;
        for (size_t j = first; j <= t; ++j) {
          double d = 0;
          for (int64_t i = 0; i < c.head_dim; ++i) d += q[t][static_cast<size_t>(h * c.head_dim + i)] * k[j][static_cast<size_t>(hk * c.head_dim + i)];
          d *= scale;
          if (c.attn_softcap > 0) d = c.attn_softcap * std::tanh(d / c.attn_softcap);
          s.push_back(d);
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (size_t j = first; j <= t; ++j)
          for (int64_t i = 0; i < c.head_dim; ++i)
            att[static_cast<size_t>(h * c.head_dim + i)] += s[j - first] / sum * v[j][static_cast<size_t>(hk * c.head_dim + i)];
      }
      auto o = matvec(l.wo, att);
      if (c.post_norms) o = rmsnorm(o, l.post_attn_norm, c.rms_eps);
      for (size_t i = 0; i < o.size(); ++i) x[t][i] += c.residual_scale * o[i];
    }
    for (size_t t = 0; t < T; ++t) {
      auto h = rmsnorm(x[t], l.ffn_norm, c.rms_eps);
      std::vector<double> g, u;
      if (l.w_gate.empty()) {
        auto gu = matvec(l.w_up, h);
        g.assign(gu.begin(), gu.begin() + c.n_ff);
        u.assign(gu.begin() + c.n_ff, gu.end());
      } else {
        g = matvec(l.w_gate, h);
        u = matvec(l.w_up, h);
      }
      for (size_t i = 0; i < g.size(); ++i) {
        const double a = c.ffn_activation == FfnActivation::kSilu
                             ? g[i] / (1 + std::exp(-g[i]))
                             : 0.5 * g[i] * (1 + std::tanh(std::sqrt(2 / M_PI) * (g[i] + 0.044715 * g[i] * g[i] * g[i])));
        g[i] = a * u[i];
      }
      auto d = matvec(l.w_down, g);
      if (c.post_norms) d = rmsnorm(d, l.post_ffw_norm, c.rms_eps);
      for (size_t i = 0; i < d.size(); ++i) x[t][i] += c.residual_scale * d[i];
    }
  }
  std::vector<std::vector<double>> logits(T);
  for (size_t t = 0; t < T; ++t) {
    logits[t] = matvec(w.output, rmsnorm(x[t], w.output_norm, c.rms_eps));
    for (double& l : logits[t]) {
      l /= c.logit_scale;
      if (c.final_softcap > 0) l = c.final_softcap * std::tanh(l / c.final_softcap);
    }
  }
  return logits;
}

struct Case {
  std::string arch;
  std::string type;
  double tol;  // max abs difference against the double-precision forward, / rms of the logits
  bool tied;
  int64_t n_embd = 256;  // 128 exercises the reference's fallback for rows shorter than 256
};

class NaiveForward : public ::testing::TestWithParam<Case> {};

TEST_P(NaiveForward, MatchesDoublePrecisionReference) {
  const Case& tc = GetParam();
  RandomModelSpec spec = default_spec(tc.arch);
  spec.config.n_vocab = 300;
  spec.config.n_embd = tc.n_embd;
  spec.config.n_ff = 2 * tc.n_embd;
  spec.config.n_head = 4;
  spec.config.n_head_kv = 2;
  spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 32;
  spec.config.n_layer = 2;
  if (tc.arch == "gemma2") {
    // Small window and caps, so masking and soft-capping change the numbers.
    spec.config.sliding_window = 4;
    spec.config.attn_softcap = 5.0f;
    spec.config.final_softcap = 4.0f;
  }
  if (tc.arch == "phi3") spec.config.sliding_window = 5;
  if (tc.arch == "granite") {
    spec.config.embedding_scale = 3.0f;
    spec.config.residual_scale = 0.5f;
    spec.config.attention_scale = 0.05f;
    spec.config.logit_scale = 2.0f;
  }
  spec.tied_output = tc.tied;
  spec.rope_freqs = tc.arch == "llama";
  spec.rope_orig_ctx = 16;
  spec.target = tc.type;
  spec.seed = 7;
  const auto path = std::filesystem::temp_directory_path() /
                    ("rs_naive_" + tc.arch + "_" + tc.type + (tc.tied ? "_tied" : "") + ".gguf");
  write_random_model(spec, path.string());
  auto m = Model::load(path.string());
  std::filesystem::remove(path);
  ASSERT_EQ(m->weights().tied_output, tc.tied);

  const std::vector<int32_t> tokens = {1, 17, 250, 3, 99, 42, 7, 298, 150, 64, 5};
  const auto expected = naive_forward(*m, tokens);
  ThreadPool pool(2);
  // Whole sequence in one batch.
  Transformer batched(*m, 32, 1, pool);
  auto got = batched.forward(tokens, 0, true);
  // Chunks of 3 tokens: sliding-window layers then keep rings of window + 2 cells, which wrap.
  Transformer chunked(*m, 32, 1, pool, 3);
  const auto chunk_span = chunked.forward(tokens, 0, true);
  const std::vector<float> got_chunked(chunk_span.begin(), chunk_span.end());
  // One token at a time (decode path), into a second sequence slot of another cache.
  Transformer stepwise(*m, 32, 2, pool);
  double worst = 0, worst_step = 0, worst_chunked = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    const int32_t one[1] = {tokens[t]};
    auto row = stepwise.forward(one, static_cast<int32_t>(t), false, 1);
    for (int64_t v = 0; v < m->config().n_vocab; ++v) {
      const double e = expected[t][static_cast<size_t>(v)];
      worst = std::max(worst, std::fabs(got[t * static_cast<size_t>(m->config().n_vocab) + static_cast<size_t>(v)] - e));
      worst_step = std::max(worst_step, std::fabs(row[static_cast<size_t>(v)] - e));
      worst_chunked = std::max(
          worst_chunked,
          std::fabs(got_chunked[t * static_cast<size_t>(m->config().n_vocab) + static_cast<size_t>(v)] - e));
    }
  }
  // Tolerances are relative to the spread of the logits, so they mean the same at any scale.
  double ss = 0;
  size_t count = 0;
  for (const auto& row : expected)
    for (double v : row) ss += v * v, ++count;
  const double rms = std::sqrt(ss / static_cast<double>(count));
  EXPECT_LE(worst / rms, tc.tol) << "batched forward vs double precision (logit rms " << rms << ")";
  EXPECT_LE(worst_step / rms, tc.tol) << "one-token forward vs double precision (logit rms " << rms << ")";
  EXPECT_LE(worst_chunked / rms, tc.tol) << "3-token chunks vs double precision (logit rms " << rms << ")";
}

// F32 weights: only float rounding separates us from double precision (and, for gemma2, GELU
// read from a half-precision table as the reference does). Quantized weights are
// dequantized by the naive forward too, so what remains is the 8-bit activation quantization
// (per 32 values for Q8_0, per 256 for Q8_K), which a random two-layer model amplifies to a few
// percent of the logit spread; a real bug shows up as errors of the order of the spread itself.
INSTANTIATE_TEST_SUITE_P(
    Archs, NaiveForward,
    ::testing::Values(Case{"llama", "F32", 2e-4, false}, Case{"llama", "F32", 2e-4, true},
                      Case{"granite", "F32", 2e-4, true}, Case{"qwen2", "F32", 2e-4, false},
                      Case{"llama", "F16", 2e-2, false}, Case{"llama", "Q8_0", 0.15, false},
                      Case{"qwen2", "Q4_0", 0.15, false}, Case{"llama", "Q4_K_M", 0.15, true},
                      Case{"llama", "Q6_K", 0.15, false}, Case{"granite", "Q5_K_M", 0.15, false},
                      Case{"llama", "Q4_K_M", 0.15, true, 128}, Case{"llama", "Q4_1", 0.15, false},
                      Case{"llama", "Q5_0", 0.15, false}, Case{"llama", "Q5_1", 0.15, false},
                      Case{"llama", "Q2_K", 0.15, false}, Case{"llama", "Q3_K", 0.15, false},
                      Case{"llama", "Q4_K", 0.15, false}, Case{"llama", "Q5_K", 0.15, false},
                      Case{"llama", "IQ4_NL", 0.15, false}, Case{"llama", "IQ4_XS", 0.15, false},
                      Case{"llama", "BF16", 2e-2, false}, Case{"llama", "Q4_K_M", 0.15, false},
                      Case{"llama", "Q8_0", 0.15, true}, Case{"llama", "Q6_K", 0.15, true},
                      Case{"gemma2", "F32", 2e-3, true}, Case{"gemma2", "Q4_K_M", 0.15, true},
                      Case{"phi3", "F32", 2e-4, false}, Case{"phi3", "Q4_K_M", 0.15, false}),
    [](const auto& info) {
      return info.param.arch + "_" + info.param.type + (info.param.tied ? "_tied" : "") + "_" +
             std::to_string(info.param.n_embd);
    });

// A sequence continued from positions copied out of another slot computes what it would have
// from its own evaluation, in every KV storage type (rows are copied as stored bytes); a
// sliding-window ring refuses reuse once it has been overwritten.
class CopiedPrefix : public ::testing::TestWithParam<KvType> {};

TEST_P(CopiedPrefix, ContinuesLikeItsOwn) {
  RandomModelSpec spec = default_spec("gemma2");
  spec.config.n_vocab = 300;
  spec.config.n_embd = 64;
  spec.config.n_head = 2;
  spec.config.n_head_kv = 1;
  spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 32;
  spec.config.n_ff = 64;
  spec.config.n_layer = 2;
  spec.config.sliding_window = 4;
  const auto path = std::filesystem::temp_directory_path() /
                    (std::string("rs_copy_prefix_") + kernels::kv_type_name(GetParam()) + ".gguf");
  write_random_model(spec, path.string());
  auto m = Model::load(path.string());
  std::filesystem::remove(path);
  ThreadPool pool(1);
  const std::vector<int32_t> a = {1, 17, 250, 3, 99, 42, 7, 298, 150, 64, 5, 77};
  const std::vector<int32_t> tail = {11, 12, 13};
  // max_batch 3: rings of 4 + 3 - 1 = 6 cells.
  Transformer tf(*m, 32, 3, pool, 3, GetParam());
  EXPECT_EQ(tf.kv_cache().type(), GetParam());
  tf.forward(a, 0, false, 0);
  // Continue slot 0's first 10 positions in slot 1: 12 - 10 <= max_batch, so reusable.
  ASSERT_EQ(tf.kv_cache().reusable_prefix(12, 10), 10);
  tf.copy_prefix(0, 1, 10, 12);
  // The copied rows are the stored ones, bit for bit.
  const int64_t row = m->config().n_embd_k();
  std::vector<float> k0(static_cast<size_t>(row)), v0 = k0, k1 = k0, v1 = k0;
  for (int64_t pos : {0, 6, 9}) {
    tf.kv_cache().load(0, 0, pos, k0.data(), v0.data());
    tf.kv_cache().load(0, 1, pos, k1.data(), v1.data());
    EXPECT_EQ(k0, k1) << "layer 0 position " << pos;
    EXPECT_EQ(v0, v1) << "layer 0 position " << pos;
  }
  const auto got_span = tf.forward(tail, 10, true, 1);
  const std::vector<float> got(got_span.begin(), got_span.end());
  std::vector<int32_t> whole(a.begin(), a.begin() + 10);
  whole.insert(whole.end(), tail.begin(), tail.end());
  const auto want = tf.forward(whole, 0, true, 2);
  const size_t nv = static_cast<size_t>(m->config().n_vocab);
  for (size_t i = 0; i < tail.size() * nv; ++i)
    ASSERT_NEAR(got[i], want[10 * nv + i], 1e-4f) << "logit " << i;
  // Going back 8 positions from 12 needs cells the 6-cell ring has overwritten.
  EXPECT_EQ(tf.kv_cache().reusable_prefix(12, 4), 0);
  EXPECT_EQ(tf.kv_cache().reusable_prefix(6, 2), 2);  // nothing overwritten yet
}

INSTANTIATE_TEST_SUITE_P(KvTypes, CopiedPrefix, ::testing::Values(KvType::F32, KvType::F16, KvType::Q8_0),
                         [](const auto& info) { return std::string(kernels::kv_type_name(info.param)); });

// Keys and values stored in half precision or 8 bits against single precision, on the same
// random model and tokens, prefilled in chunks (windowed rings wrap) and then decoded.
// F16 rounds each element to 11 significant bits (relative 2^-12), Q8_0 to amax/254 of its
// block of 32 (about 1% of a typical element); through two layers of a random model that
// moves the logits by about that fraction of their spread: measured 7.7e-4 (F16) and 2.1e-2
// (Q8_0) for llama, less for gemma2 whose soft-cap flattens the scores. The bounds leave 3-4x
// margin; a wrong row or block (a bug) moves the logits by the order of their spread.
struct KvCase {
  std::string arch;
  KvType type;
  double tol;  // max abs logit difference from F32 KV, / rms of the logits
};
class KvStorage : public ::testing::TestWithParam<KvCase> {};

TEST_P(KvStorage, LogitsStayCloseToSinglePrecision) {
  const KvCase& tc = GetParam();
  RandomModelSpec spec = default_spec(tc.arch);
  spec.config.n_vocab = 300;
  spec.config.n_embd = 256;
  spec.config.n_ff = 512;
  spec.config.n_head = 4;
  spec.config.n_head_kv = 1;  // one group of 4
  spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 64;
  spec.config.n_layer = 2;
  if (tc.arch == "gemma2") {
    spec.config.sliding_window = 16;
    spec.config.attn_softcap = 5.0f;
  }
  spec.seed = 11;
  const auto path = std::filesystem::temp_directory_path() /
                    ("rs_kv_" + tc.arch + "_" + kernels::kv_type_name(tc.type) + ".gguf");
  write_random_model(spec, path.string());
  auto m = Model::load(path.string());
  std::filesystem::remove(path);
  std::vector<int32_t> tokens(70);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 37 + 5) % 300);
  ThreadPool pool(2);
  auto run = [&](KvType type) {
    Transformer tf(*m, 80, 1, pool, 24, type);
    const auto prefill = tf.forward(std::span(tokens).first(60), 0, true);
    std::vector<float> out(prefill.begin(), prefill.end());
    for (size_t t = 60; t < tokens.size(); ++t) {
      const int32_t one[1] = {tokens[t]};
      const auto row = tf.forward(one, static_cast<int32_t>(t), false);
      out.insert(out.end(), row.begin(), row.end());
    }
    return out;
  };
  const std::vector<float> want = run(KvType::F32);
  const std::vector<float> got = run(tc.type);
  ASSERT_EQ(got.size(), want.size());
  double ss = 0, worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    ss += double(want[i]) * want[i];
    worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
  }
  const double rms = std::sqrt(ss / static_cast<double>(want.size()));
  EXPECT_LE(worst / rms, tc.tol) << kernels::kv_type_name(tc.type) << " KV vs F32 (logit rms " << rms << ")";
  EXPECT_GT(worst, 0.0) << "the storage type made no difference at all";
  std::printf("[ %s %s KV: max |logit - F32| / rms = %.2e ]\n", tc.arch.c_str(), kernels::kv_type_name(tc.type),
              worst / rms);
}

INSTANTIATE_TEST_SUITE_P(Types, KvStorage,
                         ::testing::Values(KvCase{"llama", KvType::F16, 3e-3}, KvCase{"llama", KvType::Q8_0, 6e-2},
                                           KvCase{"gemma2", KvType::F16, 3e-3},
                                           KvCase{"gemma2", KvType::Q8_0, 6e-2}),
                         [](const auto& info) {
                           return info.param.arch + "_" + kernels::kv_type_name(info.param.type);
                         });

TEST(Transformer, Q8_0KvCacheNeedsHeadSizesInBlocksOf32) {
  RandomModelSpec spec = default_spec("llama");
  spec.config.n_vocab = 300;
  spec.config.n_embd = 80;
  spec.config.n_head = 2;
  spec.config.n_head_kv = 1;
  spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 40;
  spec.config.n_ff = 64;
  spec.config.n_layer = 1;
  const auto path = std::filesystem::temp_directory_path() / "rs_kv_q8_head40.gguf";
  write_random_model(spec, path.string());
  auto m = Model::load(path.string());
  std::filesystem::remove(path);
  ThreadPool pool(1);
  try {
    Transformer tf(*m, 8, 1, pool, 8, KvType::Q8_0);
    FAIL() << "a Q8_0 cache was built for head size 40";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(Transformer(*m, 8, 1, pool, 8, KvType::F16));
}

TEST(Transformer, RejectsOutOfRangeTokensAndPositions) {
  RandomModelSpec spec = default_spec("llama");
  spec.config.n_vocab = 300;
  spec.config.n_embd = 64;
  spec.config.n_head = 2;
  spec.config.n_head_kv = 1;
  spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 32;
  spec.config.n_ff = 64;
  spec.config.n_layer = 1;
  const auto path = std::filesystem::temp_directory_path() / "rs_range.gguf";
  write_random_model(spec, path.string());
  auto m = Model::load(path.string());
  std::filesystem::remove(path);
  ThreadPool pool(1);
  Transformer tf(*m, 4, 1, pool);
  const int32_t bad_token[1] = {300};
  EXPECT_THROW(tf.forward(bad_token, 0, false), Error);
  const int32_t ok[1] = {5};
  EXPECT_THROW(tf.forward(ok, 4, false), Error);
  EXPECT_NO_THROW(tf.forward(ok, 3, false));
}

}  // namespace
}  // namespace rightsize::model
