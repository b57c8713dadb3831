#pragma once
// String helpers that know nothing of LLMs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmops::util {

// Returns `s` without leading and trailing spaces, tabs, carriage returns and newlines.
std::string_view trim(std::string_view s);

// Splits `s` at every `sep`; keeps empty pieces.
std::vector<std::string> split(std::string_view s, char sep);

// Joins `parts` with `sep` between them.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// U+FFFD REPLACEMENT CHARACTER in UTF-8, what ill-formed text becomes.
inline constexpr std::string_view k_replacement_character = "\xEF\xBF\xBD";

// One code point read by `decode_utf8`.
struct CodePoint {
    char32_t value = 0; // U+FFFD for an ill-formed sequence
    size_t length = 1;  // bytes consumed (1 to 4)
    bool valid = true;  // false for an ill-formed sequence
};

// The one UTF-8 decoder: decodes the sequence at `s[i]` (`i < s.size()`) as Unicode's table 3-7
// defines well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF). An
// ill-formed sequence consumes its maximal subpart (at least one byte), so each broken sequence
// becomes one U+FFFD, as WHATWG decoders do; callers that replace each bad byte instead step
// one byte when `valid` is false.
CodePoint decode_utf8(std::string_view s, size_t i);

// Appends the UTF-8 encoding of `cp` (a Unicode scalar value) to `out`.
void append_utf8(std::string& out, char32_t cp);

// `s` with every ill-formed sequence (its maximal subpart) replaced by one U+FFFD.
std::string valid_utf8(std::string_view s);

// Returns the byte offset of the first invalid UTF-8 sequence in `s`, or nothing when valid.
std::optional<size_t> find_invalid_utf8(std::string_view s);

// Returns the 1-based line and column of byte `offset` in `s`.
std::pair<size_t, size_t> line_and_column(std::string_view s, size_t offset);

// Edit distance between `a` and `b` (insertions, deletions, substitutions).
size_t levenshtein(std::string_view a, std::string_view b);

// Returns the candidate closest to `name` when it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view name,
                                         const std::vector<std::string>& candidates);

// Returns " (did you mean 'x'?)" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

// True when every character of `s` is a lowercase hexadecimal digit and `s` is not empty.
bool is_lower_hex(std::string_view s);

// True when `s` is one or more ASCII digits.
bool is_digits(std::string_view s);

// "1 result", "3 results"; `many` for irregular plurals ("2 entries").
std::string plural(int64_t n, std::string_view one, std::string_view many = {});

} // namespace llmops::util
