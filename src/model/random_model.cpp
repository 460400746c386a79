// Random-weight GGUF models. Weights are approximately Gaussian (a sum of four uniforms:
// cheap, and bounded so no outlier dominates a quant block), scaled by 1/sqrt(fan-in) so the
// residual stream stays well-conditioned at any depth; norms are near 1.
#include "model/random_model.h"

#include <cmath>
#include <numbers>
#include <set>

#include "gguf/gguf_writer.h"
#include "kernels/quant_types.h"
#include "model/arch_registry.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace rightsize::model {
namespace {

// splitmix64: a tiny, good-quality generator whose state can be derived per row, so rows can
// be generated in parallel and still give the same file for the same seed.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Approximately N(0, 1): four uniforms on (-1, 1) have variance 4/3.
  float gauss() {
    const uint64_t r = next();
    float sum = 0.0f;
    for (int i = 0; i < 4; ++i) {
      const uint32_t u = static_cast<uint32_t>(r >> (16 * i)) & 0xFFFFu;
      sum += static_cast<float>(u) * (2.0f / 65535.0f) - 1.0f;
    }
    return sum * 0.8660254f;  // sqrt(3/4)
  }
};

uint64_t hash_name(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct TensorPlan {
  std::string name;
  std::vector<int64_t> shape;  // ne0 first
  float stddev;                // of the Gaussian part
  float mean;                  // norms: 1 + N(0, stddev)
};

std::vector<TensorPlan> plan_tensors(const RandomModelSpec& spec) {
  const ModelConfig& c = spec.config;
  std::vector<TensorPlan> t;
  auto w = [&](std::string name, int64_t n_in, int64_t n_out) {
    t.push_back({std::move(name), {n_in, n_out}, 1.0f / std::sqrt(static_cast<float>(n_in)), 0.0f});
  };
  auto norm = [&](std::string name, int64_t n) { t.push_back({std::move(name), {n}, 0.05f, 1.0f}); };
  auto bias = [&](std::string name, int64_t n) { t.push_back({std::move(name), {n}, 0.05f, 0.0f}); };
  // Tied embeddings double as the output projection: scale them like one, so logits have
  // unit spread instead of sqrt(n_embd).
  const float embd_std = spec.tied_output ? 1.0f / std::sqrt(static_cast<float>(c.n_embd)) : 1.0f;
  t.push_back({"token_embd.weight", {c.n_embd, c.n_vocab}, embd_std, 0.0f});
  if (spec.rope_freqs) t.push_back({"rope_freqs.weight", {c.n_rot / 2}, 0.0f, 0.0f});
  if (spec.long_rope) {
    // LongRoPE factors are >= 1, growing with the wavelength; random ones in [1, 1.5] for short
    // and [1, 40] for long keep the shape of real files.
    t.push_back({"rope_factors_long.weight", {c.n_rot / 2}, 0.0f, 0.0f});
    t.push_back({"rope_factors_short.weight", {c.n_rot / 2}, 0.0f, 0.0f});
  }
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    norm(p + "attn_norm.weight", c.n_embd);
    if (c.fused_qkv) {
      w(p + "attn_qkv.weight", c.n_embd, c.n_embd_q() + c.n_embd_k() + c.n_embd_v());
    } else {
      w(p + "attn_q.weight", c.n_embd, c.n_embd_q());
      w(p + "attn_k.weight", c.n_embd, c.n_embd_k());
      w(p + "attn_v.weight", c.n_embd, c.n_embd_v());
      if (c.qkv_bias_required) {
        bias(p + "attn_q.bias", c.n_embd_q());
        bias(p + "attn_k.bias", c.n_embd_k());
        bias(p + "attn_v.bias", c.n_embd_v());
      }
    }
    w(p + "attn_output.weight", c.n_embd_q(), c.n_embd);
    if (c.post_norms) norm(p + "post_attention_norm.weight", c.n_embd);
    norm(p + "ffn_norm.weight", c.n_embd);
    if (c.fused_gate_up) {
      w(p + "ffn_up.weight", c.n_embd, 2 * c.n_ff);
    } else {
      w(p + "ffn_gate.weight", c.n_embd, c.n_ff);
      w(p + "ffn_up.weight", c.n_embd, c.n_ff);
    }
    w(p + "ffn_down.weight", c.n_ff, c.n_embd);
    if (c.post_norms) norm(p + "post_ffw_norm.weight", c.n_embd);
  }
  norm("output_norm.weight", c.n_embd);
  if (!spec.tied_output) w("output.weight", c.n_embd, c.n_vocab);
  return t;
}

