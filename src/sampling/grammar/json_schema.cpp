// The schema walk: each schema becomes a GBNF expression, named as a rule after its place
// in the schema; objects, arrays, strings and numbers get exact rules, shared parts become the
// primitives of json_primitives.h, and identical rule bodies are written once.
#include "sampling/grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "sampling/grammar/gbnf.h"
#include "sampling/grammar/gbnf_emit.h"
#include "sampling/grammar/json_number_range.h"
#include "sampling/grammar/json_pattern.h"
#include "sampling/grammar/json_primitives.h"
#include "sampling/grammar/json_schema_merge.h"
#include "util/utf8.h"

namespace rightsize::sampling::grammar {

SchemaError::SchemaError(const std::string& keyword, const std::string& pointer,
                         const std::string& message)
    : rightsize::Error(message), keyword_(keyword), pointer_(pointer) {}

SchemaError SchemaError::unsupported(const std::string& keyword, const std::string& pointer,
                                     const std::string& detail) {
  return SchemaError(keyword, pointer,
                     "unsupported JSON Schema keyword '" + keyword + "' at #" + pointer +
                         (detail.empty() ? "" : ": " + detail));
}

SchemaError SchemaError::invalid(const std::string& keyword, const std::string& pointer,
                                 const std::string& detail) {
  return SchemaError(keyword, pointer, "invalid JSON Schema at #" + pointer + ": " + detail);
}

namespace {

const std::set<std::string_view> kObjectKeywords = {"properties", "required",
                                                    "additionalProperties"};
const std::set<std::string_view> kArrayKeywords = {"items", "prefixItems", "additionalItems",
                                                   "minItems", "maxItems"};
const std::set<std::string_view> kStringKeywords = {"minLength", "maxLength", "pattern", "format"};
const std::set<std::string_view> kNumberKeywords = {"minimum", "maximum", "exclusiveMinimum",
                                                    "exclusiveMaximum"};
const std::set<std::string_view> kCoreKeywords = {"type",  "enum",  "const", "anyOf",
                                                  "oneOf", "allOf", "$ref"};
const std::set<std::string_view> kTypes = {"null",   "boolean", "object", "array",
                                           "string", "integer", "number"};
constexpr int kMaxSchemaDepth = 256;

const std::set<std::string_view> kFormats = {"date", "time", "date-time", "uuid", "email"};

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// A rule-name fragment from arbitrary text: GBNF names are [a-zA-Z0-9-].
std::string sanitize(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

bool type_matches(const Json& v, const std::string& t) {
  if (t == "null") return v.is_null();
  if (t == "boolean") return v.is_boolean();
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    return v.is_number_integer() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  }
  return false;
}

class Converter {
 public:
  explicit Converter(const SchemaOptions& options)
      : ws_policy_{options.compact, std::clamp(options.max_indent, 0, 100)},
        ws_(options.compact ? "" : "ws") {
    for (const std::string& n : json_primitive_names()) used_names_.insert(n);
  }

  void add_schema(const std::string& rule, const Json& schema) {
    if (rule.empty() || sanitize(rule) != rule || used_names_.count(rule)) {
      throw SchemaError::invalid("", "", "'" + rule + "' cannot name a schema's rule");
    }
    used_names_.insert(rule);
    doc_ = &schema;
    root_rule_ = rule;
    ref_rules_.clear();
    ref_rules_[""] = rule;
    head_refs_ = {""};
    const std::string expr = visit(schema, "", rule);
    roots_.push_back({rule, expr});
  }

  std::string text() const {
    std::string out;
    for (const auto& [name, body] : roots_) out += name + " ::= " + body + "\n";
    for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
    return out;
  }

  // The primitive `name`, added with what it uses.
  std::string use(const std::string& name) {
    if (added_primitives_.insert(name).second) {
      auto p = json_primitive(name, ws_policy_);
      RS_CHECK_MSG(p.has_value(), name);
      for (const std::string& dep : p->uses) use(dep);
      rules_.push_back({name, p->body});
    }
    return name;
  }

