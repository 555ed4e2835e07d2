#include "cedar/json.h"
#include "cedar/json/json_util.h"
#include "cedar/schema/json_text.h"

namespace cedar {

namespace json = boost::json;

namespace {

Error JsonError(std::string msg) {
  return MakeError(ErrorCode::kJson, std::move(msg));
}

}  // namespace

Result<json::value> ParseJsonText(std::string_view text) {
  json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  if (std::string dup = json_text::FirstDuplicateKey(text, opts); !dup.empty()) {
    return JsonError("duplicate key `" + dup + "` in JSON object");
  }
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
  if (ec) return JsonError("malformed JSON: " + ec.message());
  return v;
}

std::string JsonKindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a decimal number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

Result<const EntityUID*> EntityUIDFromJson(const json::value& v, Arena& arena) {
  const json::value* body = &v;
  if (const json::object* o = v.if_object(); o && o->size() == 1 && o->contains("__entity")) {
    body = &o->at("__entity");
  }
  const json::object* o = body->if_object();
  if (o == nullptr)
    return JsonError("expected an entity reference {\"type\", \"id\"}, found " +
                     JsonKindName(*body));
  const json::value* type = o->if_contains("type");
  const json::value* id = o->if_contains("id");
  if (type == nullptr || id == nullptr || !type->is_string() || !id->is_string() ||
      o->size() != 2) {
    return JsonError(
        "expected an entity reference with exactly the string fields `type` and `id`, found " +
        json::serialize(*body));
  }
  std::string_view t(type->get_string().data(), type->get_string().size());
  auto name = ParseName(t);
  if (!name.ok() || *name != t) {
    return JsonError(
        "invalid entity type `" + std::string(t) + "`: " +
        (name.ok() ? "it must be written without whitespace or comments" : name.error().message));
  }
  return EntityUID::Make(arena, t,
                         std::string_view(id->get_string().data(), id->get_string().size()));
}

namespace {

class ValueParser {
 public:
  ValueParser(Arena& arena, const Schema* schema) : arena_(arena), schema_(schema) {}

  Result<Value> Parse(const json::value& v, const SchemaType* expected) {
    if (expected != nullptr) return ParseTyped(v, *expected);
    switch (v.kind()) {
      case json::kind::bool_:
        return Value::Bool(v.get_bool());
      case json::kind::int64:
        return Value::Long(v.get_int64());
      case json::kind::uint64:
        return JsonError("integer " + std::to_string(v.get_uint64()) +
                         " is outside the range of a 64-bit signed integer");
      case json::kind::double_:
        return JsonError("number " + json::serialize(v) +
                         " is not an integer; Cedar has no floating-point numbers");
      case json::kind::null:
        return JsonError("`null` is not a Cedar value");
      case json::kind::string:
        return Value::String(arena_.CopyString(Str(v.get_string())));
      case json::kind::array: {
        const json::array& a = v.get_array();
        std::vector<Value> items;
        items.reserve(a.size());
        for (const auto& x : a) {
          auto r = Parse(x, nullptr);
          if (!r.ok()) return r;
          items.push_back(*r);
        }
        return Value::Set(MakeSet(arena_, items));
      }
      case json::kind::object: {
        const json::object& o = v.get_object();
        if (o.size() == 1 && o.contains("__entity")) {
          auto uid = EntityUIDFromJson(v, arena_);
          if (!uid.ok()) return uid.take_error();
          return Value::Entity(*uid);
        }
        if (o.size() == 1 && o.contains("__extn")) return ParseExtn(o.at("__extn"), "");
        std::vector<RecordField> fields;
        fields.reserve(o.size());
        for (const auto& kv : o) {
          auto r = Parse(kv.value(), nullptr);
          if (!r.ok())
            return Prefix("in attribute `" + std::string(Str(kv.key())) + "`: ", r.error());
          fields.push_back({arena_.CopyString(Str(kv.key())), *r});
        }
        return Value::Record(MakeRecord(arena_, fields));
      }
    }
    return JsonError("unsupported JSON value");
  }

 private:
  static std::string_view Str(json::string_view s) { return {s.data(), s.size()}; }
  static Error Prefix(const std::string& prefix, const Error& e) {
    return MakeError(e.code, prefix + e.message, e.pos);
  }

