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
  // Embedding lookups read one row per token: keep the kernel from mapping (and counting as
  // resident) the neighbouring rows of every row read.
  if (const gguf::TensorInfo* t = m->file_->find_tensor("token_embd.weight")) m->file_->advise_random_access(*t);
  if (options.repack) {
    ThreadPool pool(options.threads > 0 ? options.threads : ThreadPool::hardware_threads());
    for (kernels::MatrixView* v : matrices(m->weights_)) {
      if (v->empty() || !kernels::can_pack(v->type, v->n_in, v->n_out)) continue;
      m->packed_.push_back(kernels::pack_matrix(*v, pool));
      v->packed = &m->packed_.back();
      // The original is no longer read (embedding lookups of a tied output touch a few rows and
      // fault them back in): let its pages go right away, so memory never holds both copies of
      // more than one matrix.
      for (const auto& t : m->file_->tensors())
        if (t.data == v->data) m->file_->release_tensor_pages(t);
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
