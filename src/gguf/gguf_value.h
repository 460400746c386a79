// One GGUF metadata value (scalar, string or array) with checked conversions and a short
// display form for `rightsize info`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rightsize::gguf {

// GGUF metadata value type ids.
enum class ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};
constexpr uint32_t kMaxValueTypeId = 12;
const char* value_type_name(ValueType t);  // "u32", "string", ...; "?" for an invalid id
bool is_integer_type(ValueType t);
bool is_float_type(ValueType t);
// Bytes one element occupies in the file: fixed size for scalars, the minimum for string
// (its length field) and array (type + count), which bounds any count against the bytes left.
uint64_t min_encoded_size(ValueType t);

// An array value: its element type and the elements, held in the widest matching C++ type.
struct Array;

// One metadata value. Integers keep their declared GGUF type in `type`; the variant holds
// them widened (signed → int64_t, unsigned → uint64_t, floats → double).
struct Value {
  ValueType type = ValueType::U8;
  std::variant<uint64_t, int64_t, double, bool, std::string, std::shared_ptr<Array>> data;

  bool is_integer() const;
  bool is_float() const;
  // Conversions raise Error naming `key` when the type does not fit or the value is out of range.
  int64_t as_int(std::string_view key) const;
  uint64_t as_uint(std::string_view key) const;
  double as_double(std::string_view key) const;  // any integer or float
  bool as_bool(std::string_view key) const;
  const std::string& as_string(std::string_view key) const;
  const Array& as_array(std::string_view key) const;
  std::string to_display(size_t max_items = 8) const;  // short human form for `info`
};

// Which vector holds the elements depends on elem_type, so a 128k-token vocabulary costs one
// std::string per token and no Value wrapper:
//   STRING            → strings
//   numeric or BOOL   → numbers (exact for every type up to 32 bits, F32 and F64);
//                       I64/U64 arrays also fill ints64 with the exact values, since a
//                       double holds integers exactly only up to 2^53
//   ARRAY             → items, each a Value of type ARRAY
// The reader fills exactly that layout. The writer also accepts `items` for any element type.
struct Array {
  ValueType elem_type = ValueType::U8;
  std::vector<Value> items;
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::vector<int64_t> ints64;  // I64 as is, U64 as its bit pattern
  size_t size() const;
};

}  // namespace rightsize::gguf
