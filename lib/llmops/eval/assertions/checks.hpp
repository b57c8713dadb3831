#pragma once
// Internal to the eval module: what each assertion family gives the one table of types in
// assertion.cpp. A type has a validator (run by parse_assertion: checks `value` and `config`,
// may normalise `value`, e.g. load a schema file) and a checker (run by run_assertion on the
// value with the case's variables rendered in). Checkers report facts ("output contains
// 'Paris'"), true whichever way the assertion is negated; negation, weights and thresholds
// are applied by assertion.cpp.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval::detail {

// What one check found, before negation.
struct Verdict {
    bool pass = false;
    double score = 0; // 0..1
    std::string reason;
    bool error = false;     // the check could not run; pass and score mean nothing
    bool skipped = false;   // nothing to check (latency of a cached answer): a pass, negated or not
    nlohmann::json details; // model-graded: the judge, its prompt version and raw replies
    bool stands = false;    // the verdict holds negated or not (promptfoo: a javascript assertion
                            // that throws fails, `not-javascript` too)
};

// A pass/fail verdict: score 1 or 0.
inline Verdict verdict(bool pass, std::string reason) {
    Verdict v;
    v.pass = pass;
    v.score = pass ? 1.0 : 0.0;
    v.reason = std::move(reason);
    return v;
}

// A verdict that is an error.
inline Verdict error_verdict(std::string reason) {
    Verdict v;
    v.error = true;
    v.reason = std::move(reason);
    return v;
}

// Checks the shape of `spec.value` (and `spec.config`) for its type; may rewrite `spec.value`
// into the form the checker reads. Errors carry the message without the `where:` prefix.
using Validator = Expected<void> (*)(AssertionSpec& spec, const std::filesystem::path& base_dir);

// Runs the check on `context.output`; `value` is `spec.value` with variables rendered.
using Checker = Verdict (*)(const AssertionSpec& spec, const nlohmann::json& value,
                            const AssertionContext& context);

// The `context` argument of python and javascript assertions, as promptfoo builds it: prompt,
// vars, test, config, providerResponse (script.cpp).
nlohmann::json script_context(const AssertionSpec& spec, const AssertionContext& context);

// Error messages shared by validators.
std::string needs_string_value(const AssertionSpec& spec);

// text.cpp
Expected<void> validate_equals(AssertionSpec& spec, const std::filesystem::path& base_dir);
Expected<void> validate_substring(AssertionSpec& spec, const std::filesystem::path& base_dir);
Expected<void> validate_substring_list(AssertionSpec& spec, const std::filesystem::path& base_dir);
Expected<void> validate_regex(AssertionSpec& spec, const std::filesystem::path& base_dir);
Verdict check_equals(const AssertionSpec& spec, const nlohmann::json& value,
                     const AssertionContext& context);
Verdict check_contains(const AssertionSpec& spec, const nlohmann::json& value,
                       const AssertionContext& context);
Verdict check_icontains(const AssertionSpec& spec, const nlohmann::json& value,
                        const AssertionContext& context);
Verdict check_contains_any(const AssertionSpec& spec, const nlohmann::json& value,
                           const AssertionContext& context);
Verdict check_contains_all(const AssertionSpec& spec, const nlohmann::json& value,
                           const AssertionContext& context);
Verdict check_icontains_any(const AssertionSpec& spec, const nlohmann::json& value,
                            const AssertionContext& context);
Verdict check_icontains_all(const AssertionSpec& spec, const nlohmann::json& value,
                            const AssertionContext& context);
Verdict check_starts_with(const AssertionSpec& spec, const nlohmann::json& value,
                          const AssertionContext& context);
Verdict check_regex(const AssertionSpec& spec, const nlohmann::json& value,
                    const AssertionContext& context);

// json.cpp
Expected<void> validate_json_schema_value(AssertionSpec& spec,
                                          const std::filesystem::path& base_dir);
Verdict check_is_json(const AssertionSpec& spec, const nlohmann::json& value,
                      const AssertionContext& context);
