// GGUF reader: maps a file, validates every count, length, offset and shape against the file's
// size, and exposes typed metadata and zero-copy tensor views. Bad files raise rightsize::Error
// naming the byte offset and the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_value.h"
#include "util/mapped_file.h"

namespace rightsize::gguf {

struct TensorInfo {
  std::string name;
  uint32_t type = 0;              // ggml type id (see kernels::QuantType)
  std::vector<int64_t> shape;     // ne0 first (ne0 = contiguous dimension = input features)
  uint64_t offset = 0;            // relative to the start of the data section
  uint64_t n_bytes = 0;           // computed from type and shape
  int64_t n_elements() const;
  const void* data = nullptr;     // into the mapping
};

class GgufFile {
 public:
  // Opens and validates `path`. Raises Error on any problem.
  static std::unique_ptr<GgufFile> open(const std::string& path);
  // Parses an in-memory image (the fuzz target and tests); `bytes` must outlive the object.
  static std::unique_ptr<GgufFile> parse(std::span<const uint8_t> bytes, std::string name);

  const std::string& path() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }

  // Metadata in file order.
  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  // Typed getters: nullopt when absent, Error when present with a type that does not fit.
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  const Array* get_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  // The tensor's pages may leave memory (a copy of it is used instead); no-op for parsed images.
  void release_tensor_pages(const TensorInfo& t) const;
  // The tensor will be read a row at a time at random (embedding lookups).
  void advise_random_access(const TensorInfo& t) const;

 private:
  GgufFile() = default;
  void parse_all();

  std::string name_;
  std::unique_ptr<MappedFile> mapping_;
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace rightsize::gguf
