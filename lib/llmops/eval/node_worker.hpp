#pragma once
// The node worker: one long-lived `node` process per run that renders Nunjucks prompts (with the
// real `nunjucks` package, as promptfoo does) and runs `javascript` assertions, talking JSON
// lines over pipes (lib/llmops/eval/node_worker.js, compiled in), so thousands of cases cost one
// start-up. Also: whether a suite needs Nunjucks, decided once at load.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/util/error.hpp>

namespace llmops::util {
class LineProcess;
} // namespace llmops::util

namespace llmops::eval {

struct Suite;

// The message for a missing node, word for word.
inline constexpr std::string_view k_node_missing =
    "javascript assertions need node (apt-get install nodejs)";

// Fails with `invalid_input` and `message` when `node` is not on PATH (or LLMOPS_NODE names
// nothing). No side effects.
Expected<void> require_node(std::string_view message);

class NodeWorker {
public:
    // A worker started on first use, in `base_dir` (the suite's folder).
    explicit NodeWorker(std::filesystem::path base_dir);
    ~NodeWorker();
    NodeWorker(const NodeWorker&) = delete;
    NodeWorker& operator=(const NodeWorker&) = delete;

    // Sends `request` (an object with "op") and returns the worker's "result". Starts node
    // when it is not running (again after a failure). Fails with the worker's error message
    // (`invalid_input`: "TypeError: x is not a function"), `timeout` after `timeout_ms`,
    // `interrupted` when `cancel` becomes true, `not_found` when node cannot start, `io` when it
    // dies. Thread-safe: requests are serialised.
    Expected<nlohmann::json> call(const nlohmann::json& request, int64_t timeout_ms,
                                  const std::atomic<bool>* cancel = nullptr);

    // The node process's id (0 before it started).
    int pid() const;

private:
    std::filesystem::path m_base_dir;
    mutable std::mutex m_mutex;
    std::unique_ptr<util::LineProcess> m_process;
};

// Nunjucks as a suite uses it: whether it does, and its custom filters.
struct NunjucksSetup {
    bool enabled = false;
    std::map<std::string, std::string> filters; // name -> absolute path of its .js file
};

// Whether `suite` needs Nunjucks: a prompt template in `templates` or a var value (defaults and
// cases, walked once; a walk that fails is left to the run) holding `{%`, `{#` or a filter
// `{{ x | f }}`, or a `nunjucksFilters` key.
bool suite_needs_nunjucks(const Suite& suite, const std::vector<std::string_view>& templates);

// Whether `text` uses Nunjucks beyond Mustache's `{{var}}`.
bool uses_nunjucks(std::string_view text);

// Whether a string in `value` (a case's variables, walked to the nesting limit) uses Nunjucks.
bool has_var_nunjucks(const nlohmann::json& value, int depth = 0);

// Starts `worker` and checks that it can render Nunjucks; fails with `invalid_input` and a
// message saying what to install when node or the nunjucks package is missing.
Expected<void> check_nunjucks(NodeWorker& worker);

// Reads the `nunjucksFilters` map of a suite: name -> `file://filter.js` (relative to
// `base_dir`); fails with `invalid_input` naming `where` for another shape or a missing file.
Expected<std::map<std::string, std::string>>
parse_nunjucks_filters(const nlohmann::json& value, std::string_view where,
                       const std::filesystem::path& base_dir);

} // namespace llmops::eval
