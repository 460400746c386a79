// Internal to kernels/: the per-type pieces of the packed kernels that packed.cpp ties together.
#pragma once

#include "kernels/packed.h"

namespace rightsize::kernels {

void pack_block_q4_k(const MatrixView& w, int64_t g, int64_t b, uint8_t* out);
void pack_block_q5_k(const MatrixView& w, int64_t g, int64_t b, uint8_t* out);
void pack_block_q6_k(const MatrixView& w, int64_t g, int64_t b, uint8_t* out);
void quantize_activations_256(const float* x, int64_t n_in, void* dst);
void kernel_q4_k_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy);
void kernel_q5_k_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy);
void kernel_q6_k_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy);

}  // namespace rightsize::kernels
