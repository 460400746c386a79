// Model loading.
#include "model/model.h"

#include "util/thread_pool.h"

namespace rightsize::model {

namespace {

// Every weight matrix of the model, for repacking.
std::vector<kernels::MatrixView*> matrices(ModelWeights& w) {
  std::vector<kernels::MatrixView*> out = {&w.output};
  for (LayerWeights& l : w.layers)
    for (kernels::MatrixView* m : {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      out.push_back(m);
  return out;
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path, const LoadOptions& options) {
  std::unique_ptr<Model> m(new Model());
  m->file_ = gguf::GgufFile::open(path);
  m->config_ = load_config(*m->file_);
  m->weights_ = bind_weights(*m->file_, m->config_);
  if (options.repack) {
    ThreadPool pool(options.threads > 0 ? options.threads : ThreadPool::hardware_threads());
    for (kernels::MatrixView* v : matrices(m->weights_)) {
      if (v->empty() || !kernels::can_pack(v->type, v->n_in, v->n_out)) continue;
      m->packed_.push_back(kernels::pack_matrix(*v, pool));
      v->packed = &m->packed_.back();
    }
    if (m->weights_.tied_output) m->weights_.token_embd.packed = nullptr;  // lookups read rows
    // The originals of packed matrices are no longer read (embedding lookups touch a few rows
    // and fault them back in): let their pages go so the copy does not double the footprint.
    for (const auto& t : m->file_->tensors()) {
      const kernels::MatrixView* owner = nullptr;
      for (kernels::MatrixView* v : matrices(m->weights_))
        if (v->packed != nullptr && v->data == t.data) owner = v;
      if (owner != nullptr) m->file_->release_tensor_pages(t);
    }
  }
  return m;
}

uint64_t Model::packed_bytes() const {
  uint64_t total = 0;
  for (const auto& p : packed_) total += p.bytes();
  return total;
}

}  // namespace rightsize::model
