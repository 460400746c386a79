// Internal to kernels/: the SIMD packed kernels of each ISA. Each returns null where this CPU
// (or build) lacks the ISA, or the ISA has no kernel for the type; packed.cpp chooses among them.
#pragma once

#include "kernels/packed.h"

namespace rightsize::kernels {

PackedKernelFn packed_kernel_amx(QuantType type);          // AMX-INT8 tiles for 16+ tokens, else the next
PackedKernelFn packed_kernel_avx512_bf16(QuantType type);  // the next, with AVX-512 BF16 for BF16
PackedKernelFn packed_kernel_avx512_vnni(QuantType type);  // AVX-512 F/BW/VL/DQ + VNNI
PackedKernelFn packed_kernel_avx_vnni(QuantType type);     // AVX2 + FMA + F16C + AVX-VNNI
PackedKernelFn packed_kernel_avx2(QuantType type);         // AVX2 + FMA + F16C
PackedKernelFn packed_kernel_neon_dotprod(QuantType type);  // AArch64 ASIMD + dot product (sdot)

}  // namespace rightsize::kernels