 private:
  // Whitespace between tokens (nothing when compact).
  std::string ws() {
    if (ws_.empty()) return "";
    return use("ws");
  }

  std::string unique_name(const std::string& hint) {
    std::string base = sanitize(hint);
    std::string name = base;
    for (int i = 2; used_names_.count(name); ++i) name = base + "-" + std::to_string(i);
    used_names_.insert(name);
    return name;
  }

  // A rule for `body` (or the rule that already has this body), so callers can refer to it by
  // name; atomic bodies are returned as they are.
  std::string make_rule(const std::string& hint, const std::string& body) {
    // Groups still get a rule: inlining them would nest parentheses as deep as the schema.
    if (gbnf_is_atomic(body) && body[0] != '(') return body;
    auto it = by_body_.find(body);
    if (it != by_body_.end()) return it->second;
    const std::string name = unique_name(hint);
    rules_.push_back({name, body});
    by_body_[body] = name;
    return name;
  }

  std::string visit(const Json& s, const std::string& ptr, const std::string& name) {
    // Merging a "$ref" that has sibling keywords copies its target in, so a cycle through one
    // would unfold forever; real schemas nest far less than this.
    if (depth_ >= kMaxSchemaDepth) {
      throw SchemaError::invalid("$ref", ptr,
                                 "the schema nests deeper than " + std::to_string(kMaxSchemaDepth) +
                                     " levels (a cycle through a '$ref' beside other keywords?)");
    }
    ++depth_;
    std::string expr = visit_unguarded(s, ptr, name);
    --depth_;
    return expr;
  }

  std::string visit_unguarded(const Json& s, const std::string& ptr, const std::string& name) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return use("value");
      throw SchemaError::invalid("", ptr, "the schema false admits no value");
    }
    if (!s.is_object())
      throw SchemaError::invalid("", ptr, "a schema must be an object or a boolean");
    bool has_constraints = false;
    for (const auto& [k, v] : s.items()) {
      if (is_annotation_keyword(k)) continue;
      if (k == "uniqueItems" && v == Json(false)) continue;  // says nothing
      if (!kCoreKeywords.count(k) && !kObjectKeywords.count(k) && !kArrayKeywords.count(k) &&
          !kStringKeywords.count(k) && !kNumberKeywords.count(k)) {
        throw SchemaError::unsupported(k, ptr);
      }
      if (k != "$ref") has_constraints = true;
    }
    if (s.contains("type")) check_type_value(s["type"], ptr);
    if (s.contains("$ref")) {
      if (!has_constraints) return visit_ref(s["$ref"], ptr);
      // Merged by copying the target in: a target that leads back here would unfold forever.
      const std::string target = resolve_local_ref(*doc_, s["$ref"], ptr).pointer;
      for (const auto& [pending, site] : merging_refs_) {
        // Named at the first site: the pointers below it are copies', not the schema's.
        if (pending == target) {
          throw SchemaError::unsupported("$ref", site,
                                         "'" + s["$ref"].get<std::string>() +
                                             "' beside other keywords leads back to itself");
        }
      }
      merging_refs_.push_back({target, ptr});
      std::string expr = visit(merge_all_of(*doc_, s, ptr), ptr, name);
      merging_refs_.pop_back();
      return expr;
    }
    if (s.contains("allOf")) return visit(merge_all_of(*doc_, s, ptr), ptr, name);
    if (s.contains("anyOf") || s.contains("oneOf")) return visit_any_of(s, ptr, name);
    if (s.contains("enum") || s.contains("const")) return visit_enum(s, ptr);

