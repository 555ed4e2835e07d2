// Fuzzes the policy parser: any input either parses or returns an error, never crashes. What
// parses is also printed as policy JSON and read back, which must succeed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cedar/json.h"
#include "cedar/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policies = cedar::ParsePolicies(text);
  if (!policies.ok()) return 0;
  for (const auto& p : *policies) {
    auto back = cedar::PolicyFromJson(cedar::PolicyToJson(*p));
    if (!back.ok()) __builtin_trap();
  }
  return 0;
}