  // {"fn": name, "arg": v} or {"fn": name, "args": [v...]}; `want` is the expected
  // extension type ("" when any).
  Result<Value> ParseExtn(const json::value& body, std::string_view want) {
    const json::object* o = body.if_object();
    if (o == nullptr)
      return JsonError("expected `__extn` to hold {\"fn\", \"arg\"}, found " + JsonKindName(body));
    const json::value* fn = o->if_contains("fn");
    const json::value* arg = o->if_contains("arg");
    const json::value* args = o->if_contains("args");
    if (fn == nullptr || !fn->is_string() || (arg == nullptr) == (args == nullptr) ||
        o->size() != 2) {
      return JsonError("an extension value needs a string `fn` and either `arg` or `args`, found " +
                       json::serialize(body));
    }
    std::string_view name = Str(fn->get_string());
    const ExtFnInfo* info = FindExtFn(name);
    if (info == nullptr) return JsonError("unknown extension function `" + std::string(name) + "`");
    std::vector<Value> argv;
    if (arg != nullptr) {
      auto r = Parse(*arg, nullptr);
      if (!r.ok()) return r;
      argv.push_back(*r);
    } else {
      if (!args->is_array()) return JsonError("`args` of an extension value must be an array");
      for (const auto& a : args->get_array()) {
        auto r = Parse(a, nullptr);
        if (!r.ok()) return r;
        argv.push_back(*r);
      }
    }
    auto result = CallExtension(arena_, info->fn, argv);
    if (!result.ok()) return result;
    if (!want.empty() && KindName(result->kind()) != want) {
      return JsonError("expected a value of type " + std::string(want) + ", but `" +
                       std::string(name) + "` produces " + KindName(result->kind()));
    }
    return result;
  }

  Result<Value> Mismatch(const SchemaType& t, const json::value& v) {
    return JsonError("type mismatch: value was expected to have type " + t.ToString() + ", found " +
                     JsonKindName(v));
  }

  Result<Value> ParseTyped(const json::value& v, const SchemaType& t) {
    using K = SchemaType::Kind;
    switch (t.kind) {
      case K::kBool:
        if (!v.is_bool()) return Mismatch(t, v);
        return Value::Bool(v.get_bool());
      case K::kLong: {
        if (!v.is_int64()) {
          if (v.is_number()) return Parse(v, nullptr);  // the precise out-of-range message
          return Mismatch(t, v);
        }
        return Value::Long(v.get_int64());
      }
      case K::kString:
        if (!v.is_string()) return Mismatch(t, v);
        return Value::String(arena_.CopyString(Str(v.get_string())));
      case K::kEntity: {
        if (!v.is_object()) return Mismatch(t, v);
        auto uid = EntityUIDFromJson(v, arena_);
        if (!uid.ok()) return uid.take_error();
        if ((*uid)->type != t.name) {
          return JsonError("type mismatch: value was expected to have type " + t.name +
                           ", found an entity of type " + std::string((*uid)->type));
        }
        if (Status st = CheckEnumId(**uid); !st.ok()) return st.error();
        return Value::Entity(*uid);
      }
      case K::kExtension: {
        if (v.is_string()) {
          const ExtFnInfo* ctor = ConstructorFor(t.name);
          if (ctor == nullptr) return JsonError("unknown extension type " + t.name);
          Value s = Value::String(Str(v.get_string()));
          return CallExtension(arena_, ctor->fn, std::span<const Value>(&s, 1));
        }
        if (const json::object* o = v.if_object()) {
          if (o->size() == 1 && o->contains("__extn")) return ParseExtn(o->at("__extn"), t.name);
          if (o->contains("fn")) return ParseExtn(v, t.name);
        }
        return Mismatch(t, v);
      }
      case K::kSet: {
        if (!v.is_array()) return Mismatch(t, v);
        std::vector<Value> items;
        items.reserve(v.get_array().size());
        for (const auto& x : v.get_array()) {
          auto r = ParseTyped(x, *t.element);
          if (!r.ok()) return r;
          items.push_back(*r);
        }
        return Value::Set(MakeSet(arena_, items));
      }
      case K::kRecord: {
        if (!v.is_object()) return Mismatch(t, v);
        const json::object& o = v.get_object();
        std::vector<RecordField> fields;
        fields.reserve(o.size());
        for (const auto& kv : o) {
          std::string_view key = Str(kv.key());
          auto it = t.attributes.find(std::string(key));
          if (it == t.attributes.end()) {
            if (!t.additional_attributes) {
              return JsonError("attribute `" + std::string(key) +
                               "` is not declared in the schema");
            }
            auto r = Parse(kv.value(), nullptr);
            if (!r.ok()) return r;
            fields.push_back({arena_.CopyString(key), *r});
            continue;
          }
          auto r = ParseTyped(kv.value(), *it->second.type);
          if (!r.ok()) return Prefix("in attribute `" + std::string(key) + "`: ", r.error());
          fields.push_back({arena_.CopyString(key), *r});
        }
        for (const auto& [name, attr] : t.attributes) {
          if (attr.required && !o.contains(name)) {
            return JsonError("expected the required attribute `" + name + "` to be present");
          }
        }
        return Value::Record(MakeRecord(arena_, fields));
      }
    }
    return JsonError("unsupported schema type");
  }

