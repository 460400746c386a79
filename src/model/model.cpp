// Model loading.
#include "model/model.h"

namespace rightsize::model {

std::unique_ptr<Model> Model::load(const std::string& path) {
  std::unique_ptr<Model> m(new Model());
  m->file_ = gguf::GgufFile::open(path);
  m->config_ = load_config(*m->file_);
  m->weights_ = bind_weights(*m->file_, m->config_);
  return m;
}

}  // namespace rightsize::model
