// The table of supported architectures, keyed by general.architecture. Adding one means a
// file under models/ and one line in arch_registry.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_writer.h"
#include "model/config.h"

namespace rightsize::model {

struct ArchSpec {
  std::string_view name;  // general.architecture
  // The architecture's fixed choices: rope pairing, block shape, required tensors.
  void (*set_defaults)(ModelConfig& config);
  // Reads the architecture's own keys (after the common ones).
  void (*read_keys)(ConfigReader& reader, ModelConfig& config);
  // The inverse, for gen-model: writes the architecture's own keys.
  void (*write_keys)(const ModelConfig& config, gguf::GgufWriter& writer);
};

// The spec for an architecture, or nullptr when it is not supported.
const ArchSpec* find_arch(std::string_view name);
// Names of every supported architecture, for error messages and --help.
std::vector<std::string> supported_archs();

// Defined in models/<arch>.cpp.
extern const ArchSpec kLlamaArch;
extern const ArchSpec kGraniteArch;
extern const ArchSpec kQwen2Arch;
extern const ArchSpec kGemma2Arch;
extern const ArchSpec kPhi3Arch;

}  // namespace rightsize::model