  static const ExtFnInfo* ConstructorFor(std::string_view type) {
    if (type == "ipaddr") return FindExtFn("ip");
    if (type == "decimal") return FindExtFn("decimal");
    if (type == "datetime") return FindExtFn("datetime");
    if (type == "duration") return FindExtFn("duration");
    return nullptr;
  }

 public:
  Status CheckEnumId(const EntityUID& uid) const {
    if (schema_ == nullptr) return {};
    const EntityTypeDef* def = schema_->FindEntityType(uid.type);
    if (def == nullptr || !def->enum_ids) return {};
    for (const auto& id : *def->enum_ids) {
      if (id == uid.id) return {};
    }
    return MakeError(ErrorCode::kEntity, "entity `" + uid.ToString() +
                                             "` is of an enumerated type, but `" +
                                             std::string(uid.id) + "` is not one of its ids");
  }

 private:
  Arena& arena_;
  const Schema* schema_;
};

}  // namespace

Result<Value> CallExtension(Arena& arena, ExtFn fn, std::span<const Value> args) {
  // Builds the call as a one-off expression so that JSON extension values share the
  // evaluator's exact semantics and messages.
  Expr call;
  call.kind = ExprKind::kCall;
  call.ext_fn = fn;
  std::vector<Expr> lits(args.size());
  std::vector<const Expr*> ptrs(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    lits[i].kind = ExprKind::kLiteral;
    lits[i].lit = args[i];
    ptrs[i] = &lits[i];
  }
  call.items = ptrs;
  Value out;
  std::string error;
  if (!EvaluateStandalone(call, arena, out, error)) return JsonError(error);
  if (!IsExtensionKind(out.kind())) {
    return JsonError(std::string("`") + ExtFnInfoOf(fn).name +
                     "` does not produce an extension value");
  }
  return out;
}

Result<Value> ValueFromJson(const json::value& v, Arena& arena, const Schema* schema,
                            const SchemaType* expected) {
  ValueParser p(arena, schema);
  return p.Parse(v, expected);
}

Status CheckEnumEntity(const Schema* schema, const EntityUID& uid) {
  Arena unused;
  ValueParser p(unused, schema);
  return p.CheckEnumId(uid);
}

json::value EntityUIDToJson(const EntityUID& uid) {
  return json::object{{"type", json::string_view(uid.type.data(), uid.type.size())},
                      {"id", json::string_view(uid.id.data(), uid.id.size())}};
}

json::value ValueToJson(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBool:
      return v.AsBool();
    case ValueKind::kLong:
      return v.AsLong();
    case ValueKind::kString:
      return json::string_view(v.AsString().data(), v.AsString().size());
    case ValueKind::kEntity:
      return json::object{{"__entity", EntityUIDToJson(v.AsEntity())}};
    case ValueKind::kSet: {
      json::array a;
      for (const auto& x : v.AsSet().items) a.push_back(ValueToJson(x));
      return a;
    }
    case ValueKind::kRecord: {
      json::object o;
      for (const auto& f : v.AsRecord().fields) {
        o[json::string_view(f.key.data(), f.key.size())] = ValueToJson(f.value);
      }
      return o;
    }
    case ValueKind::kDecimal:
      return json::object{{"__extn", {{"fn", "decimal"}, {"arg", v.AsDecimal().ToString()}}}};
    case ValueKind::kIpAddr:
      return json::object{{"__extn", {{"fn", "ip"}, {"arg", v.AsIp().ToString()}}}};
    case ValueKind::kDatetime:
      return json::object{{"__extn", {{"fn", "datetime"}, {"arg", v.AsDatetime().ToString()}}}};
    case ValueKind::kDuration:
      return json::object{{"__extn", {{"fn", "duration"}, {"arg", v.AsDuration().ToString()}}}};
  }
  return nullptr;
}

}  // namespace cedar
