// GGUF reader. Every count, length, offset and shape is checked against the bytes actually
// left before it is used, so a hostile file fails fast with "name: byte N: field: problem".
#include "gguf/gguf_file.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "gguf/tensor_types.h"
#include "util/error.h"

namespace rightsize::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747;                // "GGUF" read as a little-endian u32
constexpr uint64_t kMaxAlignment = uint64_t{1} << 20;  // larger is a corrupt value, not a choice
constexpr uint32_t kMaxDims = 4;                       // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;  // nested arrays are legal but unused; bound the recursion
// A metadata entry is at least a key length, a type and a one-byte value; a tensor info at
// least a name length, n_dims, one dimension, a type and an offset.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
// A count that fits the bytes left can still be hostile in a multi-gigabyte file (the tensor
// data counts as "bytes left"), so up-front reservations stop here and vectors grow as
// elements actually parse. 2^17 covers a 128k vocabulary in one allocation.
constexpr uint64_t kMaxReserve = uint64_t{1} << 17;

size_t capped(uint64_t count) { return static_cast<size_t>(std::min(count, kMaxReserve)); }

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Where a value sits, for messages: "key 'a.b'" plus array indices, built only on failure
// so that reading a 128k-entry token list costs no string formatting.
struct FieldRef {
  const std::string* prefix;
  int64_t index = -1;
  std::string str() const {
    return index < 0 ? *prefix : *prefix + "[" + std::to_string(index) + "]";
  }
};

// Bounds-checked little-endian cursor over the file image.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  [[noreturn]] void fail(uint64_t at, const std::string& field, const std::string& msg) const {
    throw Error(name_ + ": byte " + std::to_string(at) + ": " + field + ": " + msg);
  }

  template <typename T>
  T read(const FieldRef& field) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T))
      fail(pos_, field.str(),
           "needs " + std::to_string(sizeof(T)) + " bytes but the file ends after " +
               std::to_string(remaining()));
    // Assemble from bytes so the result is little-endian whatever the host.
    using U = std::conditional_t<
        sizeof(T) == 1, uint8_t,
        std::conditional_t<sizeof(T) == 2, uint16_t,
                           std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    U u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) u |= static_cast<U>(U{bytes_[pos_ + i]} << (8 * i));
    pos_ += sizeof(T);
    return std::bit_cast<T>(u);
  }
  template <typename T>
  T read(const std::string& field) {
    return read<T>(FieldRef{&field});
  }

  std::string read_string(const FieldRef& field) {
    uint64_t at = pos_;
    uint64_t len = read<uint64_t>(field);
    if (len > remaining())
      fail(at, field.str(),
           "string length " + std::to_string(len) + " exceeds the " + std::to_string(remaining()) +
               " bytes left in the file");
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }
  std::string read_string(const std::string& field) { return read_string(FieldRef{&field}); }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  uint64_t pos_ = 0;
};

ValueType read_value_type(Cursor& in, const FieldRef& field, const char* what) {
  uint64_t at = in.pos();
  uint32_t id = in.read<uint32_t>(field);
  if (id > kMaxValueTypeId)
    in.fail(at, field.str(), std::string("unknown ") + what + " " + std::to_string(id));
  return static_cast<ValueType>(id);
}

Value read_value(Cursor& in, ValueType type, const FieldRef& field, int depth);

// Reads a number of the given scalar type widened to double (used for primitive arrays).
double read_number(Cursor& in, ValueType t, const FieldRef& field) {
  switch (t) {
    case ValueType::U8:
      return in.read<uint8_t>(field);
    case ValueType::I8:
      return in.read<int8_t>(field);
    case ValueType::U16:
      return in.read<uint16_t>(field);
    case ValueType::I16:
      return in.read<int16_t>(field);
    case ValueType::U32:
      return in.read<uint32_t>(field);
    case ValueType::I32:
      return in.read<int32_t>(field);
    case ValueType::F32:
      return in.read<float>(field);
    case ValueType::F64:
      return in.read<double>(field);
    case ValueType::U64:
      return static_cast<double>(in.read<uint64_t>(field));
    case ValueType::I64:
      return static_cast<double>(in.read<int64_t>(field));
    case ValueType::BOOL: {
      uint64_t at = in.pos();
      uint8_t b = in.read<uint8_t>(field);
      if (b > 1) in.fail(at, field.str(), "bool value " + std::to_string(b) + " is not 0 or 1");
      return b;
    }
    default:
      break;
  }
  RS_CHECK_MSG(false, "read_number on a non-scalar type");
}

