// The per-tensor quantization rules.
#include "model/quant_recipe.h"

#include <cctype>

namespace rightsize::model {

using kernels::QuantType;

namespace {

struct NamedTarget {
  const char* name;
  QuantType base;
  QuantTarget::Mix mix;
  uint32_t file_type;  // the reference's LLAMA_FTYPE numbering, written as general.file_type
};
constexpr NamedTarget kTargets[] = {
    {"F32", QuantType::F32, QuantTarget::Mix::kNone, 0},
    {"F16", QuantType::F16, QuantTarget::Mix::kNone, 1},
    {"BF16", QuantType::BF16, QuantTarget::Mix::kNone, 32},
    {"Q4_0", QuantType::Q4_0, QuantTarget::Mix::kNone, 2},
    {"Q4_1", QuantType::Q4_1, QuantTarget::Mix::kNone, 3},
    {"Q5_0", QuantType::Q5_0, QuantTarget::Mix::kNone, 8},
    {"Q5_1", QuantType::Q5_1, QuantTarget::Mix::kNone, 9},
    {"Q8_0", QuantType::Q8_0, QuantTarget::Mix::kNone, 7},
    {"Q2_K", QuantType::Q2_K, QuantTarget::Mix::kNone, 10},
    {"Q3_K", QuantType::Q3_K, QuantTarget::Mix::kNone, 11},
    {"Q4_K", QuantType::Q4_K, QuantTarget::Mix::kNone, 14},
    {"Q5_K", QuantType::Q5_K, QuantTarget::Mix::kNone, 16},
    {"Q6_K", QuantType::Q6_K, QuantTarget::Mix::kNone, 18},
    {"IQ4_NL", QuantType::IQ4_NL, QuantTarget::Mix::kNone, 25},
    {"IQ4_XS", QuantType::IQ4_XS, QuantTarget::Mix::kNone, 30},
    {"Q4_K_S", QuantType::Q4_K, QuantTarget::Mix::kS, 14},
    {"Q4_K_M", QuantType::Q4_K, QuantTarget::Mix::kM, 15},
    {"Q5_K_S", QuantType::Q5_K, QuantTarget::Mix::kS, 16},
    {"Q5_K_M", QuantType::Q5_K, QuantTarget::Mix::kM, 17},
};

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Layer index of "blk.N.xxx", or -1.
int64_t layer_of(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  int64_t v = 0;
  size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) v = v * 10 + (name[i++] - '0');
  return v;
}

// The reference gives the first and last eighth of the layers, and every third in between,
// more bits for the tensors that matter most (attn_v, ffn_down).
bool use_more_bits(int64_t i, int64_t n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

// K-quant and IQ4_XS blocks span 256 elements; rows that are not a multiple fall back to a
// 32-wide type of similar size, as the reference does.
QuantType fit_row(QuantType t, int64_t ne0) {
  const kernels::TypeTraits& tt = kernels::traits(t);
  if (ne0 % tt.block_size == 0) return t;
  switch (t) {
    case QuantType::Q2_K:
    case QuantType::Q3_K:
    case QuantType::IQ4_XS:
      return QuantType::IQ4_NL;
    case QuantType::Q4_K:
      return QuantType::Q5_0;
    case QuantType::Q5_K:
      return QuantType::Q5_1;
    case QuantType::Q6_K:
      return QuantType::Q8_0;
    default:
      break;
  }
  return ne0 % 32 == 0 ? QuantType::Q8_0 : QuantType::F16;
}

}  // namespace

std::optional<QuantTarget> parse_quant_target(std::string_view name) {
  std::string upper(name);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (const auto& t : kTargets)
    if (upper == t.name) return QuantTarget{upper, t.base, t.mix, t.file_type};
  return std::nullopt;
}

std::vector<std::string> quant_target_names() {
  std::vector<std::string> out;
  for (const auto& t : kTargets) out.emplace_back(t.name);
  return out;
}

QuantRecipe::QuantRecipe(QuantTarget target, int64_t n_layer, bool tied_output)
    : target_(std::move(target)), n_layer_(n_layer), tied_output_(tied_output) {}

QuantType QuantRecipe::type_for(const TensorSlot& t) const {
  if (t.shape.size() < 2) return QuantType::F32;  // norms, biases, rope factors
  const QuantType base = target_.base;
  const bool k_or_legacy_quant = kernels::traits(base).is_quantized;
  QuantType type = base;
  const bool is_output =
      t.name == "output.weight" || (tied_output_ && t.name == "token_embd.weight");
  const int64_t layer = layer_of(t.name);
  if (is_output && k_or_legacy_quant) {
    // The output projection is the most sensitive tensor: the reference keeps it at Q6_K for
    // every quantized target below 8 bits.
    if (base != QuantType::Q8_0) type = QuantType::Q6_K;
  } else if (target_.mix != QuantTarget::Mix::kNone) {
    const bool m = target_.mix == QuantTarget::Mix::kM;
    const bool q4 = base == QuantType::Q4_K;
    if (contains(t.name, "attn_v.weight")) {
      if (m && use_more_bits(layer, n_layer_)) type = QuantType::Q6_K;
      else if (!m && q4 && layer < 4) type = QuantType::Q5_K;
    } else if (contains(t.name, "ffn_down")) {
      if (m && use_more_bits(layer, n_layer_)) type = QuantType::Q6_K;
      else if (!m && q4 && layer < n_layer_ / 8) type = QuantType::Q5_K;
    } else if (contains(t.name, "attn_qkv.weight")) {
      if (m) type = q4 ? QuantType::Q5_K : QuantType::Q6_K;
    }
  }
  return fit_row(type, t.shape[0]);
}

}  // namespace rightsize::model