// Llama 3.1 frequency divisors: long wavelengths are slowed by `factor`, short ones kept,
// with a smooth ramp between (see ../shared/notes).
std::vector<float> llama3_rope_freqs(const RandomModelSpec& spec) {
  const ModelConfig& c = spec.config;
  const float low_freq_factor = 1.0f, high_freq_factor = 4.0f;
  const float orig = static_cast<float>(spec.rope_orig_ctx);
  std::vector<float> out;
  for (int64_t i = 0; i < c.n_rot / 2; ++i) {
    const float freq = std::pow(c.rope_freq_base, -2.0f * static_cast<float>(i) / static_cast<float>(c.n_rot));
    const float wavelen = 2.0f * std::numbers::pi_v<float> / freq;
    if (wavelen < orig / high_freq_factor) {
      out.push_back(1.0f);
    } else if (wavelen > orig / low_freq_factor) {
      out.push_back(spec.rope_scaling_factor);
    } else {
      const float s = (orig / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      out.push_back(1.0f / ((1.0f - s) / spec.rope_scaling_factor + s));
    }
  }
  return out;
}

// A SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then word pieces.
// The pieces are made-up letter strings (random weights have nothing to say anyway) but the
// vocabulary is well-formed, so every tokenizer path can run on it.
void write_vocab(gguf::GgufWriter& wr, int64_t n_vocab) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  tokens.reserve(static_cast<size_t>(n_vocab));
  auto add = [&](std::string s, float score, int32_t type) {
    tokens.push_back(std::move(s));
    scores.push_back(score);
    types.push_back(type);
  };
  add("<unk>", 0.0f, 2);  // UNKNOWN
  add("<s>", 0.0f, 3);    // CONTROL
  add("</s>", 0.0f, 3);
  for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_vocab; ++b) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    add(buf, 0.0f, 6);  // BYTE
  }
  // Punctuation, digits and JSON literals, as real vocabularies have them (a quote closing a
  // string after a letter, "00".."99", ...): structured output needs tokens that can close
  // strings and numbers, or a random model's constrained JSON never ends. Large vocabularies only.
  std::vector<std::string> symbols;
  if (n_vocab >= 1024) {
    for (const char* p : {"\"", ",", ":", "{", "}", "[", "]", ".", "-", "_", "@", "/", "+", "'", "(", ")", "!", "?",
                          ";", "=", "#", "%", "&", "*", "\",", "\":", "\"}", "\"]", "{\"", "[\"", "},", "],", "}}",
                          "]]", "{}", "[]", ",\"", ":\"", "\":\"", "\",\"", "\"},", "\"],", "}]", "\"}]", ".\"",
                          "!\"", "?\"", "t", "tr", "tru", "true", "f", "fa", "fal", "fals", "false", "n", "nu",
                          "nul", "null"})
      symbols.push_back(p);
    for (char c = 'a'; c <= 'z'; ++c) symbols.push_back(std::string(1, c) + "\"");
    for (int d = 0; d < 100; ++d) symbols.push_back(std::to_string(d));
    for (int d = 0; d < 10; ++d) symbols.push_back("0" + std::to_string(d));
  }
  static const char kLetters[] = "etaoinshrdlcumwfgypbvkjxqz";
  const int64_t letters_end = n_vocab - static_cast<int64_t>(symbols.size());
  for (int64_t i = 0; static_cast<int64_t>(tokens.size()) < letters_end; ++i) {
    // Enumerate letter strings in order of length; every other one starts a word.
    std::string piece;
    int64_t k = i / 2;
    do {
      piece.insert(piece.begin(), kLetters[k % 26]);
      k = k / 26 - 1;
    } while (k >= 0);
    if (i % 2 == 0) piece = "\xE2\x96\x81" + piece;  // "▁"
    add(piece, -static_cast<float>(i) * 0.001f, 1);  // NORMAL
  }
  // Letter strings the enumeration already made ("t", "fa", ...) are not added twice.
  const std::set<std::string> have(tokens.begin(), tokens.end());
  for (const std::string& p : symbols)
    if (!have.count(p)) add(p, -1.0f, 1);
  // Fill what duplicates left over with further letter strings.
  for (int64_t i = letters_end; static_cast<int64_t>(tokens.size()) < n_vocab; ++i) {
    std::string piece;
    int64_t k = i;
    do {
      piece.insert(piece.begin(), kLetters[k % 26]);
      k = k / 26 - 1;
    } while (k >= 0);
    piece = "\xE2\x96\x81" + piece + "s";  // beyond the enumeration's reach: "▁...s"
    if (!have.count(piece)) add(piece, -2.0f, 1);
  }
  wr.set_string("tokenizer.ggml.model", "llama");
  wr.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
  wr.set_f32_array("tokenizer.ggml.scores", scores);
  wr.set_i32_array("tokenizer.ggml.token_type", types);
  wr.set_u32("tokenizer.ggml.bos_token_id", 1);
  wr.set_u32("tokenizer.ggml.eos_token_id", 2);
  wr.set_u32("tokenizer.ggml.unknown_token_id", 0);
  wr.set_bool("tokenizer.ggml.add_bos_token", true);
  wr.set_bool("tokenizer.ggml.add_eos_token", false);
}

