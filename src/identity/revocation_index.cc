#include "identity/revocation_index.h"

#include <functional>
#include <mutex>

#include "base/clock.h"

namespace writ::identity {
namespace {

std::string ExactKey(store::RevocationTarget target, std::string_view value) {
  std::string k(store::RevocationTargetName(target));
  k += ':';
  k += value;
  return k;
}

uint64_t Mix(uint64_t x) {
  // splitmix64's finaliser: spreads the bits so that the low bits index the table well.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

RevocationIndex::RevocationIndex() : table_(1024, 0) {}

uint64_t RevocationIndex::Fingerprint(store::RevocationTarget target, std::string_view value) {
  uint64_t h = std::hash<std::string_view>{}(value);
  h = Mix(h + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(target) + 1));
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

RevocationKeys RevocationIndex::KeysFor(const TokenClaims& c) {
  using T = store::RevocationTarget;
  RevocationKeys k;
  k.token = Fingerprint(T::kToken, c.token_id);
  k.task = Fingerprint(T::kTask, c.task_id);
  k.user = Fingerprint(T::kUser, c.user.subject);
  k.ancestors.reserve(c.ancestors.size());
  for (const std::string& a : c.ancestors) k.ancestors.push_back(Fingerprint(T::kToken, a));
  k.agents.reserve(c.actors.size() + 1);
  k.agents.push_back(Fingerprint(T::kAgent, c.subject));
  for (const std::string& a : c.actors) k.agents.push_back(Fingerprint(T::kAgent, a));
  return k;
}

bool RevocationIndex::Contains(uint64_t fp) const {
  size_t mask = table_.size() - 1;
  for (size_t i = fp & mask;; i = (i + 1) & mask) {
    uint64_t slot = table_[i];
    if (slot == fp) return true;
    if (slot == 0) return false;
  }
}

void RevocationIndex::Insert(uint64_t fp) {
  if (Contains(fp)) return;
  if ((used_ + 1) * 2 > table_.size()) {
    std::vector<uint64_t> old = std::move(table_);
    table_.assign(old.size() * 2, 0);
    used_ = 0;
    for (uint64_t v : old) {
      if (v != 0) Insert(v);
    }
  }
  size_t mask = table_.size() - 1;
  size_t i = fp & mask;
  while (table_[i] != 0) i = (i + 1) & mask;
  table_[i] = fp;
  ++used_;
}

bool RevocationIndex::Confirm(store::RevocationTarget target, std::string_view value) const {
  return exact_.count(ExactKey(target, value)) > 0;
}

void RevocationIndex::Apply(store::RevocationTarget target, std::string_view value) {
  std::unique_lock lock(mu_);
  if (exact_.insert(ExactKey(target, value)).second) Insert(Fingerprint(target, value));
}

Result<size_t> RevocationIndex::LoadFromStore(store::IdentityStore& store) {
  std::lock_guard load_lock(load_mu_);
  return LoadLocked(store);
}

Result<size_t> RevocationIndex::LoadLocked(store::IdentityStore& store) {
  int64_t started = MonotonicMicros();
  WRIT_ASSIGN_OR_RETURN(auto rows, store.ListRevocations(feed_position()));
  size_t added = 0;
  for (const store::StoredRevocation& r : rows) {
    if (!IsRevoked(r.target, r.value)) ++added;
    Apply(r.target, r.value);
  }
  if (!rows.empty()) {
    std::unique_lock lock(mu_);
    if (rows.back().id > feed_position_) feed_position_ = rows.back().id;
  }
  loaded_at_us_.store(started, std::memory_order_release);
  return added;
}

Status RevocationIndex::CatchUp(store::IdentityStore& store, int64_t max_age_us) {
  int64_t now = MonotonicMicros();
  if (now - loaded_at_us_.load(std::memory_order_acquire) < max_age_us) return Status::Ok();
  std::lock_guard load_lock(load_mu_);
  // A load that another caller finished while this one waited may already be recent enough.
  if (now - loaded_at_us_.load(std::memory_order_acquire) < max_age_us) return Status::Ok();
  return LoadLocked(store).status();
}

std::optional<IdentityError> RevocationIndex::Check(const TokenClaims& c,
                                                    const RevocationKeys& k) const {
  using T = store::RevocationTarget;
  std::shared_lock lock(mu_);
  if (Contains(k.token) && Confirm(T::kToken, c.token_id)) return IdentityError::kTokenRevoked;
  for (size_t i = 0; i < k.ancestors.size(); ++i) {
    if (Contains(k.ancestors[i]) && Confirm(T::kToken, c.ancestors[i])) {
      return IdentityError::kAncestorRevoked;
    }
  }
  if (Contains(k.task) && Confirm(T::kTask, c.task_id)) return IdentityError::kTaskRevoked;
  for (size_t i = 0; i < k.agents.size(); ++i) {
    if (Contains(k.agents[i]) &&
        Confirm(T::kAgent, i == 0 ? std::string_view(c.subject) : c.actors[i - 1])) {
      return IdentityError::kAgentRevoked;
    }
  }
  if (Contains(k.user) && Confirm(T::kUser, c.user.subject)) return IdentityError::kUserRevoked;
  return std::nullopt;
}

bool RevocationIndex::IsRevoked(store::RevocationTarget target, std::string_view value) const {
  std::shared_lock lock(mu_);
  return Contains(Fingerprint(target, value)) && Confirm(target, value);
}

size_t RevocationIndex::size() const {
  std::shared_lock lock(mu_);
  return exact_.size();
}

int64_t RevocationIndex::feed_position() const {
  std::shared_lock lock(mu_);
  return feed_position_;
}

}  // namespace writ::identity