    std::vector<std::string> types;
    if (s.contains("type")) {
      types = s["type"].is_string() ? std::vector<std::string>{s["type"].get<std::string>()}
                                    : s["type"].get<std::vector<std::string>>();
    } else {
      // Without "type", a keyword family implies its type: generating only that type is
      // stricter than the schema (which admits any other type), never looser.
      for (const auto& [k, v] : s.items()) {
        std::string t = kObjectKeywords.count(k)   ? "object"
                        : kArrayKeywords.count(k)  ? "array"
                        : kStringKeywords.count(k) ? "string"
                        : kNumberKeywords.count(k) ? "number"
                                                   : "";
        if (!t.empty() && std::find(types.begin(), types.end(), t) == types.end()) {
          types.push_back(t);
        }
      }
      if (types.empty()) return use("value");
    }
    std::vector<std::string> alts;
    for (const std::string& t : types) {
      const std::string hint = types.size() > 1 ? name + "-" + t : name;
      alts.push_back(visit_type(t, s, ptr, hint));
    }
    return gbnf_alternatives(alts);
  }

  void check_type_value(const Json& t, const std::string& ptr) {
    auto ok = [](const Json& v) { return v.is_string() && kTypes.count(v.get<std::string>()); };
    bool valid = ok(t) || (t.is_array() && !t.empty());
    if (t.is_array()) {
      for (const Json& e : t) valid = valid && ok(e);
    }
    if (!valid) {
      throw SchemaError::invalid("type", ptr,
                                 "'type' must be a type name or a non-empty array "
                                 "of them");
    }
  }

  std::string visit_type(const std::string& t, const Json& s, const std::string& ptr,
                         const std::string& name) {
    if (t == "null") return use("null");
    if (t == "boolean") return use("boolean");
    if (t == "object") return visit_object(s, ptr, name);
    if (t == "array") return visit_array(s, ptr, name);
    if (t == "string") return visit_string(s, ptr, name);
    return visit_number(s, ptr, t == "integer");
  }

  std::string visit_ref(const Json& ref, const std::string& ptr) {
    const ResolvedRef target = resolve_local_ref(*doc_, ref, ptr);
    if (std::find(head_refs_.begin(), head_refs_.end(), target.pointer) != head_refs_.end()) {
      // Reaching itself before any token: no JSON text is finite, and GBNF would loop.
      throw SchemaError::invalid(
          "$ref", ptr, "'" + ref.get<std::string>() + "' refers back to itself without nesting");
    }
    auto it = ref_rules_.find(target.pointer);
    if (it != ref_rules_.end()) return it->second;
    const size_t slash = target.pointer.rfind('/');
    const std::string last = target.pointer.substr(slash + 1);
    const std::string name = unique_name(root_rule_ == "root" ? last : root_rule_ + "-" + last);
    ref_rules_[target.pointer] = name;
    head_refs_.push_back(target.pointer);
    const std::string body = visit(*target.schema, target.pointer, name);
    head_refs_.pop_back();
    rules_.push_back({name, body});
    return name;
  }

  // Everything inside a container comes after its opening token, so references there may
  // recurse: the refs pending at the head are set aside while `f` runs.
  template <typename F>
  std::string nested(F f) {
    std::vector<std::string> saved;
    saved.swap(head_refs_);
    std::string r = f();
    head_refs_.swap(saved);
    return r;
  }

  std::string visit_child(const Json& s, const std::string& ptr, const std::string& name) {
    return nested([&] { return make_rule(name, visit(s, ptr, name)); });
  }

  // anyOf and oneOf as alternation. oneOf asks for exactly one match; the grammar cannot
  // count matches, so oneOf is read as anyOf (documented: write disjoint branches).
  std::string visit_any_of(const Json& s, const std::string& ptr, const std::string& name) {
    if (s.contains("anyOf") && s.contains("oneOf")) {
      throw SchemaError::unsupported("oneOf", ptr, "together with 'anyOf'");
    }
    const std::string key = s.contains("anyOf") ? "anyOf" : "oneOf";
    const Json& branches = s[key];
    if (!branches.is_array() || branches.empty()) {
      throw SchemaError::invalid(key, ptr, "'" + key + "' must be a non-empty array");
    }
    Json rest = s;
    rest.erase(key);
    bool rest_constrains = false;
    for (const auto& [k, v] : rest.items()) rest_constrains |= !is_annotation_keyword(k);
    std::vector<std::string> alts;
    for (size_t i = 0; i < branches.size(); ++i) {
      if (branches[i] == Json(false)) continue;
      const std::string bptr = ptr + "/" + key + "/" + std::to_string(i);
      const std::string bname = name + "-" + std::to_string(i);
      // Keywords beside anyOf apply to every branch: merge them in.
      const Json branch =
          rest_constrains ? Json{{"allOf", Json::array({rest, branches[i]})}} : branches[i];
      alts.push_back(make_rule(bname, visit(branch, bptr, bname)));
    }
    if (alts.empty())
      throw SchemaError::invalid(key, ptr, "every branch of '" + key + "' is false");
    return gbnf_alternatives(alts);
  }