void validate(const RandomModelSpec& spec) {
  const ModelConfig& c = spec.config;
  if (find_arch(c.arch) == nullptr) throw Error("gen-model: unsupported architecture '" + c.arch + "'");
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("gen-model: " + what);
  };
  need(c.n_embd > 0 && c.n_layer > 0 && c.n_head > 0 && c.n_head_kv > 0 && c.n_ff > 0 &&
           c.head_dim > 0 && c.n_vocab > 0,
       "every dimension must be positive");
  need(c.n_head % c.n_head_kv == 0, "n_head must be a multiple of n_head_kv");
  need(c.head_dim % 2 == 0, "head_dim must be even (rotary pairs)");
  need(c.n_vocab >= 259, "n_vocab must be at least 259 (3 special + 256 byte tokens)");
  const bool float_target = spec.target == "F32" || spec.target == "F16" || spec.target == "BF16";
  need(float_target || (c.n_embd % 32 == 0 && c.n_ff % 32 == 0 && c.head_dim % 32 == 0),
       "quantized models need n_embd, n_ff and head_dim to be multiples of 32");
  if (!parse_quant_target(spec.target)) {
    std::string list;
    for (const auto& n : quant_target_names()) list += (list.empty() ? "" : ", ") + n;
    throw Error("gen-model: unknown type '" + spec.target + "' (known: " + list + ")");
  }
}

}  // namespace

RandomModelSpec default_spec(const std::string& arch) {
  RandomModelSpec s;
  ModelConfig& c = s.config;
  c.arch = arch;
  c.n_vocab = 512;
  c.n_embd = 256;
  c.n_layer = 2;
  c.n_head = 8;
  c.n_head_kv = 2;
  c.head_dim = 32;
  c.head_dim_v = 32;
  c.n_rot = 32;
  c.n_ff = 512;
  c.n_ctx_train = 2048;
  c.rms_eps = 1e-5f;
  c.rope_freq_base = 10000.0f;
  if (const ArchSpec* a = find_arch(arch)) a->set_defaults(c);
  return s;
}

