// Script assertions: `python` (promptfoo's contract: `file://path.py` whose `get_assert(output,
// context)`, or `file://path.py:function`, returns a bool, a number or a dict {pass, score,
// reason}; or inline code, an expression or the body of a function of `output` and `context`)
// and `exec` (any program: the output on its stdin; exit status 0 passes and 1 fails, or a JSON
// object {pass, score, reason} on its stdout decides). Both run with the suite's folder as the
// working directory and a timeout (AssertionContext::script_timeout_ms); a script that crashes,
// hangs or answers nonsense makes the assertion an error, never a pass or a fail.

#include <llmops/eval/assertions/checks.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/subprocess.hpp>

namespace llmops::eval::detail {

namespace {

using json = nlohmann::json;

// Runs one python assertion. It reads {mode, path, function, code, output, context} as JSON on
// stdin and writes {"ok": true, "result": ...} or {"ok": false, "error": "..."} to what was its
// stdout; while the user's code runs, file descriptor 1 points at stderr, so a stray print()
// cannot corrupt the answer.
constexpr std::string_view k_python_wrapper = R"PY(
import dataclasses, json, math, os, re, sys, traceback

def plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {("pass" if k == "pass_" else str(k)): v for k, v in value.items()}
    return value

def where(error, path):
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == path:
            return " (%s, line %d)" % (os.path.basename(path), frame.lineno)
    return ""

def load(request):
    if request["mode"] == "file":
        import importlib.util
        path = request["path"]
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib.util.spec_from_file_location("llmops_assertion", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        function = getattr(module, request["function"], None)
        if not callable(function):
            name = os.path.basename(path)
            raise LookupError("%s has no function '%s'" % (name, request["function"]))
        return function, path
    code = request["code"]
    if "\n" in code:
        found = re.search(r"^(?!\s*$)[ \t]+", code, re.M)
        indent = found.group(0) if found else "    "
        body = "\n".join(indent + line for line in code.split("\n"))
    else:
        body = "    return " + code
    namespace = {"json": json, "math": math, "re": re}
    source = "def llmops_assert(output, context):\n" + body + "\n"
    exec(compile(source, "<python assertion>", "exec"), namespace)
    return namespace["llmops_assert"], "<python assertion>"

def main():
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    path = request.get("path", "<python assertion>")
    try:
        function, path = load(request)
        result = plain(function(request["output"], request["context"]))
    except BaseException as error:
        message = "raised %s: %s%s" % (type(error).__name__, error, where(error, path))
        answer = {"ok": False, "error": message}
    else:
        try:
            answer = {"ok": True, "result": json.loads(json.dumps(result, allow_nan=False))}
        except (TypeError, ValueError) as error:
            answer = {"ok": False, "error": "returned a value that is not JSON (%s)" % error}
    sys.stdout.flush()
    data = memoryview(json.dumps(answer).encode("ascii"))
    while data:
        data = data[os.write(answer_fd, data):]

main()
)PY";

bool is_identifier(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())))
        return false;
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            return false;
    return true;
}

// A python value of `file://path.py[:function]`: the path and the function.
struct PythonFile {
    std::string path;
    std::string function = "get_assert";
};

std::optional<PythonFile> python_file(const json& value) {
    const auto& text = value.get_ref<const std::string&>();
    if (!text.starts_with("file://"))
        return std::nullopt;
    PythonFile file;
    file.path = text.substr(7);
    const size_t extension = file.path.rfind(".py");
    const size_t colon = file.path.find(':', extension == std::string::npos ? 0 : extension);
    if (colon != std::string::npos) {
        file.function = file.path.substr(colon + 1);
        file.path.resize(colon);
    }
    return file;
}

// The last non-empty line of `text`, trimmed and quoted.
std::string last_line(std::string_view text) {
    const auto lines = util::split(text, '\n');
    for (auto line = lines.rbegin(); line != lines.rend(); ++line)
        if (auto trimmed = util::trim(*line); !trimmed.empty())
            return std::string(trimmed);
    return {};
}

std::string first_line(std::string_view text) {
    for (const auto& line : util::split(text, '\n'))
        if (auto trimmed = util::trim(line); !trimmed.empty())
            return std::string(trimmed);
    return {};
}

// The verdict of a number a script returned as its score.
Verdict score_verdict(double score, std::optional<double> threshold, std::string_view who) {
    if (!std::isfinite(score))
        return error_verdict(fmt::format("{} returned a score that is not a finite number", who));
    Verdict v;
    v.pass = threshold ? score >= *threshold : score > 0;
    v.score = std::clamp(score, 0.0, 1.0);
    v.reason = fmt::format("{} returned score {} ({})", who, format_number(score),
                           threshold ? "threshold " + format_number(*threshold) : "passes above 0");
    return v;
}

