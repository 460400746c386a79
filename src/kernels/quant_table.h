// Internal to kernels/: write access to the traits table, so that the SIMD dispatch module can
// replace a type's vec_dot once at start-up. Everyone else reads the table through traits().
#pragma once

#include "kernels/quant_types.h"

namespace rightsize::kernels {

// The table entry of a supported type (a bug to ask for anything else). Does not install the
// SIMD kernels, so dispatch may call it while installing them.
TypeTraits& mutable_traits(QuantType t);

}  // namespace rightsize::kernels
