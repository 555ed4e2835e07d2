// AgentEntityOverlay: the bundle decisions are made with — the policy bundle as loaded, with
// every registered agent laid over its entity data.
//
// Policies see the acting agent with its registered team and owner (the engine adds them to the
// principal), but a policy on `delegate` also reads the *resource* agent (`resource.team ==
// principal.team`), and that agent is only what the entity data says. So each registered agent
// becomes an entity of the data: attributes `team`, `owner` and `spiffe_id` (the registry's
// values win over the files') and the parent Team::"<team>", added to the agent's entity from
// the files or as a new entity. The result is an ordinary bundle whose entity blob and hash
// include the agents, so decision records name exactly the data they were made with and can be
// replayed from the store.
//
// When the overlay cannot be built (a schema that does not allow these attributes), decisions
// use the bundle as loaded and the error is kept.
//
// Thread-safety: Current() may be called from any thread; Publish() from one at a time.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "authz/bundle.h"
#include "authz/decision.h"
#include "base/status.h"
#include "identity/agent_registry.h"

namespace writ::service {

// The entity data (a JSON array, as in entities.json) with `agents` laid over it.
Result<std::string> OverlayAgentEntities(std::string_view entities_json,
                                         const std::vector<identity::Agent>& agents);

class AgentEntityOverlay final : public authz::BundleSource {
 public:
  std::shared_ptr<const authz::Bundle> Current() const override { return current_.load(); }

  // Builds the bundle for `policy_blob` and `entities_blob` (a loaded bundle's) with `agents`
  // laid over; returns it without publishing it.
  static Result<std::shared_ptr<const authz::Bundle>> Build(
      std::string_view policy_blob, std::string_view entities_blob,
      const std::vector<identity::Agent>& agents);
  void Publish(std::shared_ptr<const authz::Bundle> bundle) { current_.store(std::move(bundle)); }

 private:
  std::atomic<std::shared_ptr<const authz::Bundle>> current_;
};

}  // namespace writ::service
