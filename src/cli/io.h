// Small I/O helpers shared by the commands.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace writ::cli {

// Reads a whole file; std::nullopt (with `error` set) when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path, std::string* error);

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

// Prints "writ: <message>" to stderr.
void PrintError(std::string_view message);

}  // namespace writ::cli
