// Read-only memory mapping of a whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace rightsize {

class MappedFile {
 public:
  // Raises Error naming the path and the system error when the file cannot be mapped.
  static std::unique_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // Tells the kernel the pages wholly inside [p, p + n) are not needed for now: they leave the
  // process's resident set and are read back from the file if touched again.
  void release(const void* p, size_t n) const;
  // Pages in [p, p + n) will be touched at random, one at a time: no read-ahead and no
  // mapping of neighbouring pages on a fault, so only what is read becomes resident.
  void advise_random(const void* p, size_t n) const;
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace rightsize
