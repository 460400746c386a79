// A loaded model: the mapped GGUF file, its configuration and its weight views.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "kernels/packed.h"

#include "gguf/gguf_file.h"
#include "model/config.h"
#include "model/weights.h"

namespace rightsize::model {

struct LoadOptions {
  // Repack weight matrices for the fast integer kernels (the mapped originals are then
  // released from memory). Off: every matmul reads the file's layout directly.
  bool repack = true;
  int threads = 0;  // for repacking; 0 = all cores
};

class Model {
 public:
  // Maps the file, reads and validates the configuration, binds the weights, repacks them.
  // Raises Error naming the file and everything that is wrong with it.
  static std::unique_ptr<Model> load(const std::string& path, const LoadOptions& options = {});

  // Bytes of repacked weight copies held in memory.
  uint64_t packed_bytes() const;

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const gguf::GgufFile& file() const { return *file_; }

 private:
  Model() = default;
  std::unique_ptr<gguf::GgufFile> file_;
  ModelConfig config_;
  ModelWeights weights_;
  std::deque<kernels::PackedMatrix> packed_;
};

}  // namespace rightsize::model
