// Slow password hashing for client secrets: Argon2id (RFC 9106) through libsodium, in the PHC
// string format ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") that carries its own salt and
// cost, so a stored hash stays verifiable after the default cost changes.
//
// Thread-safety: both functions may be called from any thread. Each call holds the memory cost
// (64 MiB by default) while it runs. The secret never appears in a Status message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace writ {

struct PasswordHashCost {
  uint64_t operations = 2;          // libsodium's OPSLIMIT_INTERACTIVE
  size_t memory_bytes = 64u << 20;  // libsodium's MEMLIMIT_INTERACTIVE
};

// The cheapest cost libsodium allows, for tests only.
PasswordHashCost MinimumPasswordHashCost();

// invalid_argument for an empty secret or a cost out of libsodium's range; resource_exhausted
// when the memory cannot be had.
Result<std::string> HashPassword(std::string_view secret, PasswordHashCost cost = {});

// True only when `secret` matches the PHC string `encoded` (an Argon2id hash).
bool VerifyPassword(std::string_view encoded, std::string_view secret);

}  // namespace writ
