// libFuzzer target for the GGUF reader: any input must parse or raise rightsize::Error, and
// everything a parsed file exposes (metadata, tensor views) must be safe to touch.
#include <cstddef>
#include <cstdint>

#include "gguf/gguf_file.h"
#include "util/error.h"

namespace {

using rightsize::gguf::Array;
using rightsize::gguf::Value;
using rightsize::gguf::ValueType;

// Calls every conversion; the ones that do not fit must throw Error, not crash.
void touch_value(const Value& v, std::string_view key, int depth) {
  (void)v.to_display();
  try {
    (void)v.as_int(key);
  } catch (const rightsize::Error&) {
  }
  try {
    (void)v.as_uint(key);
  } catch (const rightsize::Error&) {
  }
  try {
    (void)v.as_double(key);
  } catch (const rightsize::Error&) {
  }
  try {
    (void)v.as_bool(key);
  } catch (const rightsize::Error&) {
  }
  try {
    (void)v.as_string(key);
  } catch (const rightsize::Error&) {
  }
  if (v.type != ValueType::ARRAY) return;
  const Array& a = v.as_array(key);
  volatile size_t sink = a.size();
  for (const auto& s : a.strings) sink = sink + s.size();
  for (double d : a.numbers) sink = sink + (d != 0);
  for (const auto& item : a.items) touch_value(item, key, depth + 1);
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = rightsize::gguf::GgufFile::parse({data, size}, "fuzz.gguf");
    for (const auto& [key, value] : f->metadata()) {
      touch_value(value, key, 0);
      if (f->find(key) != &value) __builtin_trap();  // the index must agree with the list
    }
    try {
      (void)f->get_int("general.alignment");
    } catch (const rightsize::Error&) {
    }
    try {
      (void)f->get_string("general.architecture");
    } catch (const rightsize::Error&) {
    }
    for (const auto& t : f->tensors()) {
      if (f->find_tensor(t.name) != &t) __builtin_trap();
      // Reading the first and last byte lets ASan prove the view lies inside the input.
      const auto* p = static_cast<const uint8_t*>(t.data);
      volatile uint8_t sink = p[0] ^ p[t.n_bytes - 1];
      (void)sink;
      (void)t.n_elements();
    }
  } catch (const rightsize::Error&) {
  }
  return 0;
}
