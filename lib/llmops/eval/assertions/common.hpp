#pragma once
// Internal to the eval module: text helpers shared by the assertion families.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace llmops::eval {
struct AssertionSpec; // eval/assertion.hpp
} // namespace llmops::eval

namespace llmops::eval::detail {

// Returns `text` in single quotes on one line (\n, \r and \t written as escapes), cut to at most
// `max_chars` code points with "..." after the cut: how reasons quote outputs and values.
std::string quote(std::string_view text, size_t max_chars = 120);

// Returns the text a scalar value stands for, as promptfoo's String(value) would: strings as
// they are, integers without a fraction ("42"), other numbers in their shortest form, booleans
// as "true"/"false". Other JSON values give their compact JSON text.
std::string value_text(const nlohmann::json& value);

// Splits promptfoo's comma-separated list ("a, b, \"c, d\""): pieces are trimmed, double quotes
// group a piece that holds commas and are removed, empty pieces are dropped.
std::vector<std::string> comma_separated(std::string_view text);

// Decodes UTF-8 into code points; each byte of an invalid sequence becomes U+FFFD.
std::u32string decode_utf8(std::string_view text);

// Lower-cases `text` for case-insensitive comparisons: ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic capitals (the scripts where one capital maps to one small letter); everything
// else, invalid UTF-8 included, is kept byte for byte.
std::string fold_case(std::string_view text);

// Formats `value` for messages: integers without a fraction ("1234"), other numbers from 1 on
// with up to 2 decimals ("1234.5"), smaller ones with up to 4 significant digits ("0.75",
// "0.0012").
std::string format_number(double value);

// Returns `value` serialised compactly, with invalid UTF-8 replaced, so it never throws.
std::string dump_json(const nlohmann::json& value);

// The type as written in the suite: "not-contains" for a negated `contains`.
std::string written_type(const AssertionSpec& spec);

} // namespace llmops::eval::detail
