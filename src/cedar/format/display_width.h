// How many terminal columns text occupies.
#pragma once

#include <cstdint>
#include <string_view>

namespace cedar::format {

// Columns of one code point: 0 for combining marks, format controls and other zero-width
// characters, 2 for East Asian wide and fullwidth characters (and emoji presented as such),
// 1 otherwise. The table follows what the reference Cedar formatter measures.
int CodePointWidth(uint32_t cp);

// The sum of CodePointWidth over the code points of UTF-8 `text`. Bytes that are not valid
// UTF-8 count one column each.
int DisplayWidth(std::string_view text);

}  // namespace cedar::format
