// Strict reading of JSON text, shared by every Cedar JSON format (entities, requests, policies,
// schemas). It lives with the schema library, the lowest one that uses Boost.JSON.
#pragma once

#include <boost/json/parse_options.hpp>
#include <string>
#include <string_view>

namespace cedar::json_text {

// The first key that appears twice in one object of `text`, or "" when there is none (or when
// the text is not JSON: parsing it reports that). Boost.JSON keeps the last of duplicate keys
// silently; Cedar's formats reject them.
std::string FirstDuplicateKey(std::string_view text, const boost::json::parse_options& options);

}  // namespace cedar::json_text