  std::string visit_enum(const Json& s, const std::string& ptr) {
    for (const auto& [k, v] : s.items()) {
      if (k != "enum" && k != "const" && k != "type" && !is_annotation_keyword(k)) {
        throw SchemaError::unsupported(k, ptr, "together with 'enum' or 'const'");
      }
    }
    Json values = Json::array();
    if (s.contains("enum")) {
      if (!s["enum"].is_array()) throw SchemaError::invalid("enum", ptr, "'enum' must be an array");
      values = s["enum"];
    }
    if (s.contains("const")) {
      const bool in_enum = !s.contains("enum") ||
                           std::find(values.begin(), values.end(), s["const"]) != values.end();
      values = in_enum ? Json::array({s["const"]}) : Json::array();
    }
    std::vector<std::string> alts;
    for (const Json& v : values) {
      bool ok = !s.contains("type");
      if (!ok) {
        const Json& t = s["type"];
        for (const Json& name : t.is_array() ? t : Json::array({t})) {
          ok = ok || type_matches(v, name.get<std::string>());
        }
      }
      if (ok) alts.push_back(gbnf_literal(v.dump()));
    }
    if (alts.empty()) {
      throw SchemaError::invalid(s.contains("const") ? "const" : "enum", ptr,
                                 "no value of 'enum'/'const' satisfies the schema");
    }
    return gbnf_alternatives(alts);
  }

  // Grammar of a JSON string that is a key, but none of `keys`: a trie of the keys where every
  // step may also leave the trie (then anything may follow). Extra keys use unescaped
  // characters only, so no escape can spell a declared key.
  std::string extra_key(const std::vector<std::string>& keys, const std::string& name) {
    const CodeRanges plain = complement_ranges({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}});
    const std::string close = gbnf_literal("\"");
    const std::string free = make_rule(name + "-free", gbnf_class(plain) + "* " + close);
    std::vector<std::u32string> decoded;
    for (const std::string& k : keys) {
      std::u32string d;
      size_t pos = 0;
      uint32_t cp = 0;
      while (pos < k.size()) {
        if (utf8_decode(k, pos, cp)) d += static_cast<char32_t>(cp);
      }
      decoded.push_back(d);
    }
    return close + " " + key_trie_node(decoded, 0, name + "-key", plain, free, close);
  }

  std::string key_trie_node(const std::vector<std::u32string>& group, size_t depth,
                            const std::string& hint, const CodeRanges& plain,
                            const std::string& free, const std::string& close) {
    std::map<uint32_t, std::vector<std::u32string>> children;
    bool terminal = false;
    for (const std::u32string& k : group) {
      if (k.size() == depth) {
        terminal = true;
      } else {
        children[k[depth]].push_back(k);
      }
    }
    std::vector<std::string> alts;
    if (!terminal) alts.push_back(close);
    CodeRanges others = plain;
    for (const auto& [cp, sub] : children) {
      if (intersect_ranges({{cp, cp}}, plain).empty()) continue;  // never written unescaped
      others = subtract_ranges(others, {{cp, cp}});
      std::string ch;
      utf8_append(ch, cp);
      alts.push_back(gbnf_literal(ch) + " " +
                     key_trie_node(sub, depth + 1, hint, plain, free, close));
    }
    if (!others.empty()) alts.push_back(gbnf_class(others) + " " + free);
    return make_rule(hint, gbnf_alternatives(alts));
  }

  std::string visit_object(const Json& s, const std::string& ptr, const std::string& name);
  std::string visit_array(const Json& s, const std::string& ptr, const std::string& name);
  std::string visit_string(const Json& s, const std::string& ptr, const std::string& name);
  std::string visit_number(const Json& s, const std::string& ptr, bool integer);

  WhitespacePolicy ws_policy_;
  std::string ws_;
  const Json* doc_ = nullptr;
  std::string root_rule_;
  std::vector<std::pair<std::string, std::string>> roots_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::map<std::string, std::string> by_body_;
  std::set<std::string> used_names_;
  std::set<std::string> added_primitives_;
  std::map<std::string, std::string> ref_rules_;  // target pointer → rule
  std::vector<std::string> head_refs_;            // refs entered since the last token
  // Targets of refs with siblings being merged, and where each such ref sits.
  std::vector<std::pair<std::string, std::string>> merging_refs_;
  int depth_ = 0;                                 // visits in progress
};