Verdict check_contains_json(const AssertionSpec& spec, const nlohmann::json& value,
                            const AssertionContext& context);

// similarity.cpp
Expected<void> validate_levenshtein(AssertionSpec& spec, const std::filesystem::path& base_dir);
Expected<void> validate_rouge_n(AssertionSpec& spec, const std::filesystem::path& base_dir);
Expected<void> validate_bleu(AssertionSpec& spec, const std::filesystem::path& base_dir);
Verdict check_levenshtein(const AssertionSpec& spec, const nlohmann::json& value,
                          const AssertionContext& context);
Verdict check_rouge_n(const AssertionSpec& spec, const nlohmann::json& value,
                      const AssertionContext& context);
Verdict check_bleu(const AssertionSpec& spec, const nlohmann::json& value,
                   const AssertionContext& context);

// metrics.cpp
Verdict check_latency(const AssertionSpec& spec, const nlohmann::json& value,
                      const AssertionContext& context);
Verdict check_cost(const AssertionSpec& spec, const nlohmann::json& value,
                   const AssertionContext& context);

// refusal.cpp
Verdict check_is_refusal(const AssertionSpec& spec, const nlohmann::json& value,
                         const AssertionContext& context);

// security.cpp
Expected<void> validate_no_pii(AssertionSpec& spec, const std::filesystem::path& base_dir);
Expected<void> validate_canary(AssertionSpec& spec, const std::filesystem::path& base_dir);
Verdict check_no_pii(const AssertionSpec& spec, const nlohmann::json& value,
                     const AssertionContext& context);
Verdict check_no_secrets(const AssertionSpec& spec, const nlohmann::json& value,
                         const AssertionContext& context);
Verdict check_not_contains_canary(const AssertionSpec& spec, const nlohmann::json& value,
                                  const AssertionContext& context);

// script.cpp
Expected<void> validate_python(AssertionSpec& spec, const std::filesystem::path& base_dir);
// javascript.cpp
Expected<void> validate_javascript(AssertionSpec& spec, const std::filesystem::path& base_dir);
Verdict check_javascript(const AssertionSpec& spec, const nlohmann::json& value,
                         const AssertionContext& context);
// A `file://x.js[:function]` value (nothing to check for inline code): a JavaScript file that
// exists under `base_dir`, a function name that is an identifier; `what` names the key or type
// in messages ("'transform' file 'x.py' is not a .js, .cjs or .mjs file").
Expected<void> check_js_file(const nlohmann::json& value, std::string_view what,
                             const std::filesystem::path& base_dir);
// Sets how `request` names the script in `value`: "mode" inline with "code", or file with an
// absolute "path" under `base_dir` and a "function".
void add_script(nlohmann::json& request, const nlohmann::json& value,
                const std::filesystem::path& base_dir);
// Sends `request` to `context.node` (or a worker of its own when there is none) with the
// script timeout; the reply must be an object (else `io`).
Expected<nlohmann::json> run_in_node(const nlohmann::json& request,
                                     const AssertionContext& context);
Expected<void> validate_exec(AssertionSpec& spec, const std::filesystem::path& base_dir);
Verdict check_python(const AssertionSpec& spec, const nlohmann::json& value,
                     const AssertionContext& context);
Verdict check_exec(const AssertionSpec& spec, const nlohmann::json& value,
                   const AssertionContext& context);

// judge/grade.cpp: every model-graded type (judge/judge.hpp)
Expected<void> validate_judged(AssertionSpec& spec, const std::filesystem::path& base_dir);
Verdict check_judged(const AssertionSpec& spec, const nlohmann::json& value,
                     const AssertionContext& context);

// assertion.cpp: `value` with {{variables}} in its strings (and strings of its lists) rendered
// from `vars` (null: none).
Expected<nlohmann::json> render_value(const nlohmann::json& value, const nlohmann::json* vars);

} // namespace llmops::eval::detail
