#include <llmops/eval/node_worker.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include <llmops/eval/suite.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/subprocess.hpp>

namespace llmops::eval {

// The worker's source, compiled in from node_worker.js (cmake/embed_text.cmake).
extern const char* const k_node_worker_js;

namespace {

using json = nlohmann::json;

// LLMOPS_NODE names the node binary (tests, unusual installs); else `node` from PATH.
std::string node_program() {
    const char* node = std::getenv("LLMOPS_NODE");
    return node != nullptr && *node != '\0' ? node : "node";
}

// Debian installs node packages (node-nunjucks) where nodesource's node does not look.
std::string node_path() {
    const char* current = std::getenv("NODE_PATH");
    std::string out = current != nullptr && *current != '\0' ? std::string(current) + ":" : "";
    return out + "/usr/share/nodejs:/usr/lib/nodejs";
}

} // namespace

bool has_var_nunjucks(const json& value, int depth) {
    if (depth > 512) {
        return false;
    }
    if (value.is_string()) {
        return uses_nunjucks(value.get_ref<const std::string&>());
    }
    if (value.is_structured()) {
        for (const auto& item : value) {
            if (has_var_nunjucks(item, depth + 1)) {
                return true;
            }
        }
    }
    return false;
}

Expected<void> require_node(std::string_view message) {
    const std::string node = node_program();
    std::error_code ec;
    const bool found = node.find('/') != std::string::npos
                           ? std::filesystem::is_regular_file(node, ec)
                           : util::find_program(node).has_value();
    if (!found) {
        return fail(ErrorCode::invalid_input, "{}", message);
    }
    return {};
}

NodeWorker::NodeWorker(std::filesystem::path base_dir) : m_base_dir(std::move(base_dir)) {}

NodeWorker::~NodeWorker() = default;

int NodeWorker::pid() const {
    std::lock_guard lock(m_mutex);
    return m_process ? m_process->pid() : 0;
}

Expected<json> NodeWorker::call(const json& request, int64_t timeout_ms,
                                const std::atomic<bool>* cancel) {
    std::lock_guard lock(m_mutex);
    if (!m_process || m_process->ended()) {
        util::ProcessOptions options;
        if (!m_base_dir.empty()) {
            options.cwd = m_base_dir;
        }
        options.extra_env = {{"NODE_PATH", node_path()}};
        auto started = util::LineProcess::start({node_program(), "-e", k_node_worker_js}, options);
        if (!started) {
            return fail(started.error().code(), "cannot start node: {}", started.error().message());
        }
        m_process = std::move(*started);
    }
    auto line = m_process->exchange(request.dump(-1, ' ', false, json::error_handler_t::replace),
                                    timeout_ms, cancel);
    if (!line) {
        return fail(line.error().code(), "node {}", line.error().message());
    }
    const json answer = util::parse_json_or_discarded(*line);
    if (!answer.is_object() || !answer.contains("ok") || !answer["ok"].is_boolean()) {
        return fail(ErrorCode::io, "node answered nonsense: '{}'", line->substr(0, 200));
    }
    if (!answer["ok"].get<bool>()) {
        const auto error = answer.value("error", json());
        return fail(ErrorCode::invalid_input, "{}",
                    error.is_string() ? error.get<std::string>() : std::string("failed"));
    }
    return answer.value("result", json());
}

bool uses_nunjucks(std::string_view text) {
    if (text.find("{%") != std::string_view::npos) {
        return true;
    }
    // A comment `{#`, but not Mustache's section `{{#x}}`.
    for (size_t at = text.find("{#"); at != std::string_view::npos; at = text.find("{#", at + 2)) {
        if (at == 0 || text[at - 1] != '{') {
            return true;
        }
    }
    // A filter: `|` inside a `{{ ... }}` tag (Mustache has no such thing).
    for (size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
        const size_t end = text.find("}}", at + 2);
        if (end == std::string_view::npos) {
            break;
        }
        if (text.substr(at + 2, end - at - 2).find('|') != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

bool suite_needs_nunjucks(const Suite& suite, const std::vector<std::string_view>& templates) {
    if (!suite.nunjucks_filters.empty()) {
        return true;
    }
    for (const auto text : templates) {
        if (uses_nunjucks(text)) {
            return true;
        }
    }
    if (has_var_nunjucks(suite.tests.defaults().vars, 0)) {
        return true;
    }
    if (const auto known = suite.tests.vars_use_nunjucks()) {
        return *known; // the suite's load looked at every case (a walk of 100,000 rows saved)
    }
    // A walk that fails (a dataset file changed since the suite was loaded) is the run's to
    // report, where it stops with the results it has.
    bool found = false;
    (void)suite.tests.for_each([&](const TestCase& test) {
        found = has_var_nunjucks(test.vars, 0);
        return !found;
    });
    return found;
}

Expected<void> check_nunjucks(NodeWorker& worker) {
    constexpr std::string_view needs =
        "this suite uses Nunjucks ({% %}, {# #}, filters or nunjucksFilters), which needs";
    LLMOPS_TRY(require_node(fmt::format("{} node (apt-get install nodejs node-nunjucks)", needs)));
    auto pong = worker.call({{"op", "ping"}, {"nunjucks", true}}, 30000);
    if (!pong) {
        return fail(ErrorCode::invalid_input, "{} node, which did not start: {}", needs,
                    pong.error().message());
    }
    if (!pong->is_object() || !pong->value("nunjucks", json()).is_string()) {
        return fail(ErrorCode::invalid_input,
                    "{} the nunjucks package (apt-get install node-nunjucks, or npm install "
                    "nunjucks)",
                    needs);
    }
    return {};
}

Expected<std::map<std::string, std::string>>
parse_nunjucks_filters(const json& value, std::string_view where,
                       const std::filesystem::path& base_dir) {
    std::map<std::string, std::string> out;
    if (value.is_null()) {
        return out;
    }
    if (!value.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: must be a map of filter names to 'file://filter.js'", where);
    }
    for (const auto& [name, file] : value.items()) {
        const bool identifier =
            !name.empty() && std::isdigit(static_cast<unsigned char>(name.front())) == 0 &&
            std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
            });
        if (!identifier) {
            return fail(ErrorCode::invalid_input, "{}: '{}' is not a filter name", where, name);
        }
        if (!file.is_string()) {
            return fail(ErrorCode::invalid_input, "{}.{}: must be 'file://filter.js'", where, name);
        }
        std::string rel = file.get<std::string>();
        if (rel.starts_with("file://")) {
            rel = rel.substr(7);
        }
        const auto path = (base_dir / rel).lexically_normal();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            return fail(ErrorCode::invalid_input, "{}.{}: '{}' does not exist", where, name,
                        file.get<std::string>());
        }
        out.emplace(name, path.string());
    }
    return out;
}

} // namespace llmops::eval