std::shared_ptr<Array> read_array(Cursor& in, const FieldRef& field, int depth) {
  if (depth >= kMaxArrayDepth)
    in.fail(in.pos(), field.str(),
            "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
  auto arr = std::make_shared<Array>();
  arr->elem_type = read_value_type(in, field, "array element type");
  uint64_t count_at = in.pos();
  uint64_t count = in.read<uint64_t>(field);
  // Each element takes at least min_encoded_size bytes, so a count the rest of the file
  // cannot hold fails here, before the loop or any reservation depends on it.
  uint64_t min_size = min_encoded_size(arr->elem_type);
  if (count > in.remaining() / min_size)
    in.fail(count_at, field.str(),
            "array of " + std::to_string(count) + " " + value_type_name(arr->elem_type) +
                " elements cannot fit in the " + std::to_string(in.remaining()) +
                " bytes left in the file");
  FieldRef elem{field.prefix};
  switch (arr->elem_type) {
    case ValueType::STRING:
      arr->strings.reserve(capped(count));
      for (uint64_t i = 0; i < count; ++i) {
        elem.index = static_cast<int64_t>(i);
        arr->strings.push_back(in.read_string(elem));
      }
      break;
    case ValueType::ARRAY: {
      arr->items.reserve(capped(count));
      // Nested elements get their own prefix so a message shows the whole index path.
      for (uint64_t i = 0; i < count; ++i) {
        std::string nested = field.str() + "[" + std::to_string(i) + "]";
        arr->items.push_back(read_value(in, ValueType::ARRAY, FieldRef{&nested}, depth + 1));
      }
      break;
    }
    case ValueType::I64:
    case ValueType::U64:
      arr->numbers.reserve(capped(count));
      arr->ints64.reserve(capped(count));
      for (uint64_t i = 0; i < count; ++i) {
        elem.index = static_cast<int64_t>(i);
        int64_t v = in.read<int64_t>(elem);
        arr->ints64.push_back(v);
        arr->numbers.push_back(arr->elem_type == ValueType::U64
                                   ? static_cast<double>(static_cast<uint64_t>(v))
                                   : static_cast<double>(v));
      }
      break;
    default:
      arr->numbers.reserve(capped(count));
      for (uint64_t i = 0; i < count; ++i) {
        elem.index = static_cast<int64_t>(i);
        arr->numbers.push_back(read_number(in, arr->elem_type, elem));
      }
      break;
  }
  return arr;
}

Value read_value(Cursor& in, ValueType type, const FieldRef& field, int depth) {
  Value v;
  v.type = type;
  switch (type) {
    case ValueType::U8:
      v.data = uint64_t{in.read<uint8_t>(field)};
      break;
    case ValueType::U16:
      v.data = uint64_t{in.read<uint16_t>(field)};
      break;
    case ValueType::U32:
      v.data = uint64_t{in.read<uint32_t>(field)};
      break;
    case ValueType::U64:
      v.data = in.read<uint64_t>(field);
      break;
    case ValueType::I8:
      v.data = int64_t{in.read<int8_t>(field)};
      break;
    case ValueType::I16:
      v.data = int64_t{in.read<int16_t>(field)};
      break;
    case ValueType::I32:
      v.data = int64_t{in.read<int32_t>(field)};
      break;
    case ValueType::I64:
      v.data = in.read<int64_t>(field);
      break;
    case ValueType::F32:
      v.data = double{in.read<float>(field)};
      break;
    case ValueType::F64:
      v.data = in.read<double>(field);
      break;
    case ValueType::BOOL:
      v.data = read_number(in, type, field) != 0;
      break;
    case ValueType::STRING:
      v.data = in.read_string(field);
      break;
    case ValueType::ARRAY:
      v.data = read_array(in, field, depth);
      break;
  }
  return v;
}

}  // namespace

