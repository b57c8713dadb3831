// The helpers the suite's parsers share (suite_detail.hpp): key checks, places in messages,
// file:// paths.

#include <llmops/eval/suite_detail.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <system_error>

#include <fmt/format.h>

#include <llmops/eval/node_worker.hpp>
#include <llmops/util/glob.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::detail {

using nlohmann::json;
namespace fs = std::filesystem;

// How a JSON value's type is named in messages.
std::string_view type_name(const json& v) {
    switch (v.type()) {
    case json::value_t::object: return "a map";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "true/false";
    case json::value_t::null: return "empty";
    default: return "a number";
    }
}

// "qa.yaml" + "tests[0]" -> "qa.yaml: tests[0]"; "qa.yaml: tests[0]" + "vars" ->
// "qa.yaml: tests[0].vars"; "cases.csv:5" + "__expected" -> "cases.csv:5: __expected".
std::string child(std::string_view where, std::string_view key) {
    if (where.find(": ") != std::string_view::npos) {
        return fmt::format("{}.{}", where, key);
    }
    return fmt::format("{}: {}", where, key);
}

// A problem of the machine rather than of one place in the suite (node missing) is said once,
// at its first place, not at every assertion that needs it.
bool Problems::said_already(std::string_view line) const {
    if (!line.ends_with(k_node_missing)) {
        return false;
    }
    return std::any_of(m_lines.begin(), m_lines.end(),
                       [](const std::string& l) { return l.ends_with(k_node_missing); });
}

void Problems::add(const Error& error) {
    if (m_lines.empty() && m_more == 0) {
        m_code = error.code();
    }
    for (auto& line : util::split(error.message(), '\n')) {
        // The count a nested reader's result() ended with is carried on, not shown as a problem.
        int64_t more = 0;
        if (std::sscanf(line.c_str(), "and %" SCNd64 " more problem(s)", &more) == 1 &&
            line == fmt::format("and {} more problem(s)", more)) {
            m_more += more;
        } else if (!line.empty() && !said_already(line)) {
            m_lines.push_back(std::move(line));
        }
    }
}

Expected<void> Problems::result() const {
    if (m_lines.empty()) {
        return {};
    }
    const size_t shown = std::min(m_lines.size(), k_shown);
    std::string message = util::join({m_lines.begin(), m_lines.begin() + shown}, "\n");
    const int64_t more = static_cast<int64_t>(m_lines.size() - shown) + m_more;
    if (more > 0) {
        message += fmt::format("\nand {} more problem(s)", more);
    }
    return std::unexpected(Error(m_code, std::move(message)));
}

// Checks every key of `map` against `keys`; `prefix` ("options.") is how nested keys are named.
// `hint` is added to an unknown key without a likely correction.
Expected<void> check_keys(const json& map, std::string_view where, const Keys& keys,
                          std::string_view prefix, std::string_view hint) {
    Problems problems;
    for (const auto& [key, value] : map.items()) {
        if (std::find(keys.supported.begin(), keys.supported.end(), key) != keys.supported.end()) {
            continue;
        }
        const auto refused = std::find_if(keys.refused.begin(), keys.refused.end(),
                                          [&](const Refused& r) { return r.key == key; });
        if (refused != keys.refused.end()) {
            problems.add(
                Error(ErrorCode::invalid_input,
                      fmt::format("{}: promptfoo's '{}{}' is not supported{}", where, prefix, key,
                                  refused->hint.empty() ? std::string(" by llmops; remove it")
                                                        : fmt::format(" ({})", refused->hint))));
            continue;
        }
        const auto match = util::closest_match(key, keys.supported);
        problems.add(
            Error(ErrorCode::invalid_input,
                  fmt::format("{}: unknown key '{}{}'{}", where, prefix, key,
                              match ? fmt::format(" (did you mean '{}{}'?)", prefix, *match)
                              : hint.empty() ? std::string()
                                             : fmt::format(" ({})", hint))));
    }
    return problems.result();
}

// The keys of a suite's top level (suite.cpp reads them; the suite's schema lists them).
const Keys k_suite_keys = {
    {"description", "prompts", "providers", "targets", "tests", "defaultTest", "vars", "assert",
     "options", "repeat", "threshold", "evaluateOptions", "judge", "outputPath",
     "assertionTemplates", "nunjucksFilters", "drift"},
    {{"tags", ""},
     {"metadata", ""},
     {"scenarios", ""},
     {"sharing", ""},
     {"env", "set the variables in the environment"},
     {"derivedMetrics", ""},
     {"extensions", ""},
     {"redteam", ""},
     {"writeLatestResults", ""},
     {"commandLineOptions", "pass the options on the command line"},
     {"tracing", ""}},
};

bool has_glob(std::string_view path) {
    return path.find_first_of("*?[{") != std::string_view::npos;
}

std::vector<std::string> expand_glob(const fs::path& base, const std::string& rel) {
    if (!rel.starts_with('/')) {
        return util::glob_files(base, rel);
    }
    std::vector<std::string> found;
    for (const auto& path : util::glob_files("/", rel)) {
        found.push_back((fs::path("/") / path).string());
    }
    return found;
}

std::string lower_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// A Python or JavaScript file, possibly with promptfoo's `:function` suffix.
bool is_script(std::string_view path) {
    std::string_view file = path;
    const size_t colon = file.rfind(':');
    if (colon != std::string_view::npos && file.find('/', colon) == std::string_view::npos) {
        file = file.substr(0, colon);
    }
    static constexpr std::string_view k_scripts[] = {".py",  ".js",  ".ts",  ".mjs", ".cjs",
                                                     ".mts", ".cts", ".jsx", ".tsx"};
    return std::any_of(std::begin(k_scripts), std::end(k_scripts),
                       [&](std::string_view ext) { return file.ends_with(ext); });
}

bool path_exists(const fs::path& path) {
    std::error_code ec;
    return fs::exists(path, ec);
}

std::string strip_file_scheme(std::string_view spec) {
    return std::string(spec.starts_with("file://") ? spec.substr(7) : spec);
}

} // namespace llmops::eval::detail
