#pragma once
// Internal to the regex engine (regex.hpp): character classes as sorted, disjoint, inclusive
// code point ranges, shared by the compiler (regex_compile.cpp) and the search (regex.cpp).

#include <optional>

#include <llmops/eval/assertions/regex.hpp>

namespace llmops::eval::detail {

constexpr char32_t k_max_code_point = 0x10FFFF;

// `ranges` sorted, with overlapping and adjacent ranges merged.
Regex::Ranges normalized(Regex::Ranges ranges);

// The code points not in `sorted` (normalized ranges), up to k_max_code_point.
Regex::Ranges complement(const Regex::Ranges& sorted);

// The ranges of a class escape letter (d, D, w, W, s, S), or nothing for another letter.
std::optional<Regex::Ranges> class_escape(char32_t c);

// Whether `c` is in `ranges` (normalized).
bool in_ranges(const Regex::Ranges& ranges, char32_t c);

// Whether `c` is a word character (\w: ASCII letters, digits and '_').
bool is_word(char32_t c);

// Whether `c` ends a line for `.` (\n, \r, U+2028, U+2029).
bool is_line_terminator(char32_t c);

} // namespace llmops::eval::detail