int64_t TensorInfo::n_elements() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->name_ = path;
  f->mapping_ = MappedFile::open(path);
  f->bytes_ = f->mapping_->bytes();
  f->parse_all();
  return f;
}

std::unique_ptr<GgufFile> GgufFile::parse(std::span<const uint8_t> bytes, std::string name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->name_ = std::move(name);
  f->bytes_ = bytes;
  f->parse_all();
  return f;
}

void GgufFile::parse_all() {
  Cursor in(bytes_, name_);

  // Header: magic, version, tensor count, metadata count.
  if (bytes_.size() < 4)
    in.fail(0, "magic", "file is " + std::to_string(bytes_.size()) + " bytes, too short for GGUF");
  if (in.read<uint32_t>(std::string("magic")) != kMagic) in.fail(0, "magic", "not a GGUF file");
  version_ = in.read<uint32_t>(std::string("version"));
  if (version_ == 1)
    in.fail(4, "version", "unsupported version 1 (GGUF v1 is obsolete; re-convert the model)");
  if (version_ == 0x02000000 || version_ == 0x03000000)
    in.fail(4, "version", "big-endian GGUF files are not supported");
  if (version_ != 2 && version_ != 3)
    in.fail(4, "version", "unsupported version " + std::to_string(version_));
  uint64_t n_tensors = in.read<uint64_t>(std::string("tensor_count"));
  uint64_t n_kv = in.read<uint64_t>(std::string("kv_count"));
  // Both sections must fit in what is left; checking now rejects a count of 2^60 before any
  // loop or allocation depends on it.
  if (n_tensors > in.remaining() / kMinTensorInfoBytes)
    in.fail(8, "tensor_count",
            std::to_string(n_tensors) + " tensors cannot fit in the " +
                std::to_string(in.remaining()) + " bytes left in the file");
  if (n_kv > in.remaining() / kMinKvBytes ||
      n_kv * kMinKvBytes + n_tensors * kMinTensorInfoBytes > in.remaining())
    in.fail(16, "kv_count",
            std::to_string(n_kv) + " metadata entries and " + std::to_string(n_tensors) +
                " tensors cannot fit in the " + std::to_string(in.remaining()) +
                " bytes left in the file");

  // Metadata.
  kv_.reserve(capped(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    uint64_t entry_at = in.pos();
    std::string key = in.read_string("key of metadata entry #" + std::to_string(i));
    std::string field = "key '" + key + "'";
    if (kv_index_.count(key)) in.fail(entry_at, field, "duplicate key");
    uint64_t type_at = in.pos();
    ValueType type = read_value_type(in, FieldRef{&field}, "value type");
    uint64_t value_at = in.pos();
    Value value = read_value(in, type, FieldRef{&field}, 0);
    if (key == "general.alignment") {
      if (type != ValueType::U32)
        in.fail(type_at, field, std::string("must be a u32, found ") + value_type_name(type));
      uint64_t a = std::get<uint64_t>(value.data);
      if (a == 0 || !std::has_single_bit(a) || a > kMaxAlignment)
        in.fail(value_at, field,
                "alignment " + std::to_string(a) + " is not a power of two in [1, " +
                    std::to_string(kMaxAlignment) + "]");
      alignment_ = a;
    }
    kv_index_.emplace(key, kv_.size());
    kv_.emplace_back(std::move(key), std::move(value));
  }

  // Tensor table. The per-tensor offset field positions are kept for the later range checks.
  tensors_.reserve(capped(n_tensors));
  std::vector<uint64_t> offset_field_at;
  offset_field_at.reserve(capped(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    std::string index_field = "tensor #" + std::to_string(i);
    uint64_t entry_at = in.pos();
    TensorInfo t;
    t.name = in.read_string(index_field + " name");
    std::string field = "tensor '" + t.name + "'";
    if (tensor_index_.count(t.name)) in.fail(entry_at, field, "duplicate tensor name");

    uint64_t dims_at = in.pos();
    uint32_t n_dims = in.read<uint32_t>(field);
    if (n_dims == 0 || n_dims > kMaxDims)
      in.fail(
          dims_at, field,
          "n_dims is " + std::to_string(n_dims) + " (must be 1.." + std::to_string(kMaxDims) + ")");
    int64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim_at = in.pos();
      int64_t ne = in.read<int64_t>(field);
      if (ne <= 0)
        in.fail(dim_at, field, "dimension " + std::to_string(d) + " is " + std::to_string(ne));
      t.shape.push_back(ne);
      if (__builtin_mul_overflow(n_elements, ne, &n_elements))
        in.fail(dim_at, field, "shape " + shape_string(t.shape) + " overflows the element count");
    }

    uint64_t type_at = in.pos();
    t.type = in.read<uint32_t>(field);
    const TypeGeometry* geo = type_geometry(t.type);
    if (geo == nullptr) in.fail(type_at, field, "unknown tensor type id " + std::to_string(t.type));
    if (t.shape[0] % geo->block_size != 0)
      in.fail(type_at, field,
              "row length ne0 = " + std::to_string(t.shape[0]) + " is not a multiple of the " +
                  geo->name + " block size " + std::to_string(geo->block_size));
    uint64_t n_blocks = static_cast<uint64_t>(n_elements / geo->block_size);
    if (__builtin_mul_overflow(n_blocks, uint64_t{geo->type_size}, &t.n_bytes))
      in.fail(type_at, field, "shape " + shape_string(t.shape) + " overflows the byte size");

    uint64_t offset_at = in.pos();
    t.offset = in.read<uint64_t>(field);
    if (t.offset % alignment_ != 0)
      in.fail(offset_at, field,
              "data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                  std::to_string(alignment_));
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
    offset_field_at.push_back(offset_at);
  }

  // Data section: starts at the next alignment boundary after the tensor table.
  uint64_t table_end = in.pos();
  data_offset_ = (table_end + alignment_ - 1) / alignment_ * alignment_;
  if (tensors_.empty()) return;  // metadata-only files (vocabularies) may omit the padding
  if (data_offset_ > bytes_.size())
    in.fail(table_end, "padding",
            "data section would start at byte " + std::to_string(data_offset_) +
                ", past the end of the file (" + std::to_string(bytes_.size()) + " bytes)");
  uint64_t data_size = bytes_.size() - data_offset_;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    TensorInfo& t = tensors_[i];
    if (t.offset > data_size || t.n_bytes > data_size - t.offset)
      in.fail(offset_field_at[i], "tensor '" + t.name + "'",
              "data at offset " + std::to_string(t.offset) + " + " + std::to_string(t.n_bytes) +
                  " bytes runs past the end of the " + std::to_string(data_size) +
                  "-byte data section");
    t.data = bytes_.data() + data_offset_ + t.offset;
  }
  // Overlapping tensors would alias weights; a writer never produces them.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = tensors_[order[k - 1]];
    const TensorInfo& cur = tensors_[order[k]];
    if (prev.offset + prev.n_bytes > cur.offset)
      in.fail(offset_field_at[order[k]], "tensor '" + cur.name + "'",
              "data at offset " + std::to_string(cur.offset) + " overlaps tensor '" + prev.name +
                  "' (offset " + std::to_string(prev.offset) + ", " + std::to_string(prev.n_bytes) +
                  " bytes)");
  }
}

const Value* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

// The getters prefix the file's name so a message from deep in model loading says which file.
#define RS_GGUF_GET(expr)                 \
  try {                                   \
    return expr;                          \
  } catch (const Error& e) {              \
    throw Error(name_ + ": " + e.what()); \
  }

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  RS_GGUF_GET(v->as_int(key))
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  RS_GGUF_GET(v->as_double(key))
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  RS_GGUF_GET(v->as_bool(key))
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  RS_GGUF_GET(v->as_string(key))
}

const Array* GgufFile::get_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return nullptr;
  RS_GGUF_GET(&v->as_array(key))
}

#undef RS_GGUF_GET

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::release_tensor_pages(const TensorInfo& t) const {
  if (mapping_ != nullptr && t.data != nullptr) mapping_->release(t.data, t.n_bytes);
}

void GgufFile::advise_random_access(const TensorInfo& t) const {
  if (mapping_ != nullptr && t.data != nullptr) mapping_->advise_random(t.data, t.n_bytes);
}

}  // namespace rightsize::gguf
