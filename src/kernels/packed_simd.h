// Internal to kernels/: the SIMD packed kernels for the CPU in hand, or null where this CPU (or
// build) has none for the type.
#pragma once

#include "kernels/packed.h"

namespace rightsize::kernels {

PackedKernelFn packed_kernel_simd(QuantType type);
const char* packed_simd_isa();

}  // namespace rightsize::kernels
