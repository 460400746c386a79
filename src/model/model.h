// A loaded model: the mapped GGUF file, its configuration and its weight views.
#pragma once

#include <memory>
#include <string>

#include "gguf/gguf_file.h"
#include "model/config.h"
#include "model/weights.h"

namespace rightsize::model {

class Model {
 public:
  // Maps the file, reads and validates the configuration, binds the weights.
  // Raises Error naming the file and everything that is wrong with it.
  static std::unique_ptr<Model> load(const std::string& path);

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const gguf::GgufFile& file() const { return *file_; }

 private:
  Model() = default;
  std::unique_ptr<gguf::GgufFile> file_;
  ModelConfig config_;
  ModelWeights weights_;
};

}  // namespace rightsize::model
