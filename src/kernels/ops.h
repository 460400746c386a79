// Element-wise and row kernels of the transformer block: norms, rotary embeddings, softmax,
// activations. Each has one scalar implementation here; SIMD versions go through dispatch.h.
#pragma once

#include <cstdint>

namespace rightsize::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]   (w may be null: no weight)
void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out);

enum class RopeType { kNorm, kNeox };  // adjacent pairs (x[2i], x[2i+1]) or halves (x[i], x[i+d/2])

// Per-position rotation table for one head: cos/sin for each of the n_rot/2 pairs.
// theta_i = freq_scale * pos * base^(-2i/n_rot) / freq_factors[i]; cos/sin scaled by mscale.
void rope_cache(int64_t pos, int64_t n_rot, float freq_base, float freq_scale, float mscale,
                const float* freq_factors, float* cos_sin /* [n_rot] interleaved cos,sin */);

// Rotates the first n_rot dims of each of n_heads heads (head_dim apart) in place.
void rope_apply(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeType type,
                const float* cos_sin);

// In place: x = softmax(x) over n entries; entries equal to -inf stay zero.
void softmax(float* x, int64_t n);

void silu_mul(const float* gate, const float* up, int64_t n, float* out);      // silu(g) * u
// gelu(g) * u, GELU evaluated through a half-precision table as the reference engine does.
void gelu_tanh_mul(const float* gate, const float* up, int64_t n, float* out);
float gelu_tanh(float x);  // the exact tanh formula in single precision

// x = cap * tanh(x / cap)
void softcap(float* x, int64_t n, float cap);

}  // namespace rightsize::kernels
