#include "service/agent_entities.h"

#include <boost/json.hpp>
#include <cctype>

#include "base/canonical_json.h"

namespace writ::service {
namespace {

namespace json = boost::json;

// The {"type", "id"} of an entity reference, in either JSON form.
const json::object* UidObject(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return nullptr;
  if (const json::value* e = o->if_contains("__entity")) return e->if_object();
  return o;
}

bool IsUid(const json::value& v, std::string_view type, std::string_view id) {
  const json::object* o = UidObject(v);
  if (o == nullptr) return false;
  const json::value* t = o->if_contains("type");
  const json::value* i = o->if_contains("id");
  return t && i && t->is_string() && i->is_string() && t->get_string() == type &&
         i->get_string() == id;
}

}  // namespace

Result<std::string> OverlayAgentEntities(std::string_view entities_json,
                                         const std::vector<identity::Agent>& agents) {
  json::array entities;
  std::string_view trimmed = entities_json;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  if (!trimmed.empty()) {
    json::error_code ec;
    json::value v = json::parse(entities_json, ec);
    if (ec || !v.is_array()) return InvalidArgument("entity data is not a JSON array");
    entities = std::move(v.get_array());
  }
  for (const identity::Agent& agent : agents) {
    json::object* found = nullptr;
    for (json::value& e : entities) {
      json::object* eo = e.if_object();
      if (eo != nullptr && eo->contains("uid") && IsUid(eo->at("uid"), "Agent", agent.name)) {
        found = eo;
        break;
      }
    }
    if (found == nullptr) {
      entities.push_back(json::object{{"uid", {{"type", "Agent"}, {"id", agent.name}}},
                                      {"attrs", json::object{}},
                                      {"parents", json::array{}}});
      found = &entities.back().as_object();
    }
    json::value& attrs_v = (*found)["attrs"];
    if (!attrs_v.is_object()) attrs_v = json::object{};
    json::object& attrs = attrs_v.get_object();
    if (!agent.team.empty()) attrs["team"] = agent.team;
    if (!agent.owner.empty()) attrs["owner"] = agent.owner;
    attrs["spiffe_id"] = agent.spiffe_id;
    if (!agent.team.empty()) {
      json::value& parents_v = (*found)["parents"];
      if (!parents_v.is_array()) parents_v = json::array{};
      json::array& parents = parents_v.get_array();
      bool has = false;
      for (const json::value& p : parents) has = has || IsUid(p, "Team", agent.team);
      if (!has) parents.push_back(json::object{{"type", "Team"}, {"id", agent.team}});
    }
  }
  return CanonicalJson(entities);
}

Result<std::shared_ptr<const authz::Bundle>> AgentEntityOverlay::Build(
    std::string_view policy_blob, std::string_view entities_blob,
    const std::vector<identity::Agent>& agents) {
  WRIT_ASSIGN_OR_RETURN(std::string entities, OverlayAgentEntities(entities_blob, agents));
  return authz::BundleFromBlobs(policy_blob, entities);
}

}  // namespace writ::service
