// GGUF v3 writer: header, metadata and tensor table first, then each tensor's bytes produced by
// its FillFn into one buffer at a time, written to a temporary file that is renamed at the end.
#include "gguf/gguf_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "gguf/tensor_types.h"
#include "util/error.h"

namespace rightsize::gguf {
namespace {

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint64_t kMaxAlignment = uint64_t{1} << 20;  // same bound the reader enforces
constexpr size_t kMaxDims = 4;
constexpr int kMaxArrayDepth = 8;

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// A buffered file descriptor that turns every failed write into an Error naming the file.
class Sink {
 public:
  Sink(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buf_.reserve(kBufSize); }

  uint64_t pos() const { return pos_; }

  void put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    if (buf_.size() + n > kBufSize) flush();
    if (n >= kBufSize) {
      write_all(b, n);  // big tensor data goes straight through
    } else {
      buf_.insert(buf_.end(), b, b + n);
    }
    pos_ += n;
  }
  template <typename T>
  void put_le(T v) {
    using U = std::conditional_t<
        sizeof(T) == 1, uint8_t,
        std::conditional_t<sizeof(T) == 2, uint16_t,
                           std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    U u = std::bit_cast<U>(v);
    uint8_t b[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<uint8_t>(u >> (8 * i));
    put(b, sizeof b);
  }
  void put_string(const std::string& s) {
    put_le<uint64_t>(s.size());
    put(s.data(), s.size());
  }
  void pad_to(uint64_t target) {
    static const uint8_t kZeros[64] = {};
    while (pos_ < target) put(kZeros, static_cast<size_t>(std::min<uint64_t>(64, target - pos_)));
  }
  void flush() {
    write_all(buf_.data(), buf_.size());
    buf_.clear();
  }

 private:
  static constexpr size_t kBufSize = 1 << 20;

  void write_all(const uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  int fd_;
  std::string path_;
  std::vector<uint8_t> buf_;
  uint64_t pos_ = 0;
};

// Field names for messages are built only on failure: array elements carry an index.
std::string field_at(const std::string& field, int64_t index) {
  return index < 0 ? field : field + "[" + std::to_string(index) + "]";
}

// Integer range check shared by scalars and array elements: the value must be representable
// in the declared GGUF type, whichever widened C++ type holds it.
template <typename T>
T narrow_int(const std::string& field, int64_t index, uint64_t u, int64_t s, bool is_signed,
             ValueType t) {
  bool ok = is_signed ? (s >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                         (s < 0 || static_cast<uint64_t>(s) <=
                                       static_cast<uint64_t>(std::numeric_limits<T>::max())))
                      : u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (!ok)
    throw Error(field_at(field, index) + ": value " +
                (is_signed ? std::to_string(s) : std::to_string(u)) + " does not fit in " +
                value_type_name(t));
  return is_signed ? static_cast<T>(s) : static_cast<T>(u);
}

template <typename T>
void put_int(Sink& out, const std::string& field, int64_t index, uint64_t u, int64_t s,
             bool is_signed, ValueType t) {
  out.put_le<T>(narrow_int<T>(field, index, u, s, is_signed, t));
}

// Writes one integer of type t held as signed s (is_signed) or unsigned u.
void put_integer(Sink& out, ValueType t, const std::string& field, int64_t index, uint64_t u,
                 int64_t s, bool is_signed) {
  switch (t) {
    case ValueType::U8:
      return put_int<uint8_t>(out, field, index, u, s, is_signed, t);
    case ValueType::I8:
      return put_int<int8_t>(out, field, index, u, s, is_signed, t);
    case ValueType::U16:
      return put_int<uint16_t>(out, field, index, u, s, is_signed, t);
    case ValueType::I16:
      return put_int<int16_t>(out, field, index, u, s, is_signed, t);
    case ValueType::U32:
      return put_int<uint32_t>(out, field, index, u, s, is_signed, t);
    case ValueType::I32:
      return put_int<int32_t>(out, field, index, u, s, is_signed, t);
    case ValueType::U64:
      return put_int<uint64_t>(out, field, index, u, s, is_signed, t);
    case ValueType::I64:
      return put_int<int64_t>(out, field, index, u, s, is_signed, t);
    default:
      RS_CHECK_MSG(false, "put_integer on a non-integer type");
  }
}

// Writes a double as element type t: floats directly, integers only when the double is whole
// and in range, bools only as 0 or 1.
void put_number(Sink& out, ValueType t, const std::string& field, int64_t index, double d) {
  if (t == ValueType::F32) return out.put_le<float>(static_cast<float>(d));
  if (t == ValueType::F64) return out.put_le<double>(d);
  if (t == ValueType::BOOL) {
    if (d != 0 && d != 1)
      throw Error(field_at(field, index) + ": bool value " + std::to_string(d) + " is not 0 or 1");
    return out.put_le<uint8_t>(d != 0);
  }
  // 2^64 and 2^63 are exact doubles; the comparisons below keep the casts defined.
  if (!(d == std::trunc(d)) || !(d >= -9223372036854775808.0) || !(d < 18446744073709551616.0))
    throw Error(field_at(field, index) + ": value " + std::to_string(d) + " does not fit in " +
                value_type_name(t));
  if (d < 0) return put_integer(out, t, field, index, 0, static_cast<int64_t>(d), true);
  return put_integer(out, t, field, index, static_cast<uint64_t>(d), 0, false);
}

void put_value(Sink& out, const Value& v, const std::string& field, int depth);

void put_array(Sink& out, const Array& a, const std::string& field, int depth) {
  if (depth >= kMaxArrayDepth)
    throw Error(field + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth) +
                " levels");
  if (static_cast<uint32_t>(a.elem_type) > kMaxValueTypeId)
    throw Error(field + ": invalid array element type");
  size_t n = a.size();
  out.put_le<uint32_t>(static_cast<uint32_t>(a.elem_type));
  out.put_le<uint64_t>(n);
  auto elem = [&](size_t i) { return field + "[" + std::to_string(i) + "]"; };
  if (!a.items.empty() || a.elem_type == ValueType::ARRAY) {
    for (size_t i = 0; i < n; ++i) {
      if (a.items[i].type != a.elem_type)
        throw Error(elem(i) + ": element of type " + value_type_name(a.items[i].type) +
                    " in an array of " + value_type_name(a.elem_type));
      put_value(out, a.items[i], elem(i), depth + 1);
    }
  } else if (a.elem_type == ValueType::STRING) {
    for (const auto& s : a.strings) out.put_string(s);
  } else if (!a.ints64.empty() &&
             (a.elem_type == ValueType::I64 || a.elem_type == ValueType::U64) &&
             (a.numbers.empty() || a.numbers.size() == a.ints64.size())) {
    for (int64_t x : a.ints64) out.put_le<int64_t>(x);  // exact, U64 as its bit pattern
  } else if (a.numbers.empty()) {
    for (size_t i = 0; i < n; ++i)
      put_number(out, a.elem_type, field, static_cast<int64_t>(i),
                 static_cast<double>(a.ints64[i]));
  } else {
    for (size_t i = 0; i < n; ++i)
      put_number(out, a.elem_type, field, static_cast<int64_t>(i), a.numbers[i]);
  }
}

void put_value(Sink& out, const Value& v, const std::string& field, int depth) {
  ValueType t = v.type;
  if (is_integer_type(t)) {
    if (auto* u = std::get_if<uint64_t>(&v.data))
      return put_integer(out, t, field, -1, *u, 0, false);
    if (auto* s = std::get_if<int64_t>(&v.data)) return put_integer(out, t, field, -1, 0, *s, true);
  } else if (is_float_type(t)) {
    if (auto* d = std::get_if<double>(&v.data)) return put_number(out, t, field, -1, *d);
  } else if (t == ValueType::BOOL) {
    if (auto* b = std::get_if<bool>(&v.data)) return out.put_le<uint8_t>(*b ? 1 : 0);
  } else if (t == ValueType::STRING) {
    if (auto* s = std::get_if<std::string>(&v.data)) return out.put_string(*s);
  } else if (t == ValueType::ARRAY) {
    auto* a = std::get_if<std::shared_ptr<Array>>(&v.data);
    if (a && *a) return put_array(out, **a, field, depth);
  }
  throw Error(field + ": value of declared type " + value_type_name(t) +
              " holds data of another kind");
}

// Deletes the temporary file unless the write got as far as the rename.
class TempFile {
 public:
  explicit TempFile(const std::string& final_path) {
    static std::atomic<uint64_t> counter{0};
    path_ = final_path + ".tmp." + std::to_string(::getpid()) + "." +
            std::to_string(counter.fetch_add(1));
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) throw Error("cannot create '" + path_ + "': " + std::strerror(errno));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  void commit(const std::string& final_path) {
    // fsync before rename, so a crash cannot leave a complete-looking but empty model.
    if (::fsync(fd_) != 0) throw Error("cannot sync '" + path_ + "': " + std::strerror(errno));
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw Error("cannot close '" + path_ + "': " + std::strerror(errno));
    if (::rename(path_.c_str(), final_path.c_str()) != 0)
      throw Error("cannot rename '" + path_ + "' to '" + final_path + "': " + std::strerror(errno));
    committed_ = true;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void GgufWriter::set(std::string key, Value value) {
  for (auto& [k, v] : kv_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  kv_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::set_u32(std::string key, uint32_t v) {
  set(std::move(key), Value{ValueType::U32, uint64_t{v}});
}
void GgufWriter::set_i32(std::string key, int32_t v) {
  set(std::move(key), Value{ValueType::I32, int64_t{v}});
}
void GgufWriter::set_f32(std::string key, float v) {
  set(std::move(key), Value{ValueType::F32, double{v}});
}
void GgufWriter::set_bool(std::string key, bool v) {
  set(std::move(key), Value{ValueType::BOOL, v});
}
void GgufWriter::set_string(std::string key, std::string v) {
  set(std::move(key), Value{ValueType::STRING, std::move(v)});
}
void GgufWriter::set_string_array(std::string key, std::vector<std::string> v) {
  auto a = std::make_shared<Array>();
  a->elem_type = ValueType::STRING;
  a->strings = std::move(v);
  set(std::move(key), Value{ValueType::ARRAY, std::move(a)});
}
void GgufWriter::set_f32_array(std::string key, const std::vector<float>& v) {
  auto a = std::make_shared<Array>();
  a->elem_type = ValueType::F32;
  a->numbers.assign(v.begin(), v.end());
  set(std::move(key), Value{ValueType::ARRAY, std::move(a)});
}
void GgufWriter::set_i32_array(std::string key, const std::vector<int32_t>& v) {
  auto a = std::make_shared<Array>();
  a->elem_type = ValueType::I32;
  a->numbers.assign(v.begin(), v.end());
  set(std::move(key), Value{ValueType::ARRAY, std::move(a)});
}

void GgufWriter::add_tensor(std::string name, uint32_t type, std::vector<int64_t> shape,
                            FillFn fill) {
  std::string field = "tensor '" + name + "'";
  for (const auto& t : tensors_)
    if (t.name == name) throw Error(field + ": duplicate tensor name");
  const TypeGeometry* geo = type_geometry(type);
  if (geo == nullptr) throw Error(field + ": unknown tensor type id " + std::to_string(type));
  if (shape.empty() || shape.size() > kMaxDims)
    throw Error(field + ": n_dims is " + std::to_string(shape.size()) + " (must be 1..4)");
  int64_t n_elements = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] <= 0)
      throw Error(field + ": dimension " + std::to_string(d) + " is " + std::to_string(shape[d]));
    if (__builtin_mul_overflow(n_elements, shape[d], &n_elements))
      throw Error(field + ": shape overflows the element count");
  }
  if (shape[0] % geo->block_size != 0)
    throw Error(field + ": row length ne0 = " + std::to_string(shape[0]) +
                " is not a multiple of the " + geo->name + " block size " +
                std::to_string(geo->block_size));
  uint64_t n_bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(n_elements / geo->block_size),
                             uint64_t{geo->type_size}, &n_bytes))
    throw Error(field + ": shape overflows the byte size");
  if (!fill) throw Error(field + ": no fill function");
  tensors_.push_back({std::move(name), type, std::move(shape), n_bytes, std::move(fill)});
}

void GgufWriter::write(const std::string& path, const ProgressFn& progress) const {
  uint64_t alignment = kDefaultAlignment;
  for (const auto& [k, v] : kv_) {
    if (k != "general.alignment") continue;
    if (v.type != ValueType::U32 || !std::holds_alternative<uint64_t>(v.data))
      throw Error(path + ": key 'general.alignment': must be a u32");
    alignment = std::get<uint64_t>(v.data);
    if (alignment == 0 || !std::has_single_bit(alignment) || alignment > kMaxAlignment)
      throw Error(path + ": key 'general.alignment': alignment " + std::to_string(alignment) +
                  " is not a power of two in [1, " + std::to_string(kMaxAlignment) + "]");
  }

  std::vector<uint64_t> offsets;
  offsets.reserve(tensors_.size());
  uint64_t end = 0;
  for (const auto& t : tensors_) {
    offsets.push_back(align_up(end, alignment));
    end = offsets.back() + t.n_bytes;
  }

  TempFile tmp(path);
  Sink out(tmp.fd(), tmp.path());
  try {
    out.put_le<uint32_t>(0x46554747);  // "GGUF"
    out.put_le<uint32_t>(kVersion);
    out.put_le<uint64_t>(tensors_.size());
    out.put_le<uint64_t>(kv_.size());
    for (const auto& [key, value] : kv_) {
      out.put_string(key);
      out.put_le<uint32_t>(static_cast<uint32_t>(value.type));
      put_value(out, value, "key '" + key + "'", 0);
    }
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const auto& t = tensors_[i];
      out.put_string(t.name);
      out.put_le<uint32_t>(static_cast<uint32_t>(t.shape.size()));
      for (int64_t ne : t.shape) out.put_le<int64_t>(ne);
      out.put_le<uint32_t>(t.type);
      out.put_le<uint64_t>(offsets[i]);
    }
    uint64_t data_offset = align_up(out.pos(), alignment);
    out.pad_to(data_offset);

    // One tensor's bytes in memory at a time; the buffer is reused, so peak memory is the
    // largest tensor.
    std::vector<uint8_t> buf;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const auto& t = tensors_[i];
      out.pad_to(data_offset + offsets[i]);
      buf.resize(t.n_bytes);
      t.fill(buf.data(), t.n_bytes);
      out.put(buf.data(), buf.size());
      if (progress) progress(i + 1, tensors_.size(), out.pos());
    }
    out.flush();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  tmp.commit(path);
}

}  // namespace rightsize::gguf
