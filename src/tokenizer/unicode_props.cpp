// Lookups into the generated Unicode tables (unicode_props_tables.inc).
#include "tokenizer/unicode_props.h"

#include <algorithm>
#include <iterator>

namespace rightsize::tokenizer::unicode {

namespace {

struct ClassRange {
  uint32_t first;  // the class holds from here up to the next range's first
  uint8_t cls;
};

struct Decomposition {
  uint32_t cp;
  uint32_t to[4];  // zero-padded
};

struct CaseMapping {
  uint32_t cp;
  uint32_t to;
};

#include "tokenizer/unicode_props_tables.inc"

// Hangul syllables decompose arithmetically (Unicode 3.12) rather than through a table.
constexpr uint32_t kHangulBase = 0xAC00, kHangulCount = 11172;
constexpr uint32_t kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr uint32_t kVowelCount = 21, kTrailCount = 28;

}  // namespace

CharClass char_class(uint32_t cp) {
  auto it = std::upper_bound(std::begin(kClassRanges), std::end(kClassRanges), cp,
                             [](uint32_t v, const ClassRange& r) { return v < r.first; });
  if (it == std::begin(kClassRanges)) return CharClass::kOther;
  return static_cast<CharClass>(std::prev(it)->cls);
}

bool is_white_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

bool is_cjk_ideograph(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

void append_nfd(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp >= kHangulBase && cp < kHangulBase + kHangulCount) {
    const uint32_t s = cp - kHangulBase;
    out.push_back(kLeadBase + s / (kVowelCount * kTrailCount));
    out.push_back(kVowelBase + (s % (kVowelCount * kTrailCount)) / kTrailCount);
    if (s % kTrailCount != 0) out.push_back(kTrailBase + s % kTrailCount);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                             [](const Decomposition& d, uint32_t v) { return d.cp < v; });
  if (it == std::end(kDecompositions) || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  for (uint32_t c : it->to) {
    if (c != 0) out.push_back(c);
  }
}

void append_lower(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (cp == 0x130) {  // the one code point whose lowercase is two: i + combining dot above
    out.push_back('i');
    out.push_back(0x307);
    return;
  }
  auto it = std::lower_bound(std::begin(kLowercase), std::end(kLowercase), cp,
                             [](const CaseMapping& m, uint32_t v) { return m.cp < v; });
  out.push_back(it != std::end(kLowercase) && it->cp == cp ? it->to : cp);
}

}  // namespace rightsize::tokenizer::unicode
