// Scalar row kernels. Reductions accumulate in double where the reference engine does, so
// that F32 models agree with it to the last few bits.
#include "kernels/ops.h"

#include <cmath>
#include <limits>
#include <vector>

#include "util/fp16.h"

namespace rightsize::kernels {

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  if (w != nullptr) {
    for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * scale) * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale;
  }
}

void rope_cache(int64_t pos, int64_t n_rot, float freq_base, float freq_scale, float mscale,
                const float* freq_factors, float* cos_sin) {
  // The angle is advanced by repeated multiplication, as the reference does, so positions
  // far into the context round the same way.
  const float theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(n_rot));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const float ff = freq_factors != nullptr ? freq_factors[i] : 1.0f;
    const float t = freq_scale * (theta / ff);
    cos_sin[2 * i] = std::cos(t) * mscale;
    cos_sin[2 * i + 1] = std::sin(t) * mscale;
    theta *= theta_scale;
  }
}

void rope_apply(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeType type,
                const float* cos_sin) {
  const int64_t half = n_rot / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float c = cos_sin[2 * i];
      const float s = cos_sin[2 * i + 1];
      const int64_t a = type == RopeType::kNorm ? 2 * i : i;
      const int64_t b = type == RopeType::kNorm ? 2 * i + 1 : i + half;
      const float x0 = v[a];
      const float x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

void softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = x[i] == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(x[i] - max);
    sum += e;
    x[i] = e;
  }
  const float inv = sum > 0.0 ? static_cast<float>(1.0 / sum) : 0.0f;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  constexpr float kCoef = 0.044715f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoef * x * x)));
}

namespace {
// GELU of every half-precision input, stored in half precision. The reference engine evaluates
// GELU through such a table (input rounded to half, output read back from half), and Gemma's
// logits move by up to 0.004 (F32) and 0.1 (quantized) if the exact formula is used instead,
// so we evaluate it the same way.
struct GeluTable {
  std::vector<uint16_t> y;
  GeluTable() : y(65536) {
    for (uint32_t i = 0; i < 65536; ++i)
      y[i] = f32_to_fp16(gelu_tanh(fp16_to_f32(static_cast<uint16_t>(i))));
  }
};
const GeluTable& gelu_table() {
  static const GeluTable table;
  return table;
}
}  // namespace

void gelu_tanh_mul(const float* gate, const float* up, int64_t n, float* out) {
  const uint16_t* table = gelu_table().y.data();
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    float y;
    if (g <= -10.0f) {
      y = 0.0f;
    } else if (g >= 10.0f) {
      y = g;
    } else {
      y = fp16_to_f32(table[f32_to_fp16(g)]);
    }
    out[i] = y * up[i];
  }
}

void softcap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
}

}  // namespace rightsize::kernels
