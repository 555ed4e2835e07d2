#include <algorithm>
#include <map>
#include <set>

#include "cedar/json.h"
#include "cedar/json/json_util.h"

namespace cedar {

namespace json = boost::json;

namespace {

Error EntityError(std::string msg) {
  return MakeError(ErrorCode::kEntity, std::move(msg));
}

struct ParsedEntity {
  const EntityUID* uid;
  const RecordData* attrs;
  const RecordData* tags;
  std::vector<const EntityUID*> parents;
};

Result<ParsedEntity> ParseEntity(const json::value& v, Arena& arena, const Schema* schema) {
  const json::object* o = v.if_object();
  if (o == nullptr)
    return EntityError("each entity must be a JSON object, found " + JsonKindName(v));
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (k != "uid" && k != "attrs" && k != "parents" && k != "tags") {
      return EntityError("unknown field `" + std::string(k) +
                         "` in an entity; expected `uid`, `attrs`, `parents` and `tags`");
    }
  }
  const json::value* uid_json = o->if_contains("uid");
  if (uid_json == nullptr) return EntityError("an entity is missing its `uid`");
  auto uid = EntityUIDFromJson(*uid_json, arena);
  if (!uid.ok()) return EntityError("in the `uid` of an entity: " + uid.error().message);
  ParsedEntity out{*uid, EmptyRecord(), EmptyRecord(), {}};
  std::string who = "`" + (*uid)->ToString() + "`";

  const EntityTypeDef* def = nullptr;
  bool is_action = false;
  if (schema != nullptr) {
    def = schema->FindEntityType((*uid)->type);
    is_action = schema->IsActionType((*uid)->type);
    if (def == nullptr && !is_action) {
      return EntityError("entity " + who + " has type `" + std::string((*uid)->type) +
                         "`, which is not declared in the schema");
    }
    if (def != nullptr) {
      if (Status st = CheckEnumEntity(schema, **uid); !st.ok()) return st.error();
    }
  }

  if (const json::value* parents = o->if_contains("parents")) {
    if (!parents->is_array()) return EntityError("the `parents` of " + who + " must be an array");
    for (const auto& p : parents->get_array()) {
      auto puid = EntityUIDFromJson(p, arena);
      if (!puid.ok()) return EntityError("in the parents of " + who + ": " + puid.error().message);
      if (def != nullptr) {
        const auto& allowed = def->member_of;
        if (std::find(allowed.begin(), allowed.end(), (*puid)->type) == allowed.end()) {
          return EntityError("entity " + who + " is not allowed to have an ancestor of type `" +
                             std::string((*puid)->type) + "` according to the schema");
        }
        if (Status st = CheckEnumEntity(schema, **puid); !st.ok()) return st.error();
      }
      out.parents.push_back(*puid);
    }
  }

  auto parse_record = [&](const char* field, const SchemaType* type) -> Result<const RecordData*> {
    const json::value* rec = o->if_contains(field);
    if (rec == nullptr) {
      if (type != nullptr) {
        for (const auto& [name, attr] : type->attributes) {
          if (attr.required) {
            return EntityError("entity " + who + " is missing the required attribute `" + name +
                               "`");
          }
        }
      }
      return EmptyRecord();
    }
    if (!rec->is_object())
      return EntityError(std::string("the `") + field + "` of " + who + " must be an object");
    auto val = ValueFromJson(*rec, arena, schema, type);
    if (!val.ok())
      return EntityError(std::string("in the ") + field + " of " + who + ": " +
                         val.error().message);
    return &val->AsRecord();
  };
  {
    // Without a declared type, `attrs` is a record of untyped values; a JSON object with
    // only `__entity` or `__extn` would not be a record.
    const SchemaType* shape = def != nullptr ? def->shape.get() : nullptr;
    if (schema != nullptr && is_action && def == nullptr) {
      const json::value* rec = o->if_contains("attrs");
      if (rec != nullptr && !(rec->is_object() && rec->get_object().empty())) {
        return EntityError("action " + who + " cannot have attributes");
      }
    } else if (shape == nullptr) {
      const json::value* rec = o->if_contains("attrs");
      if (rec != nullptr) {
        if (!rec->is_object()) return EntityError("the `attrs` of " + who + " must be an object");
        std::vector<RecordField> fields;
        for (const auto& kv : rec->get_object()) {
          auto val = ValueFromJson(kv.value(), arena, nullptr, nullptr);
          if (!val.ok()) {
            return EntityError("in attribute `" + std::string(Sv(kv.key())) + "` of " + who + ": " +
                               val.error().message);
          }
          fields.push_back({arena.CopyString(Sv(kv.key())), *val});
        }
        out.attrs = MakeRecord(arena, fields);
      }
    } else {
      auto r = parse_record("attrs", shape);
      if (!r.ok()) return r.take_error();
      out.attrs = *r;
    }
  }
  if (const json::value* tags = o->if_contains("tags")) {
    if (!tags->is_object()) return EntityError("the `tags` of " + who + " must be an object");
    if (schema != nullptr && !tags->get_object().empty() &&
        (def == nullptr || def->tags == nullptr)) {
      return EntityError("entity " + who + " has tags, but its type does not allow tags");
    }
    std::vector<RecordField> fields;
    for (const auto& kv : tags->get_object()) {
      const SchemaType* tt = def != nullptr && def->tags ? def->tags.get() : nullptr;
      auto val = ValueFromJson(kv.value(), arena, schema, tt);
      if (!val.ok()) {
        return EntityError("in tag `" + std::string(Sv(kv.key())) + "` of " + who + ": " +
                           val.error().message);
      }
      fields.push_back({arena.CopyString(Sv(kv.key())), *val});
    }
    out.tags = MakeRecord(arena, fields);
  }
  return out;
}

// Entity data may list an action's parents directly or as their transitive closure; either is
// consistent with the schema when it generates the same ancestors.
bool ConsistentWithSchema(const std::vector<const EntityUID*>& parents, const Schema& schema,
                          const ActionDef& def) {
  std::vector<ActionRef> declared = schema.ActionAncestors(def.uid);
  std::set<ActionRef> want(declared.begin(), declared.end());
  std::set<ActionRef> got;
  for (const EntityUID* p : parents) {
    ActionRef ref{std::string(p->type), std::string(p->id)};
    if (!want.count(ref)) return false;
    got.insert(ref);
    for (auto& a : schema.ActionAncestors(ref)) got.insert(std::move(a));
  }
  return got == want;
}

}  // namespace

