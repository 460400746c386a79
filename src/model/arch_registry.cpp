// The architecture table.
#include "model/arch_registry.h"

namespace rightsize::model {
namespace {
const ArchSpec* const kArchs[] = {&kLlamaArch, &kGraniteArch, &kQwen2Arch, &kGemma2Arch, &kPhi3Arch};
}  // namespace

const ArchSpec* find_arch(std::string_view name) {
  for (const ArchSpec* a : kArchs)
    if (a->name == name) return a;
  return nullptr;
}

std::vector<std::string> supported_archs() {
  std::vector<std::string> out;
  for (const ArchSpec* a : kArchs) out.emplace_back(a->name);
  return out;
}

}  // namespace rightsize::model
