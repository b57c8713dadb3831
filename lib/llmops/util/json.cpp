#include <llmops/util/json.hpp>

#include <nlohmann/json.hpp>

namespace llmops::util {

// nlohmann::json keeps object members in a std::map, so dump() already sorts keys bytewise.
std::string canonical_json(const nlohmann::json& value) { return value.dump(); }

} // namespace llmops::util
