// allOf merging and $ref resolution. A merge keeps a keyword when the parts agree, intersects
// or tightens it when that is exact (type, enum, required, bounds), nests "allOf" where the
// converter will merge again (a property's or items' schema), and refuses the rest.
#include "sampling/grammar/json_schema_merge.h"

#include <algorithm>
#include <set>
#include <vector>

#include "sampling/grammar/json_schema.h"

namespace rightsize::sampling::grammar {

bool is_annotation_keyword(std::string_view keyword) {
  static const std::set<std::string_view> kAnnotations = {
      "title",    "description", "examples", "default",   "$schema", "$id",
      "$comment", "deprecated",  "readOnly", "writeOnly", "$defs",   "definitions"};
  return kAnnotations.count(keyword) > 0;
}

namespace {

constexpr int kMaxMergeDepth = 32;

// %XX escapes of a URI fragment; false if malformed.
bool percent_decode(const std::string& in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      return false;
    }
    out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return true;
}

std::vector<std::string> type_list(const Json& t) {
  if (t.is_string()) return {t.get<std::string>()};
  std::vector<std::string> out;
  for (const Json& e : t) out.push_back(e.get<std::string>());
  return out;
}

Json intersect_types(const Json& a, const Json& b, const std::string& at) {
  const std::vector<std::string> ta = type_list(a), tb = type_list(b);
  auto has = [](const std::vector<std::string>& v, const std::string& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  };
  Json out = Json::array();
  for (const std::string& t : ta) {
    // Integers are numbers, so "integer" survives against "number" (and the reverse).
    if (has(tb, t) || (t == "integer" && has(tb, "number"))) {
      out.push_back(t);
    } else if (t == "number" && has(tb, "integer")) {
      out.push_back("integer");
    }
  }
  if (out.empty())
    throw SchemaError::invalid("type", at, "the parts of 'allOf' allow no common type");
  if (out.size() == 1) return out[0];
  return out;
}

class Merger {
 public:
  Merger(const Json& doc, const std::string& at) : doc_(doc), at_(at) {}

  Json merge(const Json& schema) {
    collect(schema, 0);
    Json merged = Json::object();
    for (const Json& part : parts_) merge_into(merged, part);
    restrict_additional(merged);
    return merged;
  }

 private:
  // Flattens nested allOf and $ref into parts_.
  void collect(const Json& s, int depth) {
    if (depth > kMaxMergeDepth) {
      throw SchemaError::invalid("allOf", at_,
                                 "'allOf' and '$ref' nest too deeply (a reference cycle?)");
    }
    if (s.is_boolean()) {
      if (s.get<bool>()) return;
      throw SchemaError::invalid("allOf", at_, "a part of 'allOf' is false: no value is valid");
    }
    if (!s.is_object())
      throw SchemaError::invalid("allOf", at_, "a part of 'allOf' is not a schema");
    Json rest = s;
    if (auto it = rest.find("allOf"); it != rest.end()) {
      if (!it->is_array()) throw SchemaError::invalid("allOf", at_, "'allOf' must be an array");
      for (const Json& part : *it) collect(part, depth + 1);
      rest.erase("allOf");
    }
    if (auto it = rest.find("$ref"); it != rest.end()) {
      collect(*resolve_local_ref(doc_, *it, at_).schema, depth + 1);
      rest.erase("$ref");
    }
    for (const auto& [k, v] : rest.items()) {
      if (!is_annotation_keyword(k)) {
        parts_.push_back(rest);
        return;
      }
    }
  }

