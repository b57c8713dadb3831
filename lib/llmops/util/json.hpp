#pragma once
// Canonical JSON: the byte form that content hashes are taken of; and parsing a JSON document
// with errors that name the place.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <llmops/util/error.hpp>

namespace llmops::util {

// Returns `value` serialised canonically: object keys sorted by byte value, no insignificant
// white space, UTF-8 kept as is (not \u-escaped), integers without a fraction. Two values that
// are equal as JSON give the same bytes. Throws nlohmann's type_error on invalid UTF-8, which
// callers rule out when reading files. Recurses once per level of `value`: values read by the
// parsers here and in yaml.hpp nest at most util::k_max_nesting deep.
std::string canonical_json(const nlohmann::json& value);

// Parses `text`, one JSON document read from `name`. Fails with `invalid_input` as
// `name:line:col: not JSON: ...` (or `name: not JSON: ...` for a number beyond a double's range),
// and as `name:line:col: nesting deeper than 512 levels` at the first array or object nested
// deeper than util::k_max_nesting, refused before a value exists (nesting.hpp says why).
// `first_line`, when not 0, is the line of `name` that `text` starts at (a JSONL record): lines
// are counted from it and the range error names it too.
Expected<nlohmann::json> parse_json(std::string_view text, std::string_view name,
                                    size_t first_line = 0);

// Parses `text`, one JSON document whose faults nobody needs described (a candidate found in a
// model's prose, a program's answer): a discarded value (`is_discarded()`) when it is not JSON
// or nests deeper than util::k_max_nesting. Never throws. Use it, never
// `nlohmann::json::parse(text, nullptr, false)`, on text llmops did not write: that accepts any
// depth, and the value then overflows the stack when dumped, copied or compared.
nlohmann::json parse_json_or_discarded(std::string_view text);

} // namespace llmops::util
