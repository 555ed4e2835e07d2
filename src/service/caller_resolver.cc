#include "service/caller_resolver.h"

#include <boost/json.hpp>
#include <mutex>

#include "identity/errors.h"
#include "identity/spiffe_id.h"
#include "ledger/record.h"

namespace writ::service {

namespace json = boost::json;

CallerResolver::CallerResolver(identity::AgentRegistry& agents, store::LedgerStore& ledger,
                               std::string trust_domain, size_t max_tasks)
    : agents_(agents),
      ledger_(ledger),
      trust_domain_(std::move(trust_domain)),
      max_tasks_(max_tasks) {}

void CallerResolver::RememberAgent(const identity::Agent& agent) {
  std::unique_lock lock(mu_);
  agent_cache_[agent.name] = AgentInfo{agent.team, agent.owner};
}

void CallerResolver::RememberTask(const std::string& task_id, TaskInfo info) {
  std::unique_lock lock(mu_);
  // Dropping everything is enough: a task not in memory is read back from the ledger.
  if (task_cache_.size() >= max_tasks_) task_cache_.clear();
  task_cache_[task_id] = std::move(info);
}

Result<CallerResolver::AgentInfo> CallerResolver::FindAgent(const std::string& name) {
  {
    std::shared_lock lock(mu_);
    auto it = agent_cache_.find(name);
    if (it != agent_cache_.end()) return it->second;
  }
  WRIT_ASSIGN_OR_RETURN(std::optional<identity::Agent> agent, agents_.Find(name));
  if (!agent) {
    return identity::IdentityFailure(identity::IdentityError::kClientUnknown,
                                     "no agent `" + name + "` is registered");
  }
  // Registrations never change (agents are revoked, not edited), so the copy stays right.
  RememberAgent(*agent);
  return AgentInfo{agent->team, agent->owner};
}

Result<TaskInfo> CallerResolver::FindTask(const std::string& task_id) {
  {
    std::shared_lock lock(mu_);
    auto it = task_cache_.find(task_id);
    if (it != task_cache_.end()) return it->second;
  }
  store::RecordQuery q;
  q.task_id = task_id;
  q.kind = "task_start";
  q.limit = 1;
  WRIT_ASSIGN_OR_RETURN(std::vector<store::StoredRecord> rows, ledger_.QueryRecords(q));
  if (rows.empty()) return NotFound("no task `" + task_id + "` was started here");
  WRIT_ASSIGN_OR_RETURN(ledger::LedgerRecord record, ledger::DecodeRecord(rows[0].body));
  TaskInfo info;
  // A digested intent ({"hmac_sha256": ...}) is not a string and reads back empty.
  if (const json::value* v = record.body.if_contains("intent"); v && v->is_string()) {
    info.intent = std::string(v->get_string());
  }
  if (const json::value* v = record.body.if_contains(kTaskStartGroupsField); v && v->is_array()) {
    for (const json::value& g : v->get_array()) {
      if (g.is_string()) info.user_groups.emplace_back(g.get_string());
    }
  }
  RememberTask(task_id, info);
  return info;
}

Result<authz::Caller> CallerResolver::ForAgent(const identity::Agent& agent) {
  authz::Caller c;
  c.agent = agent.name;
  c.spiffe_id = agent.spiffe_id;
  c.team = agent.team;
  c.owner = agent.owner;
  RememberAgent(agent);
  return c;
}

Result<authz::Caller> CallerResolver::Resolve(const identity::VerifiedToken& token) {
  const identity::TokenClaims& claims = token.claims;
  authz::Caller c;
  WRIT_ASSIGN_OR_RETURN(c.agent, identity::AgentNameFromSpiffeId(claims.subject, trust_domain_));
  WRIT_ASSIGN_OR_RETURN(AgentInfo agent, FindAgent(c.agent));
  c.spiffe_id = claims.subject;
  c.team = std::move(agent.team);
  c.owner = std::move(agent.owner);
  c.user = claims.user.subject;
  c.task_id = claims.task_id;
  c.token_id = claims.token_id;
  c.delegation_depth = claims.depth;
  c.scopes = claims.scopes;
  // Prior actors in the token are nearest first; the Caller lists the outermost first.
  for (auto it = claims.actors.rbegin(); it != claims.actors.rend(); ++it) {
    auto name = identity::AgentNameFromSpiffeId(*it, trust_domain_);
    c.actor_chain.push_back(name.ok() ? *name : *it);
  }
  Result<TaskInfo> task = FindTask(claims.task_id);
  if (task.ok()) {
    c.intent = std::move(task->intent);
    c.user_groups = std::move(task->user_groups);
  } else if (task.status().code() != StatusCode::kNotFound) {
    return task.status();
  }
  return c;
}

}  // namespace writ::service