// The verdict of a {pass, score, reason} object a script returned.
Verdict object_verdict(const json& object, std::optional<double> threshold, std::string_view who) {
    const auto pass = object.find("pass");
    const auto score = object.find("score");
    const auto reason = object.find("reason");
    const bool has_pass = pass != object.end() && !pass->is_null();
    const bool has_score = score != object.end() && !score->is_null();
    if (!has_pass && !has_score)
        return error_verdict(fmt::format("{} returned an object without 'pass' or 'score'", who));
    if (has_pass && !pass->is_boolean())
        return error_verdict(fmt::format("{} returned a 'pass' that is not true or false", who));
    if (has_score && (!score->is_number() || !std::isfinite(score->get<double>())))
        return error_verdict(fmt::format("{} returned a 'score' that is not a number", who));
    Verdict v =
        has_pass
            ? Verdict{pass->get<bool>(), pass->get<bool>() ? 1.0 : 0.0, "", false, false, {}, false}
            : score_verdict(score->get<double>(), threshold, who);
    if (has_score)
        v.score = std::clamp(score->get<double>(), 0.0, 1.0);
    if (reason != object.end() && reason->is_string() && !reason->get<std::string>().empty())
        v.reason = reason->get<std::string>();
    else if (has_pass)
        v.reason = fmt::format("{} returned pass {}{}", who, v.pass ? "true" : "false",
                               has_score ? ", score " + format_number(score->get<double>()) : "");
    // As in promptfoo, a threshold also holds a script's own pass to its score.
    if (threshold && has_score && score->get<double>() < *threshold) {
        v.pass = false;
        v.reason =
            fmt::format("score {} is below the threshold {}: {}",
                        format_number(score->get<double>()), format_number(*threshold), v.reason);
    }
    return v;
}

// What a python function returned, read the way promptfoo reads it.
Verdict python_result(const json& result, std::optional<double> threshold) {
    constexpr std::string_view who = "python";
    if (result.is_boolean())
        return verdict(result.get<bool>(),
                       fmt::format("python returned {}", result.get<bool>() ? "True" : "False"));
    if (result.is_number())
        return score_verdict(result.get<double>(), threshold, who);
    if (result.is_object())
        return object_verdict(result, threshold, who);
    if (result.is_string()) {
        const auto& text = result.get_ref<const std::string&>();
        const std::string lower = fold_case(util::trim(text));
        if (lower == "true" || lower == "false")
            return verdict(lower == "true", fmt::format("python returned '{}'", text));
        if (text.starts_with("{")) {
            auto parsed = util::parse_json_or_discarded(text);
            if (parsed.is_object())
                return object_verdict(parsed, threshold, who);
        }
        char* end = nullptr;
        const double number = std::strtod(text.c_str(), &end);
        if (!text.empty() && end == text.c_str() + text.size())
            return score_verdict(number, threshold, who);
    }
    if (result.is_null())
        return error_verdict("python returned None");
    return error_verdict(fmt::format("python must return a bool, a number or a dict {{pass, "
                                     "score, reason}}; it returned {}",
                                     quote(dump_json(result), 60)));
}

util::ProcessOptions script_options(const AssertionContext& context, std::string stdin_data) {
    util::ProcessOptions options;
    options.stdin_data = std::move(stdin_data);
    options.timeout_ms = context.script_timeout_ms;
    options.max_output_bytes = 4 * 1024 * 1024;
    options.cancel = context.cancel;
    if (!context.base_dir.empty())
        options.cwd = context.base_dir;
    return options;
}

// An error verdict for a script that did not end normally, or nothing.
std::optional<Verdict> abnormal_end(const util::ProcessResult& ended, int64_t timeout_ms,
                                    std::string_view who) {
    if (ended.timed_out || ended.cancelled || ended.signal != 0) {
        return error_verdict(fmt::format("{} {}", who, util::describe_exit(ended, timeout_ms)));
    }
    return std::nullopt;
}

} // namespace

nlohmann::json script_context(const AssertionSpec& spec, const AssertionContext& context) {
    const json vars = context.vars && context.vars->is_object() ? *context.vars : json::object();
    json response = {{"output", std::string(context.output)},
                     {"cached", context.cached},
                     {"finishReason", std::string(context.finish_reason)},
                     {"isRefusal", context.refused}};
    if (!context.cached)
        response["latencyMs"] = context.latency_ms;
    if (context.cost_usd)
        response["cost"] = *context.cost_usd;
    return {{"prompt", std::string(context.prompt)},
            {"vars", vars},
            {"test", {{"vars", vars}}},
            {"config", spec.config},
            {"providerResponse", response}};
}

Expected<void> validate_python(AssertionSpec& spec, const std::filesystem::path& base_dir) {
    if (!spec.value.is_string() || util::trim(spec.value.get<std::string>()).empty())
        return fail(ErrorCode::invalid_input,
                    "'{}' needs a string 'value': 'file://path.py' or Python code",
                    written_type(spec));
    const auto file = python_file(spec.value);
    if (!file)
        return {};
    if (!file->path.ends_with(".py"))
        return fail(ErrorCode::invalid_input, "'{}' file '{}' is not a .py file",
                    written_type(spec), file->path);
    if (!is_identifier(file->function))
        return fail(ErrorCode::invalid_input, "'{}' function name '{}' is not a Python identifier",
                    written_type(spec), file->function);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(base_dir / file->path, ec))
        return fail(ErrorCode::invalid_input, "'{}' file '{}' does not exist", written_type(spec),
                    file->path);
    return {};
}

