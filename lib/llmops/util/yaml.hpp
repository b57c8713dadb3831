#pragma once
// YAML documents as JSON values: the one place that knows yaml-cpp's quirks.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <llmops/util/error.hpp>

namespace llmops::util {

// Parses one YAML document from `text` into JSON. Plain scalars are typed as YAML 1.2's core
// schema says (null, true/false, decimal, `0x` and `0o` integers, floats; `yes`/`no` stay
// strings, and so do `.inf` and `.nan`, which JSON cannot hold); quoted scalars are strings.
// Fails with `invalid_input` and a `origin:line:col: message` text on a syntax error, a
// duplicate mapping key, a non-scalar key, an alias, a second non-empty document, invalid
// UTF-8, or lists and maps nested deeper than 498 levels (`origin:line:col: nesting deeper than
// 498 levels`, before yaml-cpp's own parser gives up; util/nesting.hpp says why). `line_offset` is
// added to reported lines (front matter starts below the first line of its file).
Expected<nlohmann::json> parse_yaml(std::string_view text, std::string_view origin,
                                    size_t line_offset = 0);

// parse_yaml, keeping each map's keys in the file's order (JSON text written from a YAML file
// as promptfoo's JSON.stringify writes it).
Expected<nlohmann::ordered_json> parse_yaml_ordered(std::string_view text, std::string_view origin);

} // namespace llmops::util