const Json kTrue = true;

std::string Converter::visit_object(const Json& s, const std::string& ptr,
                                    const std::string& name) {
  const Json no_properties = Json::object();
  if (s.contains("properties") && !s.at("properties").is_object()) {
    throw SchemaError::invalid("properties", ptr, "'properties' must be an object");
  }
  const Json& props = s.contains("properties") ? s.at("properties") : no_properties;
  std::vector<std::string> required;
  if (s.contains("required")) {
    const Json& r = s.at("required");
    if (!r.is_array()) throw SchemaError::invalid("required", ptr, "'required' must be an array");
    for (const Json& e : r) {
      if (!e.is_string()) {
        throw SchemaError::invalid("required", ptr, "'required' must list property names");
      }
      if (std::find(required.begin(), required.end(), e) == required.end()) required.push_back(e);
    }
  }
  // Extra properties: only where additionalProperties allows them explicitly. Absent, it
  // means "any" in JSON Schema; we write none, which is stricter and keeps outputs short.
  std::optional<Json> extra;
  if (s.contains("additionalProperties")) {
    const Json& a = s.at("additionalProperties");
    if (!a.is_boolean() && !a.is_object()) {
      throw SchemaError::invalid("additionalProperties", ptr,
                                 "'additionalProperties' must be a schema");
    }
    if (a != Json(false)) extra = a;
  } else if (props.empty() && required.empty()) {
    return use("object");
  }

  struct Entry {
    std::string key;
    const Json* schema;
    bool required;
    std::string ptr;
  };
  auto is_required = [&](const std::string& k) {
    return std::find(required.begin(), required.end(), k) != required.end();
  };
  std::vector<Entry> entries;
  for (const auto& [k, v] : props.items()) {
    if (v == Json(false)) {
      if (is_required(k)) {
        throw SchemaError::invalid("required", ptr,
                                   "property '" + k + "' is required but its schema is false");
      }
      continue;
    }
    entries.push_back({k, &v, is_required(k), ptr + "/properties/" + escape_pointer_token(k)});
  }
  for (const std::string& r : required) {
    if (props.contains(r)) continue;
    if (s.contains("additionalProperties") && !extra) {
      throw SchemaError::invalid("required", ptr,
                                 "property '" + r +
                                     "' is required but "
                                     "'additionalProperties' is false");
    }
    entries.push_back({r, extra ? &*extra : &kTrue, true, ptr + "/additionalProperties"});
  }

  const std::string w = ws();
  const std::string sep = gbnf_sequence({w, "\",\"", w});
  std::vector<std::string> kv;
  for (const Entry& e : entries) {
    const std::string pname = name + "-" + e.key;
    const std::string value = visit_child(*e.schema, e.ptr, pname);
    kv.push_back(make_rule(
        pname + "-kv", gbnf_sequence({gbnf_literal(Json(e.key).dump()), w, "\":\"", w, value})));
  }
  std::string extra_kv, extra_tail;
  if (extra) {
    std::vector<std::string> keys;
    for (const Entry& e : entries) keys.push_back(e.key);
    const std::string value =
        visit_child(*extra, ptr + "/additionalProperties", name + "-additional");
    extra_kv =
        make_rule(name + "-additional-kv",
                  gbnf_sequence({extra_key(keys, name + "-additional"), w, "\":\"", w, value}));
    extra_tail = gbnf_repeat(gbnf_sequence({sep, extra_kv}), 0, -1);
  }

  const std::string open = gbnf_literal("{"), close = gbnf_literal("}");
  const size_t n = entries.size();
  if (n == 0 && !extra) return gbnf_sequence({open, w, close});
  const bool all_required =
      std::all_of(entries.begin(), entries.end(), [](const Entry& e) { return e.required; });
  if (n > 0 && all_required) {
    std::vector<std::string> parts = {open, w, kv[0]};
    for (size_t i = 1; i < n; ++i) parts.push_back(gbnf_sequence({sep, kv[i]}));
    parts.insert(parts.end(), {extra_tail, w, close});
    return gbnf_sequence(parts);
  }
  // Optional properties keep their places: tails[i] is what may follow once something is
  // written, from entry i on (each item with its leading comma); heads[i] is a non-empty run
  // starting at entry i or later, so a comma never leads and never trails.
  std::vector<std::string> tails(n + 1);
  tails[n] = extra_tail;
  for (size_t i = n; i-- > 1;) {
    const std::string item = gbnf_sequence({sep, kv[i]});
    const std::string own = entries[i].required ? item : gbnf_repeat(item, 0, 1);
    tails[i] = make_rule(name + "-tail", gbnf_sequence({own, tails[i + 1]}));
  }
  std::string head = extra ? make_rule(name + "-head", gbnf_sequence({extra_kv, extra_tail})) : "";
  for (size_t i = n; i-- > 0;) {
    const std::string first = gbnf_sequence({kv[i], tails[i + 1]});
    const bool alone = entries[i].required || head.empty();
    head = make_rule(name + "-head", alone ? first : gbnf_alternatives({first, head}));
  }
  const bool any_required =
      std::any_of(entries.begin(), entries.end(), [](const Entry& e) { return e.required; });
  if (any_required) return gbnf_sequence({open, w, head, w, close});
  return gbnf_sequence({open, w, gbnf_repeat(gbnf_sequence({head, w}), 0, 1), close});
}

