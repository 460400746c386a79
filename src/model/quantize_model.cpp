// Model re-quantization: dequantize each weight row to float, quantize it to its new type.
#include "model/quantize_model.h"

#include <cstring>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "kernels/quant_types.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace rightsize::model {

QuantizeStats quantize_model(const std::string& in, const std::string& out,
                             const std::string& target_name, int threads,
                             const WriteProgress& progress) {
  auto target = parse_quant_target(target_name);
  if (!target) {
    std::string list;
    for (const auto& n : quant_target_names()) list += (list.empty() ? "" : ", ") + n;
    throw Error("quantize: unknown type '" + target_name + "' (known: " + list + ")");
  }
  auto file = gguf::GgufFile::open(in);
  const auto arch = file->get_string("general.architecture").value_or("");
  const int64_t n_layer = arch.empty() ? 0 : file->get_int(arch + ".block_count").value_or(0);
  const bool tied = file->find_tensor("output.weight") == nullptr;
  QuantRecipe recipe(*target, n_layer, tied);

  gguf::GgufWriter wr;
  for (const auto& [key, value] : file->metadata()) wr.set(key, value);
  wr.set_u32("general.file_type", target->file_type);
  wr.set_u32("general.quantization_version", 2);

  QuantizeStats stats;
  ThreadPool pool(threads);
  for (const gguf::TensorInfo& t : file->tensors()) {
    stats.bytes_in += t.n_bytes;
    const kernels::TypeTraits* src = kernels::find_traits(t.type);
    if (src == nullptr) throw Error(in + ": tensor '" + t.name + "' has an unsupported type id " + std::to_string(t.type));
    kernels::QuantType dst_type = recipe.type_for({t.name, t.shape});
    // A 1-D tensor keeps its type; it is never worth quantizing.
    if (t.shape.size() < 2) dst_type = src->type;
    const kernels::TypeTraits& dst = kernels::traits(dst_type);
    if (dst_type != src->type && (src->to_float == nullptr || dst.from_float == nullptr))
      throw Error(in + ": cannot convert tensor '" + t.name + "' from " + src->name + " to " + dst.name);
    if (dst_type == src->type) ++stats.n_copied; else ++stats.n_quantized;
    const gguf::TensorInfo* tp = &t;
    wr.add_tensor(t.name, static_cast<uint32_t>(dst_type), t.shape,
                  [tp, src, &dst, &pool](uint8_t* out_bytes, uint64_t n_bytes) {
                    if (src->type == dst.type) {
                      std::memcpy(out_bytes, tp->data, n_bytes);
                      return;
                    }
                    const int64_t n_in = tp->shape[0];
                    const int64_t n_rows = tp->n_elements() / n_in;
                    const size_t in_row = kernels::row_size(src->type, n_in);
                    const size_t out_row = kernels::row_size(dst.type, n_in);
                    const uint8_t* in_bytes = static_cast<const uint8_t*>(tp->data);
                    pool.parallel_for(n_rows, [&](int64_t r0, int64_t r1, int) {
                      std::vector<float> row(static_cast<size_t>(n_in));
                      for (int64_t r = r0; r < r1; ++r) {
                        src->to_float(in_bytes + static_cast<size_t>(r) * in_row, row.data(), n_in);
                        dst.from_float(row.data(), out_bytes + static_cast<size_t>(r) * out_row, n_in);
                      }
                    });
                  });
  }
  wr.write(out, [&](size_t done, size_t total, uint64_t bytes) {
    stats.bytes_out = bytes;
    if (progress) progress(done, total, bytes);
  });
  return stats;
}

}  // namespace rightsize::model
