// GGUF writer (v3): metadata in insertion order, tensor data aligned to general.alignment and
// produced on demand while writing, so multi-gigabyte models stream to disk with bounded memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"

namespace rightsize::gguf {

class GgufWriter {
 public:
  // Fills exactly the tensor's byte size at dst.
  using FillFn = std::function<void(uint8_t* dst, uint64_t n_bytes)>;
  // Called after each tensor is written: (tensors done, tensors total, bytes written).
  using ProgressFn = std::function<void(size_t, size_t, uint64_t)>;

  void set(std::string key, Value value);  // replaces an existing key in place
  void set_u32(std::string key, uint32_t v);
  void set_i32(std::string key, int32_t v);
  void set_f32(std::string key, float v);
  void set_bool(std::string key, bool v);
  void set_string(std::string key, std::string v);
  void set_string_array(std::string key, std::vector<std::string> v);
  void set_f32_array(std::string key, const std::vector<float>& v);
  void set_i32_array(std::string key, const std::vector<int32_t>& v);

  // shape is ne0 first; the byte size comes from the type's geometry. Raises Error on an
  // unknown type or a row length that is not a whole number of blocks.
  void add_tensor(std::string name, uint32_t type, std::vector<int64_t> shape, FillFn fill);

  // Writes to `path` (via a temporary file renamed at the end, so a failure leaves no
  // half-written model behind). Raises Error on I/O failure.
  void write(const std::string& path, const ProgressFn& progress = nullptr) const;

 private:
  struct PendingTensor {
    std::string name;
    uint32_t type;
    std::vector<int64_t> shape;
    uint64_t n_bytes;
    FillFn fill;
  };
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace rightsize::gguf
