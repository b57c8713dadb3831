// `javascript` assertions, promptfoo's contract: inline code (an expression, declarations then an
// expression, or a multi-line function body with `return`) or `file://x.js[:function]` (the
// module's function, its default export, or the named export), called with `output` and
// `context` {prompt, vars, test, config, providerResponse}; the result a boolean, a number (a
// score, passing above 0 or at `threshold`) or {pass, score, reason}. They run in the run's one
// node worker (node_worker.hpp). As promptfoo judges them: inline code that does not compile,
// throws or returns anything else fails ("Custom function threw error: ..."), negated or not; a
// file's function that throws, a worker that dies or a script that hangs is an error.

#include <llmops/eval/assertions/checks.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/node_worker.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::detail {

namespace {

using json = nlohmann::json;

// A value of `file://path.js[:function]`: the path and the function (empty: the module's).
struct ScriptFile {
    std::string path;
    std::string function;
};

std::optional<ScriptFile> script_file(const json& value) {
    const auto& text = value.get_ref<const std::string&>();
    if (!text.starts_with("file://")) {
        return std::nullopt;
    }
    ScriptFile file{text.substr(7), {}};
    const size_t slash = file.path.rfind('/');
    const size_t colon = file.path.find(':', slash == std::string::npos ? 0 : slash);
    if (colon != std::string::npos) {
        file.function = file.path.substr(colon + 1);
        file.path.resize(colon);
    }
    return file;
}

bool is_js_identifier(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
    });
}

// A number returned as a score: it passes above 0, or at the threshold.
Verdict score_result(double score, std::optional<double> threshold) {
    if (!std::isfinite(score)) {
        return error_verdict("javascript returned a score that is not a finite number");
    }
    Verdict v;
    v.pass = threshold ? score >= *threshold : score > 0;
    v.score = std::clamp(score, 0.0, 1.0);
    v.reason = fmt::format("javascript returned score {} ({})", format_number(score),
                           threshold ? "threshold " + format_number(*threshold) : "passes above 0");
    return v;
}

// A {pass, score, reason} object: taken as it is (promptfoo holds a javascript object's pass to
// no threshold).
Verdict object_result(const json& object) {
    const auto pass = object.find("pass");
    if (pass == object.end() || !pass->is_boolean()) {
        return error_verdict("javascript returned an object without a true or false 'pass'");
    }
    Verdict v = verdict(pass->get<bool>(), "");
    if (const auto score = object.find("score"); score != object.end() && score->is_number()) {
        v.score = std::clamp(score->get<double>(), 0.0, 1.0);
    }
    const auto reason = object.find("reason");
    v.reason = reason != object.end() && reason->is_string() && !reason->get<std::string>().empty()
                   ? reason->get<std::string>()
                   : fmt::format("javascript returned pass {}", v.pass ? "true" : "false");
    return v;
}

Verdict javascript_result(const json& result, std::optional<double> threshold) {
    if (result.is_boolean()) {
        return verdict(result.get<bool>(),
                       fmt::format("javascript returned {}", result.get<bool>()));
    }
    if (result.is_number()) {
        return score_result(result.get<double>(), threshold);
    }
    if (result.is_object()) {
        return object_result(result);
    }
    if (result.is_null()) { // NaN or Infinity, which JSON writes as null
        return verdict(false, "javascript returned a number that is not finite");
    }
    return error_verdict(fmt::format("javascript must return a boolean, a number or an object "
                                     "{{pass, score, reason}}; it returned {}",
                                     quote(dump_json(result), 60)));
}

} // namespace

Expected<void> validate_javascript(AssertionSpec& spec, const std::filesystem::path& base_dir) {
    if (!spec.value.is_string() || util::trim(spec.value.get<std::string>()).empty()) {
        return fail(ErrorCode::invalid_input,
                    "'{}' needs a string 'value': 'file://path.js' or JavaScript code",
                    written_type(spec));
    }
    LLMOPS_TRY(require_node(k_node_missing));
    return check_js_file(spec.value, written_type(spec), base_dir);
}

Expected<void> check_js_file(const nlohmann::json& value, std::string_view what,
                             const std::filesystem::path& base_dir) {
    const auto file = script_file(value);
    if (!file) {
        return {};
    }
    const std::string& path = file->path;
    if (!path.ends_with(".js") && !path.ends_with(".cjs") && !path.ends_with(".mjs")) {
        return fail(ErrorCode::invalid_input, "'{}' file '{}' is not a .js, .cjs or .mjs file",
                    what, path);
    }
    if (!file->function.empty() && !is_js_identifier(file->function)) {
        return fail(ErrorCode::invalid_input,
                    "'{}' function name '{}' is not a JavaScript identifier", what, file->function);
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(base_dir / path, ec)) {
        return fail(ErrorCode::invalid_input, "'{}' file '{}' does not exist", what, path);
    }
    return {};
}

Verdict check_javascript(const AssertionSpec& spec, const nlohmann::json& value,
                         const AssertionContext& context) {
    json request = {{"op", "assert"},
                    {"value", value},
                    {"output", std::string(context.output)},
                    {"output_json", context.output_json},
                    {"context", script_context(spec, context)}};
    add_script(request, value, context.base_dir);
    auto result = run_in_node(request, context);
    if (!result) {
        return error_verdict("javascript " + result.error().message());
    }
    if (const auto threw = result->find("threw"); threw != result->end() && threw->is_string()) {
        Verdict v = verdict(false, "Custom function threw error: " + threw->get<std::string>());
        v.stands = true;
        return v;
    }
    return javascript_result(result->value("value", json()), spec.threshold);
}

void add_script(nlohmann::json& request, const nlohmann::json& value,
                const std::filesystem::path& base_dir) {
    if (const auto file = script_file(value)) {
        std::error_code ec;
        auto path = std::filesystem::absolute(base_dir / file->path, ec);
        request["mode"] = "file";
        request["path"] = (ec ? base_dir / file->path : path).lexically_normal().string();
        request["function"] = file->function;
    } else {
        request["mode"] = "inline";
        request["code"] = value.get<std::string>();
    }
}

Expected<nlohmann::json> run_in_node(const nlohmann::json& request,
                                     const AssertionContext& context) {
    // Outside a run (tests, tools) there is no shared worker: this call starts its own.
    std::optional<NodeWorker> own;
    NodeWorker* worker = context.node;
    if (worker == nullptr) {
        worker = &own.emplace(context.base_dir);
    }
    auto result = worker->call(request, context.script_timeout_ms, context.cancel);
    if (result && !result->is_object()) {
        return fail(ErrorCode::io, "node answered nonsense");
    }
    return result;
}

} // namespace llmops::eval::detail