Result<Entities> EntitiesFromJson(const json::value& v, const Schema* schema) {
  const json::array* arr = v.if_array();
  if (arr == nullptr)
    return EntityError("entity data must be a JSON array of entities, found " + JsonKindName(v));
  EntitiesBuilder builder;
  for (const auto& e : *arr) {
    auto parsed = ParseEntity(e, builder.arena(), schema);
    if (!parsed.ok()) return parsed.take_error();
    if (schema != nullptr && schema->IsActionType(parsed->uid->type)) {
      const ActionDef* def = schema->FindAction(parsed->uid->type, parsed->uid->id);
      if (def == nullptr) {
        return EntityError("action `" + parsed->uid->ToString() +
                           "` is not declared in the schema");
      }
      if (!ConsistentWithSchema(parsed->parents, *schema, *def)) {
        return EntityError("the definition of action `" + parsed->uid->ToString() +
                           "` in the entity data does not match its declaration in the schema");
      }
    }
    Status st = builder.Add(parsed->uid, parsed->attrs, parsed->tags, std::move(parsed->parents));
    if (!st.ok()) return st.error();
  }
  if (schema != nullptr) {
    // The schema's actions, with their hierarchy, are part of the entity data.
    for (const auto& [ref, def] : schema->actions()) {
      const EntityUID* uid = EntityUID::Make(builder.arena(), ref.type, ref.id);
      if (builder.Contains(*uid)) continue;
      std::vector<const EntityUID*> parents;
      for (const auto& p : def.member_of)
        parents.push_back(EntityUID::Make(builder.arena(), p.type, p.id));
      Status st = builder.Add(uid, EmptyRecord(), EmptyRecord(), std::move(parents));
      if (!st.ok()) return st.error();
    }
  }
  return std::move(builder).Build();
}

Result<Entities> EntitiesFromJsonText(std::string_view text, const Schema* schema) {
  auto v = ParseJsonText(text);
  if (!v.ok()) return v.take_error();
  return EntitiesFromJson(*v, schema);
}

Result<Value> ContextFromJson(const json::value& v, Arena& arena, const Schema* schema,
                              const EntityUID* action) {
  if (!v.is_object())
    return MakeError(ErrorCode::kRequest,
                     "the context must be a JSON object, found " + JsonKindName(v));
  const SchemaType* type = nullptr;
  if (schema != nullptr && action != nullptr) {
    const ActionDef* def = schema->FindAction(action->type, action->id);
    if (def == nullptr) {
      return MakeError(ErrorCode::kRequest,
                       "action `" + action->ToString() + "` is not declared in the schema");
    }
    type = def->context.get();
  }
  auto r = ValueFromJson(v, arena, schema, type);
  if (!r.ok()) return MakeError(ErrorCode::kRequest, "in the context: " + r.error().message);
  if (!r->is(ValueKind::kRecord)) {
    return MakeError(ErrorCode::kRequest, "the context must be a record");
  }
  return r;
}