Expected<void> validate_exec(AssertionSpec& spec, const std::filesystem::path& base_dir) {
    std::vector<std::string> argv;
    if (spec.value.is_string()) {
        auto split = util::split_command_line(spec.value.get<std::string>());
        if (!split)
            return fail(ErrorCode::invalid_input, "'{}' value: {}", written_type(spec),
                        split.error().message());
        argv = std::move(*split);
    } else if (spec.value.is_array()) {
        for (const auto& arg : spec.value) {
            if (!arg.is_string())
                return fail(ErrorCode::invalid_input,
                            "'{}' needs a 'value': a command line or a list of arguments",
                            written_type(spec));
            argv.push_back(arg.get<std::string>());
        }
    }
    if (argv.empty() || argv.front().empty())
        return fail(ErrorCode::invalid_input,
                    "'{}' needs a 'value': a command line or a list of arguments",
                    written_type(spec));
    // A program named with a path must exist now; a bare name is looked up in PATH when it runs.
    const std::filesystem::path program = argv.front();
    std::error_code ec;
    if (argv.front().find('/') != std::string::npos &&
        argv.front().find("{{") == std::string::npos &&
        !std::filesystem::exists(program.is_absolute() ? program : base_dir / program, ec))
        return fail(ErrorCode::invalid_input, "'{}' program '{}' does not exist",
                    written_type(spec), argv.front());
    spec.value = argv; // run as an argument list, never through a shell
    return {};
}

Verdict check_python(const AssertionSpec& spec, const nlohmann::json& value,
                     const AssertionContext& context) {
    // What a transform returned reaches the script as that value, as in promptfoo.
    json output = context.output_json ? util::parse_json_or_discarded(context.output) : json();
    if (!context.output_json || output.is_discarded())
        output = std::string(context.output);
    json request = {{"output", std::move(output)}, {"context", script_context(spec, context)}};
    if (const auto file = python_file(value)) {
        std::filesystem::path path = context.base_dir / file->path;
        std::error_code ec;
        if (auto absolute = std::filesystem::absolute(path, ec); !ec)
            path = absolute;
        request["mode"] = "file";
        request["path"] = path.string();
        request["function"] = file->function;
    } else {
        request["mode"] = "inline";
        request["code"] = value.get<std::string>();
    }
    const char* python = std::getenv("LLMOPS_PYTHON");
    const std::vector<std::string> argv{python && *python ? python : "python3", "-B", "-c",
                                        std::string(k_python_wrapper)};
    auto ended = util::run_process(argv, script_options(context, dump_json(request)));
    if (!ended)
        return error_verdict("cannot run python: " + ended.error().message());
    if (auto abnormal = abnormal_end(*ended, context.script_timeout_ms, "python"))
        return *abnormal;
    const auto answer = util::parse_json_or_discarded(ended->out);
    const auto ok = answer.is_object() ? answer.find("ok") : answer.end();
    if (ended->exit_code != 0 || !answer.is_object() || ok == answer.end() || !ok->is_boolean()) {
        const std::string detail = last_line(ended->err);
        return error_verdict(fmt::format("python {}{}", util::describe_exit(*ended, 0),
                                         detail.empty() ? "" : ": " + quote(detail, 200)));
    }
    if (!ok->get<bool>()) {
        const auto error = answer.find("error");
        return error_verdict("python " + (error != answer.end() && error->is_string()
                                              ? error->get<std::string>()
                                              : std::string("failed")));
    }
    return python_result(answer.contains("result") ? answer["result"] : json(), spec.threshold);
}

Verdict check_exec(const AssertionSpec& spec, const nlohmann::json& value,
                   const AssertionContext& context) {
    std::vector<std::string> argv;
    for (const auto& arg : value)
        argv.push_back(value_text(arg));
    auto ended = util::run_process(argv, script_options(context, std::string(context.output)));
    if (!ended)
        return error_verdict(ended.error().message());
    if (auto abnormal = abnormal_end(*ended, context.script_timeout_ms, "program"))
        return *abnormal;
    const int status = ended->exit_code;
    const std::string err_line = last_line(ended->err);
    if (status != 0 && status != 1) {
        return error_verdict(fmt::format("program {}{}", util::describe_exit(*ended, 0),
                                         err_line.empty() ? "" : ": " + quote(err_line, 200)));
    }
    const auto trimmed = util::trim(ended->out);
    if (trimmed.starts_with("{")) {
        const auto answer = util::parse_json_or_discarded(trimmed);
        if (answer.is_object() && (answer.contains("pass") || answer.contains("score")))
            return object_verdict(answer, spec.threshold, "program");
    }
    const std::string out_line = first_line(ended->out);
    const std::string said = status == 0 ? out_line : (err_line.empty() ? out_line : err_line);
    return verdict(status == 0, said.empty() ? fmt::format("program exited with status {}", status)
                                             : fmt::format("program exited with status {}: {}",
                                                           status, quote(said, 200)));
}

} // namespace llmops::eval::detail
