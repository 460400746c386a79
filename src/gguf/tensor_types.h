// Block geometry of the ggml tensor types a GGUF file may name: enough to size and bounds-check
// tensor data without knowing how to decode it (decoding lives in kernels/).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rightsize::gguf {

struct TypeGeometry {
  uint32_t id;         // ggml type id as stored in the file
  const char* name;    // "Q4_K"
  int64_t block_size;  // elements per block
  size_t type_size;    // bytes per block
};

// Geometry for a type id, or nullptr when the id is unknown or unsupported.
const TypeGeometry* type_geometry(uint32_t id);

}  // namespace rightsize::gguf
