// Fuzzes the JSON readers: entities, context and requests. Any input is either accepted or
// refused with an error; what is accepted is authorized against a small policy set.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cedar/authorizer.h"
#include "cedar/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = cedar::ParseJsonText(text);
  if (!json.ok()) return 0;
  auto entities = cedar::EntitiesFromJson(*json);
  cedar::Arena arena;
  auto context = cedar::ContextFromJson(*json, arena);
  auto request = cedar::RequestFromJson(*json);
  if (request.ok()) {
    static const auto policies = cedar::PolicySet::Parse(
        "permit(principal, action, resource) when { context has a && context.a == principal };"
        "forbid(principal in Group::\"g\", action, resource) when { resource.x like \"*y*\" };");
    cedar::Entities empty;
    cedar::Authorize(*policies, entities.ok() ? *entities : empty, request->request);
  }
  (void)context;
  return 0;
}
