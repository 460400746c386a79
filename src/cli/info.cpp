// `rightsize info FILE [--json]`: a GGUF file's metadata and tensor table.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "gguf/tensor_types.h"

namespace rightsize::cli {
namespace {

nlohmann::json value_json(const gguf::Value& v, bool full_arrays);

nlohmann::json array_json(const gguf::Array& a, bool full) {
  nlohmann::json out = nlohmann::json::array();
  const size_t n = a.size();
  const size_t shown = full ? n : std::min<size_t>(n, 16);
  for (size_t i = 0; i < shown; ++i) {
    if (a.elem_type == gguf::ValueType::STRING) out.push_back(a.strings[i]);
    else if (a.elem_type == gguf::ValueType::ARRAY) out.push_back(value_json(a.items[i], full));
    else if (a.elem_type == gguf::ValueType::BOOL) out.push_back(a.numbers[i] != 0.0);
    else out.push_back(a.numbers[i]);
  }
  return out;
}

nlohmann::json value_json(const gguf::Value& v, bool full_arrays) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::STRING: return v.as_string("");
    case ValueType::BOOL: return v.as_bool("");
    case ValueType::F32:
    case ValueType::F64: return v.as_double("");
    case ValueType::ARRAY: {
      const gguf::Array& a = v.as_array("");
      nlohmann::json j;
      j["type"] = "array";
      j["element_type"] = gguf::value_type_name(a.elem_type);
      j["count"] = a.size();
      j["values"] = array_json(a, full_arrays);
      return j;
    }
    case ValueType::I8:
    case ValueType::I16:
    case ValueType::I32:
    case ValueType::I64: return v.as_int("");
    default: return v.as_uint("");
  }
}

void run_info(const std::string& path, bool json, bool full_arrays) {
  auto f = gguf::GgufFile::open(path);
  if (json) {
    nlohmann::json j;
    j["path"] = path;
    j["version"] = f->version();
    j["alignment"] = f->alignment();
    j["data_offset"] = f->data_offset();
    j["metadata"] = nlohmann::json::object();
    for (const auto& [k, v] : f->metadata()) j["metadata"][k] = value_json(v, full_arrays);
    j["tensors"] = nlohmann::json::array();
    for (const auto& t : f->tensors()) {
      const gguf::TypeGeometry* g = gguf::type_geometry(t.type);
      j["tensors"].push_back({{"name", t.name},
                              {"type", g ? g->name : "?"},
                              {"shape", t.shape},
                              {"offset", t.offset},
                              {"bytes", t.n_bytes}});
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%s: GGUF v%u, %zu metadata keys, %zu tensors, alignment %llu\n", path.c_str(),
              f->version(), f->metadata().size(), f->tensors().size(),
              static_cast<unsigned long long>(f->alignment()));
  std::printf("\nmetadata:\n");
  for (const auto& [k, v] : f->metadata())
    std::printf("  %-48s %s\n", k.c_str(), v.to_display().c_str());
  std::printf("\ntensors:\n");
  uint64_t total = 0;
  for (const auto& t : f->tensors()) {
    const gguf::TypeGeometry* g = gguf::type_geometry(t.type);
    std::string shape = "[";
    for (size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    shape += "]";
    std::printf("  %-40s %-7s %-20s %12llu bytes\n", t.name.c_str(), g ? g->name : "?",
                shape.c_str(), static_cast<unsigned long long>(t.n_bytes));
    total += t.n_bytes;
  }
  std::printf("\ntotal tensor data: %.2f MiB\n", static_cast<double>(total) / (1024.0 * 1024.0));
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show a GGUF file's metadata and tensor table");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto full = std::make_shared<bool>(false);
  cmd->add_option("file", *path, "GGUF file")->required();
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->add_flag("--full-arrays", *full, "With --json, print whole arrays (token lists can be large)");
  cmd->callback([=] { run_info(*path, *json, *full); });
}

}  // namespace rightsize::cli