std::optional<RandomModelSpec> preset_spec(const std::string& name) {
  if (name == "llama-3.2-1b" || name == "llama-3.1-8b" || name == "tiny") {
    RandomModelSpec s = default_spec("llama");
    ModelConfig& c = s.config;
    if (name == "tiny") {
      // The built-in default: small enough to generate and run in a second.
      c.n_vocab = 2048;
      c.n_embd = 256;
      c.n_layer = 4;
      c.n_head = 8;
      c.n_head_kv = 4;
      c.head_dim = c.head_dim_v = c.n_rot = 32;
      c.n_ff = 768;
      c.n_ctx_train = 2048;
      s.tied_output = true;
      return s;
    }
    c.n_vocab = 128256;
    c.n_head = 32;
    c.n_head_kv = 8;
    c.rope_freq_base = 500000.0f;
    s.rope_freqs = true;
    s.rope_orig_ctx = 8192;
    c.n_ctx_train = 131072;
    if (name == "llama-3.2-1b") {
      c.n_embd = 2048;
      c.n_layer = 16;
      c.n_ff = 8192;
      c.head_dim = c.head_dim_v = c.n_rot = 64;
      s.tied_output = true;
      s.rope_scaling_factor = 32.0f;
    } else {
      c.n_embd = 4096;
      c.n_layer = 32;
      c.n_ff = 14336;
      c.head_dim = c.head_dim_v = c.n_rot = 128;
      s.tied_output = false;
      s.rope_scaling_factor = 8.0f;
    }
    return s;
  }
  if (name == "gemma-2-2b" || name == "gemma-2-9b") {
    RandomModelSpec s = default_spec("gemma2");
    ModelConfig& c = s.config;
    const bool small = name == "gemma-2-2b";
    c.n_vocab = 256000;
    c.n_embd = small ? 2304 : 3584;
    c.n_layer = small ? 26 : 42;
    c.n_head = small ? 8 : 16;
    c.n_head_kv = small ? 4 : 8;
    c.head_dim = c.head_dim_v = c.n_rot = 256;
    c.n_ff = small ? 9216 : 14336;
    c.n_ctx_train = 8192;
    c.rms_eps = 1e-6f;
    c.sliding_window = 4096;
    s.tied_output = true;
    return s;
  }
  if (name == "phi-3.5-mini" || name == "phi-4") {
    RandomModelSpec s = default_spec("phi3");
    ModelConfig& c = s.config;
    if (name == "phi-3.5-mini") {
      c.n_vocab = 32064;
      c.n_embd = 3072;
      c.n_layer = 32;
      c.n_head = c.n_head_kv = 32;
      c.head_dim = c.head_dim_v = c.n_rot = 96;
      c.n_ff = 8192;
      c.n_ctx_train = 131072;
      c.sliding_window = 262144;
      s.long_rope = true;
      c.rope_orig_ctx = 4096;
      c.rope_attn_factor = 1.1902381f;  // sqrt(1 + ln(131072/4096) / ln(4096))
    } else {
      c.n_vocab = 100352;
      c.n_embd = 5120;
      c.n_layer = 40;
      c.n_head = 40;
      c.n_head_kv = 10;
      c.head_dim = c.head_dim_v = c.n_rot = 128;
      c.n_ff = 17920;
      c.n_ctx_train = 16384;
      c.rope_freq_base = 250000.0f;
      c.sliding_window = 0;  // Phi-4 writes 0: no window
    }
    return s;
  }
  return std::nullopt;
}

std::vector<std::string> preset_names() {
  return {"tiny", "llama-3.2-1b", "llama-3.1-8b", "gemma-2-2b", "gemma-2-9b", "phi-3.5-mini", "phi-4"};
}