  void merge_into(Json& a, const Json& b) {
    static const std::set<std::string_view> kLowerBounds = {"minimum", "exclusiveMinimum",
                                                            "minLength", "minItems"};
    static const std::set<std::string_view> kUpperBounds = {"maximum", "exclusiveMaximum",
                                                            "maxLength", "maxItems"};
    for (const auto& [k, v] : b.items()) {
      if (is_annotation_keyword(k) || k == "additionalProperties") continue;
      if (!a.contains(k)) {
        a[k] = v;
        continue;
      }
      Json& x = a[k];
      if (x == v) continue;
      if (k == "type") {
        x = intersect_types(x, v, at_);
      } else if (k == "properties" && x.is_object() && v.is_object()) {
        for (const auto& [p, ps] : v.items()) {
          if (!x.contains(p)) {
            x[p] = ps;
          } else if (x[p] != ps) {
            x[p] = Json{{"allOf", Json::array({x[p], ps})}};
          }
        }
      } else if (k == "required" && x.is_array() && v.is_array()) {
        for (const Json& r : v) {
          if (std::find(x.begin(), x.end(), r) == x.end()) x.push_back(r);
        }
      } else if (k == "enum" && x.is_array() && v.is_array()) {
        Json common = Json::array();
        for (const Json& e : x) {
          if (std::find(v.begin(), v.end(), e) != v.end()) common.push_back(e);
        }
        if (common.empty())
          throw SchemaError::invalid("enum", at_, "the parts of 'allOf' share no enum value");
        x = common;
      } else if (k == "const") {
        throw SchemaError::invalid("const", at_,
                                   "the parts of 'allOf' require different constants");
      } else if ((kLowerBounds.count(k) || kUpperBounds.count(k)) && x.is_number() &&
                 v.is_number()) {
        const bool take_v = kLowerBounds.count(k) ? v.get<double>() > x.get<double>()
                                                  : v.get<double>() < x.get<double>();
        if (take_v) x = v;
      } else if (k == "items" && !x.is_array() && !v.is_array()) {
        x = Json{{"allOf", Json::array({x, v})}};
      } else {
        throw SchemaError::unsupported(k, at_, "different values in the parts of 'allOf'");
      }
    }
  }

  // A part's additionalProperties constrains every property the other parts declare and it
  // does not: false forbids them, a schema joins theirs.
  void restrict_additional(Json& merged) {
    for (const Json& part : parts_) {
      auto it = part.find("additionalProperties");
      if (it == part.end() || *it == Json(true)) continue;
      const Json& extra = *it;
      const Json no_props = Json::object();
      const Json& own = part.contains("properties") ? part["properties"] : no_props;
      if (merged.contains("properties")) {
        Json& props = merged["properties"];
        std::vector<std::string> forbidden;
        for (auto& [p, ps] : props.items()) {
          if (own.contains(p)) continue;
          if (extra == Json(false)) {
            forbidden.push_back(p);
          } else {
            ps = Json{{"allOf", Json::array({ps, extra})}};
          }
        }
        for (const std::string& p : forbidden) {
          const Json& req = merged.contains("required") ? merged["required"] : Json::array();
          if (std::find(req.begin(), req.end(), Json(p)) != req.end()) {
            throw SchemaError::invalid("additionalProperties", at_,
                                       "property '" + p +
                                           "' is required by one part of 'allOf' "
                                           "and forbidden by another");
          }
          props.erase(p);
        }
      }
      if (!merged.contains("additionalProperties")) {
        merged["additionalProperties"] = extra;
      } else if (merged["additionalProperties"] != extra) {
        Json& cur = merged["additionalProperties"];
        if (cur == Json(false) || extra == Json(false)) {
          cur = false;
        } else {
          cur = Json{{"allOf", Json::array({cur, extra})}};
        }
      }
    }
  }

  const Json& doc_;
  const std::string& at_;
  std::vector<Json> parts_;
};

}  // namespace

ResolvedRef resolve_local_ref(const Json& doc, const Json& ref, const std::string& at) {
  if (!ref.is_string()) throw SchemaError::invalid("$ref", at, "'$ref' must be a string");
  const std::string s = ref.get<std::string>();
  if (s.empty() || s[0] != '#') {
    throw SchemaError::unsupported("$ref", at, "remote reference '" + s + "'");
  }
  std::string fragment;
  if (!percent_decode(s.substr(1), fragment)) {
    throw SchemaError::invalid("$ref", at, "malformed %-escape in '" + s + "'");
  }
  if (!fragment.empty() && fragment[0] != '/') {
    throw SchemaError::unsupported("$ref", at, "anchor reference '" + s + "'");
  }
  try {
    const Json& target = doc.at(Json::json_pointer(fragment));
    return {&target, fragment};
  } catch (const nlohmann::json::exception&) {
    throw SchemaError::invalid("$ref", at, "'" + s + "' points to nothing");
  }
}

Json merge_all_of(const Json& doc, const Json& schema, const std::string& at) {
  return Merger(doc, at).merge(schema);
}

}  // namespace rightsize::sampling::grammar
