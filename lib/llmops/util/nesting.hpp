#pragma once
// How deeply nested user data may be. nlohmann::json parses with a stack of its own, but dump(),
// copies and comparisons of a value recurse once per level, and so do llmops's walkers (YAML
// conversion, assertion trees, named metrics): a 200 KB line nested 100,000 deep overflows the
// stack. Every reader refuses such input before a value exists (util::parse_json,
// util::parse_json_or_discarded, util::parse_yaml, the replay scanner), so walkers over what they
// read recurse at most this deep; a walker over data from elsewhere checks the depth itself, with
// the same message.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace llmops::util {

// The deepest nesting accepted: this many arrays or objects inside each other. Replay files,
// datasets, variable files, exports, bundles and provider answers share it; YAML stops earlier,
// where yaml-cpp's parser does (yaml.cpp).
inline constexpr size_t k_max_nesting = 512;

// The message for data nested past `limit`: "nesting deeper than 512 levels".
std::string nesting_message(size_t limit = k_max_nesting);

// The byte offset of the first '[' or '{' in the JSON `text` that opens level `limit + 1`
// (brackets inside strings skipped), or nullopt when nothing is nested that deep. Exact for valid
// JSON and for the valid beginning of a text; it does not validate anything else.
std::optional<size_t> find_deep_json(std::string_view text, size_t limit = k_max_nesting);

} // namespace llmops::util
