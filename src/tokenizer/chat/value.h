// The values a chat template computes with, modelled on the Python objects Jinja handles:
// undefined, None, bool, int, float, str, list/tuple, dict (insertion-ordered), namespace and
// opaque objects (functions, macros, the loop variable).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace rightsize::tokenizer::chat {

class Value;
class Interpreter;

class Dict;
class Object;

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kNamespace,
    kObject
  };

  // Default: undefined with no name, as for a missing variable.
  Value() = default;
  Value(bool b) : data_(b) {}  // NOLINT: implicit on purpose, values are built everywhere
  Value(int v) : data_(static_cast<int64_t>(v)) {}
  Value(int64_t v) : data_(v) {}
  Value(double v) : data_(v) {}
  Value(std::string s) : data_(std::make_shared<const std::string>(std::move(s))) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(const char* s) : Value(std::string(s)) {}

  // `hint` is what using this undefined value reports, e.g. "'x' is undefined".
  static Value undefined(std::string hint = {});
  static Value none();
  static Value list(std::vector<Value> items);
  static Value tuple(std::vector<Value> items);
  // What dict.keys()/values()/items() return: a list that prints as Python's view does,
  // "dict_items([('a', 1)])".
  enum class View { kNone, kKeys, kValues, kItems };
  static Value dict_view(std::vector<Value> items, View view);
  static Value dict(Dict d);
  static Value new_namespace(Dict attributes);
  static Value object(std::shared_ptr<const Object> obj);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  // int, float or bool: Python's bool is an int.
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }  // list or tuple
  bool is_tuple() const;
  View view() const;  // only for is_list()
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_callable() const;

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_float() const { return std::get<double>(data_); }
  // A number as int64 (bool counts as 0/1); only for is_int() or is_bool().
  int64_t to_int() const { return is_bool() ? (as_bool() ? 1 : 0) : as_int(); }
  // A number as double; only for is_number().
  double to_double() const;
  const std::string& as_string() const { return *std::get<StringRef>(data_); }
  const std::vector<Value>& as_list() const { return std::get<ListRef>(data_)->items; }
  const Dict& as_dict() const { return *std::get<DictRef>(data_); }
  Dict& namespace_attributes() const { return *std::get<NamespaceRef>(data_); }
  const Object& as_object() const { return *std::get<ObjectRef>(data_); }
  const std::string& undefined_hint() const;
  // Nesting depth of lists and dicts (a scalar is 0), kept bounded so that destruction,
  // printing and comparison never recurse without limit.
  int depth() const;

  // Python's bool(), str() and repr().
  bool truthy() const;
  std::string str() const;
  std::string repr() const;
  // How Jinja names the type in messages: "dict object", "None", "str object".
  std::string type_name() const;
  // Python's type(x).__name__: "dict", "NoneType", "str".
  std::string python_type() const;
  // Whether both refer to the same list, dict, namespace or object (Python `is`).
  bool same_object(const Value& other) const;

 private:
  struct UndefinedData {
    std::shared_ptr<const std::string> hint;
  };
  struct ListData {
    std::vector<Value> items;
    bool tuple = false;
    int depth = 1;
    View view = View::kNone;
  };
  using StringRef = std::shared_ptr<const std::string>;
  using ListRef = std::shared_ptr<const ListData>;
  using DictRef = std::shared_ptr<const Dict>;
  using NamespaceRef = std::shared_ptr<Dict>;
  using ObjectRef = std::shared_ptr<const Object>;
  std::variant<UndefinedData, std::nullptr_t, bool, int64_t, double, StringRef, ListRef, DictRef,
               NamespaceRef, ObjectRef>
      data_;
};

// Arguments of a call, as Python passes them.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// Anything a template can hold but not build: functions, macros, bound methods, `loop`.
class Object {
 public:
  virtual ~Object() = default;
  virtual std::string repr() const = 0;
  // An attribute (`loop.index`); undefined when there is none.
  virtual Value attribute(std::string_view name) const;
  virtual bool callable() const { return false; }
  virtual Value call(Interpreter& interp, CallArgs& args) const;
};

// An insertion-ordered mapping. Keys are mostly strings (JSON objects); other keys (ints from
// dict literals) compare as Python compares them.
class Dict {
 public:
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  // Replaces the value of an existing key in place, else appends.
  void set(Value key, Value value);
  void clear();
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<std::pair<Value, Value>>& items() const { return items_; }
  // 1 + the deepest value held (see Value::depth).
  int depth() const { return depth_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::pair<Value, Value>> items_;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> string_index_;
  int depth_ = 1;
};

// The deepest nesting of lists and dicts a value may reach.
inline constexpr int kMaxValueDepth = 512;

// Python `==`: numbers across int/float/bool, lists and dicts element-wise (dicts ignore order).
bool py_equal(const Value& a, const Value& b);
// Python `<` etc.: negative, zero or positive; throws TemplateRuntimeError for unordered types.
// `op` names the operator in that message.
int py_compare(const Value& a, const Value& b, std::string_view op = "<");
// Using an undefined value where a value is needed: throws its hint as a TemplateRuntimeError.
[[noreturn]] void throw_undefined(const Value& v);
// Python float repr: shortest round-trip digits, "1e+16", "0.0001", "inf", "nan".
std::string format_float(double v);
// Items of a value as Python's iter() yields them: list items, dict keys, string characters;
// nothing for undefined. Throws for values that cannot be iterated.
std::vector<Value> iterate(const Value& v);
// Python len(); throws for values without a length.
int64_t py_len(const Value& v);

// json.dumps(v, ensure_ascii=False, indent=..., separators=..., sort_keys=...) as transformers'
// tojson filter calls it.
struct JsonOptions {
  std::optional<std::string> indent;  // one level of indentation; none: everything on one line
  std::optional<std::string> item_separator;  // default ", ", or "," when indenting
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;  // write non-ASCII characters as \uXXXX escapes
};
std::string to_json(const Value& v, const JsonOptions& options);

}  // namespace rightsize::tokenizer::chat
