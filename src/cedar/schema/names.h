// Names and strings shared by the schema parsers, writers and resolver (internal).
#pragma once

#include <string>
#include <string_view>

#include "cedar/error.h"
#include "cedar/schema_fragment.h"

namespace cedar::schema_internal {

// Cedar's reserved words, which cannot name anything: true, false, if, then, else, in, is,
// like, has.
bool IsReservedWord(std::string_view word);

// Words that cannot name a common type: Bool, Boolean, Entity, Extension, Long, Record, Set,
// String.
bool IsReservedTypeName(std::string_view word);

// An identifier that is not a reserved word.
bool IsPlainIdentifier(std::string_view s);

// `A`, `A::B`, ...: identifiers that are not reserved words, joined by `::`, nothing else.
bool IsValidPath(std::string_view s);

// True when some `::`-separated segment of `path` is `__cedar`.
bool MentionsCedarNamespace(std::string_view path);

// The built-in type named `name` ("Long", "String", "Bool", "ipaddr", "decimal", "datetime",
// "duration"), or null.
SchemaTypePtr BuiltinType(std::string_view name);
bool IsExtensionTypeName(std::string_view name);

// `ns::name`, or `name` in the empty namespace.
std::string Qualify(std::string_view ns, std::string_view name);

// A Cedar string literal with quotes: escapes `"`, `\`, newline, carriage return, tab, NUL as
// \" \\ \n \r \t \0 and other control characters as \u{..}.
std::string QuoteString(std::string_view s);

// An attribute name as Cedar writes it: bare when an identifier that is not reserved, quoted
// otherwise.
std::string AttributeName(std::string_view name);

// Checks a fragment's declarations without resolving names: valid and unreserved names, the
// `__cedar` namespace, no entity type `Action`, no duplicate namespaces or declarations, no
// annotations on the empty namespace, non-empty enumerations. Errors are kSchema, positioned
// when the fragment came from text.
Status CheckDeclarations(const SchemaFragment& fragment);

}  // namespace cedar::schema_internal