namespace {

// A non-negative integer keyword (minItems, maxLength, ...), or `fallback` when absent.
int64_t count_keyword(const Json& s, const char* key, const std::string& ptr, int64_t fallback) {
  if (!s.contains(key)) return fallback;
  const Json& v = s.at(key);
  const bool integral = v.is_number_integer() ||
                        (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (!integral || v.get<double>() < 0) {
    throw SchemaError::invalid(key, ptr,
                               std::string("'") + key + "' must be a non-negative integer");
  }
  if (v.get<double>() > kMaxRepetition) {
    throw SchemaError::unsupported(key, ptr, "bounds above " + std::to_string(kMaxRepetition));
  }
  return static_cast<int64_t>(v.get<double>());
}

}  // namespace

std::string Converter::visit_array(const Json& s, const std::string& ptr, const std::string& name) {
  const Json* prefix = nullptr;
  std::string prefix_key;
  const Json* rest = &kTrue;
  std::string rest_ptr = ptr;
  if (s.contains("prefixItems")) {
    if (s.contains("additionalItems")) {
      throw SchemaError::unsupported("additionalItems", ptr, "together with 'prefixItems'");
    }
    prefix = &s.at("prefixItems");
    prefix_key = "prefixItems";
    if (s.contains("items")) rest = &s.at("items"), rest_ptr = ptr + "/items";
  } else if (s.contains("items") && s.at("items").is_array()) {
    // The tuple form of drafts before 2020-12.
    prefix = &s.at("items");
    prefix_key = "items";
    if (s.contains("additionalItems")) {
      rest = &s.at("additionalItems"), rest_ptr = ptr + "/additionalItems";
    }
  } else if (s.contains("items")) {
    rest = &s.at("items"), rest_ptr = ptr + "/items";
  }
  if (prefix && !prefix->is_array()) {
    throw SchemaError::invalid(prefix_key, ptr, "'" + prefix_key + "' must be an array");
  }
  const int64_t k = prefix ? static_cast<int64_t>(prefix->size()) : 0;
  const int64_t min_c = count_keyword(s, "minItems", ptr, 0);
  int64_t max_c = count_keyword(s, "maxItems", ptr, -1);
  if (*rest == Json(false)) max_c = max_c == -1 ? k : std::min(max_c, k);
  if (max_c != -1 && min_c > max_c) {
    throw SchemaError::invalid("minItems", ptr,
                               "no array length satisfies 'minItems', "
                               "'maxItems' and the item schemas");
  }
  const std::string w = ws();
  const std::string open = gbnf_literal("["), close = gbnf_literal("]");
  if (max_c == 0) return gbnf_sequence({open, w, close});

  const int64_t used_prefix = max_c == -1 ? k : std::min(k, max_c);
  std::vector<std::string> slots;
  for (int64_t i = 0; i < used_prefix; ++i) {
    slots.push_back(visit_child((*prefix)[i], ptr + "/" + prefix_key + "/" + std::to_string(i),
                                name + "-" + std::to_string(i)));
  }
  std::string rest_rule;
  if (max_c == -1 || max_c > k) rest_rule = visit_child(*rest, rest_ptr, name + "-item");
  auto slot = [&](int64_t i) { return i < k ? slots[i] : rest_rule; };
  const std::string sep = gbnf_sequence({w, "\",\"", w});

  // The items after item i-1, each with its leading comma.
  std::function<std::string(int64_t)> after = [&](int64_t i) -> std::string {
    if (max_c != -1 && i >= max_c) return "";
    if (i >= k) {
      const int64_t need = std::max<int64_t>(0, min_c - i);
      const int64_t more = max_c == -1 ? -1 : max_c - i;
      return gbnf_repeat(gbnf_sequence({sep, rest_rule}), static_cast<int>(need),
                         static_cast<int>(more));
    }
    const std::string item = gbnf_sequence({sep, slot(i), after(i + 1)});
    if (i < min_c) return item;
    return gbnf_repeat(make_rule(name + "-tail", item), 0, 1);
  };
  const std::string items = gbnf_sequence({slot(0), after(1)});
  if (min_c >= 1) return gbnf_sequence({open, w, items, w, close});
  return gbnf_sequence({open, w, gbnf_repeat(gbnf_sequence({items, w}), 0, 1), close});
}

std::string Converter::visit_string(const Json& s, const std::string& ptr,
                                    const std::string& name) {
  const std::string quote = gbnf_literal("\"");
  if (s.contains("format")) {
    const Json& f = s.at("format");
    if (!f.is_string()) throw SchemaError::invalid("format", ptr, "'format' must be a string");
    if (!kFormats.count(f.get<std::string>())) {
      throw SchemaError::unsupported("format", ptr, "format '" + f.get<std::string>() + "'");
    }
    for (const char* k : {"pattern", "minLength", "maxLength"}) {
      if (s.contains(k)) throw SchemaError::unsupported(k, ptr, "together with 'format'");
    }
    return gbnf_sequence({quote, use(f.get<std::string>()), quote});
  }
  if (s.contains("pattern")) {
    const Json& p = s.at("pattern");
    if (!p.is_string()) throw SchemaError::invalid("pattern", ptr, "'pattern' must be a string");
    for (const char* k : {"minLength", "maxLength"}) {
      if (s.contains(k)) throw SchemaError::unsupported(k, ptr, "together with 'pattern'");
    }
    std::string expr;
    try {
      expr = pattern_to_gbnf(p.get<std::string>(), use("char"));
    } catch (const PatternError& e) {
      if (e.unsupported()) throw SchemaError::unsupported("pattern", ptr, e.what());
      throw SchemaError::invalid("pattern", ptr, e.what());
    }
    return gbnf_sequence({quote, make_rule(name + "-pattern", expr), quote});
  }
  const int64_t min_len = count_keyword(s, "minLength", ptr, 0);
  const int64_t max_len = count_keyword(s, "maxLength", ptr, -1);
  if (min_len == 0 && max_len == -1) return use("string");
  if (max_len != -1 && min_len > max_len) {
    throw SchemaError::invalid("minLength", ptr, "'minLength' is above 'maxLength'");
  }
  return gbnf_sequence(
      {quote, gbnf_repeat(use("char"), static_cast<int>(min_len), static_cast<int>(max_len)),
       quote});
}

std::string Converter::visit_number(const Json& s, const std::string& ptr, bool integer) {
  auto value_of = [&](const char* k) -> std::optional<long double> {
    if (!s.contains(k) || s.at(k).is_boolean()) return std::nullopt;
    const Json& v = s.at(k);
    if (!v.is_number())
      throw SchemaError::invalid(k, ptr, std::string("'") + k + "' must be a number");
    if (v.is_number_unsigned()) return static_cast<long double>(v.get<uint64_t>());
    if (v.is_number_integer()) return static_cast<long double>(v.get<int64_t>());
    return static_cast<long double>(v.get<double>());
  };
  // Each side's tightest bound among the plain and exclusive keywords (draft 4 wrote
  // exclusiveness as a boolean beside minimum/maximum).
  auto side = [&](const char* plain, const char* exclusive, bool lower, std::string& keyword) {
    std::optional<NumberBound> best;
    auto consider = [&](std::optional<long double> v, bool ex, const char* k) {
      if (!v) return;
      const bool tighter =
          !best || (lower ? *v > best->value : *v < best->value) || (*v == best->value && ex);
      if (tighter) best = NumberBound{*v, ex}, keyword = k;
    };
    const bool draft4 = s.contains(exclusive) && s.at(exclusive) == Json(true);
    consider(value_of(plain), draft4, plain);
    consider(value_of(exclusive), true, exclusive);
    return best;
  };
  std::string lower_kw, upper_kw;
  const std::optional<NumberBound> lower = side("minimum", "exclusiveMinimum", true, lower_kw);
  const std::optional<NumberBound> upper = side("maximum", "exclusiveMaximum", false, upper_kw);
  if (!lower && !upper) return use(integer ? "integer" : "number");
  std::optional<std::string> expr;
  if (integer) {
    expr = integer_range_gbnf(lower, upper);
  } else {
    for (const auto& [b, kw] : {std::pair{lower, lower_kw}, std::pair{upper, upper_kw}}) {
      if (b && std::floor(b->value) != b->value) {
        throw SchemaError::unsupported(kw, ptr, "a non-integral bound on a number");
      }
    }
    expr = number_range_gbnf(lower, upper);
  }
  if (!expr) {
    throw SchemaError::invalid(
        lower ? lower_kw : upper_kw, ptr,
        std::string("no ") + (integer ? "integer" : "number") + " satisfies the bounds");
  }
  return *expr;
}

}  // namespace

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema,
                                const SchemaOptions& options) {
  Converter c(options);
  c.add_schema("root", schema);
  return c.text();
}

std::string json_schema_to_gbnf(const nlohmann::json& schema, const SchemaOptions& options) {
  return json_schema_to_gbnf(nlohmann::ordered_json::parse(schema.dump()), options);
}

std::string json_object_gbnf(const SchemaOptions& options) {
  return json_schema_to_gbnf(nlohmann::ordered_json{{"type", "object"}}, options);
}

std::string json_schemas_to_gbnf_rules(const std::vector<NamedSchema>& schemas,
                                       const SchemaOptions& options) {
  Converter c(options);
  for (const NamedSchema& n : schemas) c.add_schema(n.rule, n.schema);
  return c.text();
}

}  // namespace rightsize::sampling::grammar
