// The OpenAPI 3.1 description of Writ's HTTP API (docs/openapi.json, compiled in), served at
// GET /openapi.json. Every part that adds endpoints describes them in docs/openapi.json.
#pragma once

#include <string_view>

namespace writ::server {

// The document's JSON text, exactly as in docs/openapi.json.
std::string_view OpenApiDocument();

}  // namespace writ::server
