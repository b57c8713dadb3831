#pragma once
// Canonical JSON: the byte form that content hashes are taken of.

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace llmops::util {

// Returns `value` serialised canonically: object keys sorted by byte value, no insignificant
// white space, UTF-8 kept as is (not \u-escaped), integers without a fraction. Two values that
// are equal as JSON give the same bytes. Throws nlohmann's type_error on invalid UTF-8, which
// callers rule out when reading files.
std::string canonical_json(const nlohmann::json& value);

} // namespace llmops::util
