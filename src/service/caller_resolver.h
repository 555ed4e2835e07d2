// CallerResolver: who is calling, for the decision pipeline, from a verified Writ token.
//
// The token names the agent (its SPIFFE ID), the user, the task, the delegation chain, depth
// and scopes; the authz Caller also needs what the token does not carry: the agent's team and
// owner (from the agent registry), the user's groups and the task's declared intent as they
// were when the task was opened (the token holds only the intent's digest). Both are kept in
// memory; a task not in memory (after a restart, or evicted) is read back once from its
// `task_start` record in the ledger, which carries the intent and the user's groups. When the
// evidence policy keeps the intent only as a digest, a task read back that way has an empty
// intent.
//
// Mapping: agent = the name in spiffe://<trust domain>/agent/<name>; actor_chain = the token's
// prior actors as agent names, outermost (the task's first agent) first; user = the user's
// subject; task, token id, depth and scopes as in the token.
//
// Thread-safety: every method may be called from any number of threads; lookups that hit
// memory take a shared lock only.
#pragma once

#include <cstddef>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "authz/decision.h"
#include "base/status.h"
#include "identity/agent_registry.h"
#include "identity/token_service.h"
#include "store/store.h"

namespace writ::service {

struct TaskInfo {
  std::string intent;
  std::vector<std::string> user_groups;
};

// The body member of a `task_start` record that carries the user's groups (beside the fields
// of ledger::TaskStartRecord).
inline constexpr const char* kTaskStartGroupsField = "user_groups";

class CallerResolver {
 public:
  // `agents` and `ledger` must outlive the resolver. At most `max_tasks` tasks are kept in
  // memory (the oldest are read back from the ledger when needed again).
  CallerResolver(identity::AgentRegistry& agents, store::LedgerStore& ledger,
                 std::string trust_domain, size_t max_tasks = 100000);

  // The caller a verified token stands for. unauthenticated-style refusals are not made here
  // (the token is verified); errors: permission_denied (client_unknown) when the token's agent
  // is not registered, or the store's error.
  Result<authz::Caller> Resolve(const identity::VerifiedToken& token);

  // The caller an authenticated agent stands for before it holds a token (task start).
  Result<authz::Caller> ForAgent(const identity::Agent& agent);

  void RememberAgent(const identity::Agent& agent);
  void RememberTask(const std::string& task_id, TaskInfo info);
  // The task's intent and groups (memory, else its task_start record); not_found when the
  // ledger has no task_start for it.
  Result<TaskInfo> FindTask(const std::string& task_id);

  const std::string& trust_domain() const { return trust_domain_; }

 private:
  struct AgentInfo {
    std::string team;
    std::string owner;
  };
  Result<AgentInfo> FindAgent(const std::string& name);

  identity::AgentRegistry& agents_;
  store::LedgerStore& ledger_;
  std::string trust_domain_;
  size_t max_tasks_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, AgentInfo> agent_cache_;
  std::unordered_map<std::string, TaskInfo> task_cache_;
};

}  // namespace writ::service
