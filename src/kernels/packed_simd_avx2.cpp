// 256-bit versions of the packed kernels, for x86 CPUs without AVX-512: AVX2 (u8 x s8 dot
// products through vpmaddubsw + vpmaddwd) and AVX-VNNI (Alder Lake and later: the VEX form of
// vpdpbusd). Highway 1.0.3 has no u8 x s8 → i32 dot product ("SumOfMulQuadAccumulate" in later
// versions), so, as in packed_simd_x86.cpp, the intrinsics are used directly, compiled for
// their target only and chosen at run time. The tiles are written once
// (packed_avx2_tiles.inc) and compiled for each target.
#include <cstring>

#include "kernels/packed_simd.h"
#include "kernels/packed_tiles.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#include "kernels/packed_x86_common.h"

namespace rightsize::kernels {
namespace {

using x86::load_i32;
using x86::prefetch_ahead;

#define RS_TILE_TARGET __attribute__((target("avx2,fma,f16c")))
#define RS_TILE_NS avx2
#define RS_TILE_VNNI 0
#include "kernels/packed_avx2_tiles.inc"
#undef RS_TILE_TARGET
#undef RS_TILE_NS
#undef RS_TILE_VNNI

#define RS_TILE_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define RS_TILE_NS avx_vnni
#define RS_TILE_VNNI 1
#include "kernels/packed_avx2_tiles.inc"
#undef RS_TILE_TARGET
#undef RS_TILE_NS
#undef RS_TILE_VNNI

bool have_avx2() {
  static const bool ok =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  return ok;
}

bool have_avx_vnni() {
  // GCC 12's __builtin_cpu_supports does not know "avxvnni": CPUID leaf 7 subleaf 1, EAX bit 4.
  static const bool ok = [] {
    if (!have_avx2()) return false;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0 && (eax & (1u << 4)) != 0;
  }();
  return ok;
}

}  // namespace

PackedKernelFn packed_kernel_avx2(QuantType type) { return have_avx2() ? avx2::kernel(type) : nullptr; }
PackedKernelFn packed_kernel_avx_vnni(QuantType type) {
  return have_avx_vnni() ? avx_vnni::kernel(type) : nullptr;
}

}  // namespace rightsize::kernels

#else  // not x86-64 with GCC/Clang

namespace rightsize::kernels {
PackedKernelFn packed_kernel_avx2(QuantType) { return nullptr; }
PackedKernelFn packed_kernel_avx_vnni(QuantType) { return nullptr; }
}  // namespace rightsize::kernels

#endif