Status ValidateRequest(const Request& request, const Schema& schema) {
  const EntityUID& a = *request.action;
  const ActionDef* def = schema.FindAction(a.type, a.id);
  if (def == nullptr) {
    return MakeError(ErrorCode::kRequest,
                     "request's action `" + a.ToString() + "` is not declared in the schema");
  }
  auto check = [&](const EntityUID& uid, const std::vector<std::string>& allowed,
                   const char* role) -> Status {
    if (schema.FindEntityType(uid.type) == nullptr) {
      return MakeError(ErrorCode::kRequest, std::string(role) + " type `" + std::string(uid.type) +
                                                "` is not declared in the schema");
    }
    if (std::find(allowed.begin(), allowed.end(), uid.type) == allowed.end()) {
      return MakeError(ErrorCode::kRequest, std::string(role) + " type `" + std::string(uid.type) +
                                                "` is not valid for `" + a.ToString() + "`");
    }
    Status st = CheckEnumEntity(&schema, uid);
    if (!st.ok()) return MakeError(ErrorCode::kRequest, st.error().message);
    return {};
  };
  if (Status st = check(*request.principal, def->principal_types, "principal"); !st.ok()) return st;
  if (Status st = check(*request.resource, def->resource_types, "resource"); !st.ok()) return st;
  return {};
}

Result<OwnedRequest> RequestFromJson(const json::value& v, const Schema* schema, bool validate) {
  OwnedRequest out;
  auto r = RequestFromJson(v, *out.arena, schema, validate);
  if (!r.ok()) return r.take_error();
  out.request = *r;
  return out;
}

Result<Request> RequestFromJson(const json::value& v, Arena& arena, const Schema* schema,
                                bool validate) {
  const json::object* o = v.if_object();
  if (o == nullptr) return MakeError(ErrorCode::kRequest, "a request must be a JSON object");
  Request out;
  auto uid = [&](const char* field) -> Result<const EntityUID*> {
    const json::value* f = o->if_contains(field);
    if (f == nullptr)
      return MakeError(ErrorCode::kRequest, std::string("the request has no `") + field + "`");
    auto r = EntityUIDFromJson(*f, arena);
    if (!r.ok())
      return MakeError(ErrorCode::kRequest,
                       std::string("in the request's ") + field + ": " + r.error().message);
    return r;
  };
  auto p = uid("principal");
  if (!p.ok()) return p.take_error();
  auto a = uid("action");
  if (!a.ok()) return a.take_error();
  auto r = uid("resource");
  if (!r.ok()) return r.take_error();
  out.principal = *p;
  out.action = *a;
  out.resource = *r;
  if (const json::value* c = o->if_contains("context")) {
    auto ctx = ContextFromJson(*c, arena, schema, schema != nullptr ? *a : nullptr);
    if (!ctx.ok()) return ctx.take_error();
    out.context = *ctx;
  } else if (schema != nullptr) {
    json::value empty = json::object{};
    auto ctx = ContextFromJson(empty, arena, schema, *a);
    if (!ctx.ok()) return ctx.take_error();
    out.context = *ctx;
  }
  if (schema != nullptr && validate) {
    if (Status st = ValidateRequest(out, *schema); !st.ok()) return st.error();
  }
  return out;
}

json::value EntitiesToJson(const Entities& entities) {
  json::array out;
  // Sorted by uid so that equal entity data serialises to equal text.
  std::vector<const Entity*> sorted;
  for (const auto& e : entities.all()) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entity* a, const Entity* b) {
    if (a->uid->type != b->uid->type) return a->uid->type < b->uid->type;
    return a->uid->id < b->uid->id;
  });
  for (const Entity* e : sorted) {
    json::object o;
    o["uid"] = EntityUIDToJson(*e->uid);
    o["attrs"] = ValueToJson(Value::Record(e->attrs));
    json::array parents;
    // Direct parents are not kept after the closure; the closure is an equivalent hierarchy.
    std::vector<const EntityUID*> anc(e->ancestors.begin(), e->ancestors.end());
    std::sort(anc.begin(), anc.end(), [](const EntityUID* a, const EntityUID* b) {
      if (a->type != b->type) return a->type < b->type;
      return a->id < b->id;
    });
    for (const EntityUID* a : anc) parents.push_back(EntityUIDToJson(*a));
    o["parents"] = std::move(parents);
    if (!e->tags->fields.empty()) o["tags"] = ValueToJson(Value::Record(e->tags));
    out.push_back(std::move(o));
  }
  return out;
}

std::string Entities::CanonicalJson() const {
  return json::serialize(EntitiesToJson(*this));
}

}  // namespace cedar