void write_random_model(const RandomModelSpec& spec, const std::string& path,
                        const WriteProgress& progress) {
  validate(spec);
  const ModelConfig& c = spec.config;
  const QuantTarget target = *parse_quant_target(spec.target);
  gguf::GgufWriter wr;
  const std::string a = c.arch + ".";
  wr.set_string("general.architecture", c.arch);
  wr.set_string("general.name", "rightsize random " + c.arch + " (random weights)");
  wr.set_u32("general.alignment", 32);
  wr.set_u32("general.file_type", target.file_type);
  wr.set_u32("general.quantization_version", 2);
  wr.set_u32(a + "context_length", static_cast<uint32_t>(c.n_ctx_train));
  wr.set_u32(a + "embedding_length", static_cast<uint32_t>(c.n_embd));
  wr.set_u32(a + "block_count", static_cast<uint32_t>(c.n_layer));
  wr.set_u32(a + "feed_forward_length", static_cast<uint32_t>(c.n_ff));
  wr.set_u32(a + "attention.head_count", static_cast<uint32_t>(c.n_head));
  wr.set_u32(a + "attention.head_count_kv", static_cast<uint32_t>(c.n_head_kv));
  if (c.head_dim * c.n_head != c.n_embd) {
    wr.set_u32(a + "attention.key_length", static_cast<uint32_t>(c.head_dim));
    wr.set_u32(a + "attention.value_length", static_cast<uint32_t>(c.head_dim_v));
  }
  wr.set_u32(a + "rope.dimension_count", static_cast<uint32_t>(c.n_rot));
  wr.set_f32(a + "rope.freq_base", c.rope_freq_base);
  wr.set_f32(a + "attention.layer_norm_rms_epsilon", c.rms_eps);
  wr.set_u32(a + "vocab_size", static_cast<uint32_t>(c.n_vocab));
  if (c.attention_scale != 0.0f) wr.set_f32(a + "attention.scale", c.attention_scale);
  if (c.sliding_window > 0 || c.arch == "phi3")
    wr.set_u32(a + "attention.sliding_window", static_cast<uint32_t>(c.sliding_window));
  if (spec.long_rope) {
    wr.set_u32(a + "rope.scaling.original_context_length", static_cast<uint32_t>(c.rope_orig_ctx));
    wr.set_f32(a + "rope.scaling.attn_factor", c.rope_attn_factor);
  }
  if (const ArchSpec* arch = find_arch(c.arch); arch->write_keys != nullptr) arch->write_keys(c, wr);
  write_vocab(wr, c.n_vocab);

  const std::vector<TensorPlan> plan = plan_tensors(spec);
  QuantRecipe recipe(target, c.n_layer, spec.tied_output);
  ThreadPool pool(spec.threads);
  std::vector<float> rope_freqs = spec.rope_freqs ? llama3_rope_freqs(spec) : std::vector<float>{};
  for (size_t ti = 0; ti < plan.size(); ++ti) {
    const TensorPlan& tp = plan[ti];
    const kernels::QuantType type = recipe.type_for({tp.name, tp.shape});
    const uint64_t tensor_seed = spec.seed ^ hash_name(tp.name);
    wr.add_tensor(tp.name, static_cast<uint32_t>(type), tp.shape,
                  [&pool, &tp, &rope_freqs, type, tensor_seed](uint8_t* dst, uint64_t) {
                    const int64_t n_in = tp.shape[0];
                    const int64_t n_rows = tp.shape.size() > 1 ? tp.shape[1] : 1;
                    const size_t row_bytes = kernels::row_size(type, n_in);
                    const kernels::TypeTraits& tt = kernels::traits(type);
                    pool.parallel_for(n_rows, [&](int64_t r0, int64_t r1, int) {
                      std::vector<float> row(static_cast<size_t>(n_in));
                      for (int64_t r = r0; r < r1; ++r) {
                        if (tp.name == "rope_freqs.weight") {
                          row = rope_freqs;
                        } else if (tp.name.rfind("rope_factors_", 0) == 0) {
                          const float top = tp.name == "rope_factors_long.weight" ? 40.0f : 1.5f;
                          for (size_t i = 0; i < row.size(); ++i)
                            row[i] = 1.0f + (top - 1.0f) * static_cast<float>(i) / static_cast<float>(row.size());
                        } else {
                          Rng rng{tensor_seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(r)};
                          for (auto& v : row) v = tp.mean + tp.stddev * rng.gauss();
                        }
                        tt.from_float(row.data(), dst + static_cast<size_t>(r) * row_bytes, n_in);
                      }
                    });
                  });
  }
  wr.write(path, progress);
}

}  // namespace rightsize::model
