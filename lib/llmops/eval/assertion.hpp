#pragma once
// Assertions (SPEC §8): promptfoo's deterministic types, `not-` negation, weights, thresholds,
// named metrics, assert-set, the security checks, `python`/`exec` assertions run as
// subprocesses with a timeout, and the model-graded types (§9), graded from judge replies the
// caller obtained first (judge/judge.hpp). One table (k_types in assertion.cpp) maps names to
// implementations, one file per family under assertions/ (judge/grade.cpp for the judge).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/util/error.hpp>

namespace llmops::eval {

namespace judge {
struct Exchange;
} // namespace judge
class NodeWorker;

// One assertion as a suite writes it (`- type: not-contains\n  value: foo`).
struct AssertionSpec {
    std::string type;     // the type without its `not-` prefix, e.g. "contains"
                          // ("not-contains-canary" is a type of its own, not negated)
    bool negate = false;  // written as `not-<type>`
    nlohmann::json value; // `value`: string, number, list or map, per type (null when absent);
                          // parse_assertion normalises some: is-json/contains-json hold the
                          // schema itself (a file:// schema is loaded), exec the argument
                          // list, no-pii the list of kinds checked
    std::optional<double> threshold;     // `threshold`: the score needed to pass, or the limit
                                         // (levenshtein edits, latency ms, cost USD)
    double weight = 1.0;                 // `weight` in the case's weighted score (0: informational)
    std::string metric;                  // `metric`: a named score reported per variant
    std::vector<AssertionSpec> children; // assert-set: `assert`
    nlohmann::json config = nlohmann::json::object(); // `config`: type-specific extras
    std::string transform; // `transform`: JavaScript (or `file://x.js[:fn]`) run on the output
                           // for this assertion alone (transform.hpp); empty: none
    std::string where;     // "qa.yaml: tests[3].assert[1]", for messages
};

// What an assertion looks at.
struct AssertionContext {
    std::string_view output;              // the model's output text (after a transform)
    bool output_json = false;             // `output` is the JSON text of the value a transform
                                          // returned (an object, a number...): javascript gets
                                          // the value, every other type this text
    const nlohmann::json* vars = nullptr; // the case's variables (an object)
    std::string_view prompt;              // the rendered prompt, as text
    std::string_view finish_reason;       // stop, length, refusal, content_filter, ...
    bool refused = false;                 // the provider reported a refusal
    double latency_ms = 0;
    std::optional<double> cost_usd;            // nullopt: unpriced
    bool cached = false;                       // answered from the cache (latency is not real)
    std::filesystem::path base_dir;            // the suite's folder: python/exec files resolve
                                               // here, and scripts run in it
    int64_t script_timeout_ms = 30000;         // python and exec assertions
    const std::atomic<bool>* cancel = nullptr; // when it becomes true (Ctrl-C), running scripts
                                               // are killed and their assertions are errors
    std::optional<std::string_view> response_context; // the retrieved context the provider
                                                      // returned with its answer (RAG apps)
    const judge::Exchange* judge = nullptr;           // the judge replies of the model-graded
                                                      // assertions (none: they are errors)
    NodeWorker* node = nullptr; // the run's node worker for javascript assertions (none: each
                                // assertion starts its own)
};

// The verdict of one assertion.
struct AssertionResult {
    std::string type; // as written, with `not-` when negated
    bool pass = false;
    double score = 0;    // 0..1 (1 for a pass of a pass/fail type)
    std::string reason;  // one line saying why, quoting at most 120 chars of the output
    std::string metric;  // copied from the spec
    double weight = 1.0; // copied from the spec
    bool error = false;  // the assertion could not run (a script crashed, a bad schema): the
                         // case is an error, never a pass or a fail
    std::vector<AssertionResult> children; // assert-set
    nlohmann::json judge;                  // model-graded: {judge, prompt, version_id, samples:
                                           // [{reply, pass, score, ...}], split, ...}; null else
};

// Reads one assertion (a map with `type`, `value`, `threshold`, `weight`, `metric`, `config`,
// `assert` for assert-set, promptfoo's `transform` refused plainly, any other key refused with
// did-you-mean). Validates the value's shape for the type up front (a regex compiles, a JSON
// schema uses only supported keywords, a python file exists relative to `base_dir`, an exec
// program named with a path exists), so a bad suite fails before any call; reads schema files.
// Fails with `invalid_input` naming `where`: "qa.yaml: tests[3].assert[1]: unknown assertion
// type 'containz' (did you mean 'contains'?)", "...: 'contains' needs a string 'value'",
// "...: 'llm-rubric' assertions are not implemented yet in this version of llmops (planned:
// SPEC §9)". Children of an assert-set are named "<where>.assert[i]".
Expected<AssertionSpec> parse_assertion(const nlohmann::json& entry, std::string_view where,
                                        const std::filesystem::path& base_dir);

// Runs one assertion (negation, threshold applied). `{{variables}}` in string values (not in
// python code, schemas or file references) are rendered from `context.vars` first, as promptfoo
// renders them; a missing variable is an error. Never fails: trouble running it is a result
// with `error` set (negation never turns an error into a pass). May run a subprocess (python,
// exec) for up to `context.script_timeout_ms`; thread-safe.
AssertionResult run_assertion(const AssertionSpec& spec, const AssertionContext& context);

// The verdict of a case's assertions together (SPEC §8: "A case passes when every assertion
// passes (or its weighted score reaches the case threshold)").
struct CaseVerdict {
    bool pass = false;
    bool error = false; // some assertion could not run (never a pass, whatever the weights)
    double score = 0;   // weighted mean of the scores (1 when no assertion has a weight)
    std::string reason; // "<type>: <reason>" of the first error or failing assertion, the
                        // threshold comparison, or "all assertions passed"
    std::vector<AssertionResult> results;
    std::map<std::string, double>
        named_scores; // `metric` -> weighted mean score of the
                      // assertions naming it (inside assert-sets too; errors left out;
                      // weight 0 counts as 1 here, as promptfoo's metric-only assertions)
};

// Runs `specs` on `context` in order. With `threshold`, the case passes when the weighted score
// reaches it; without, when every assertion with a non-zero weight passes. An assert-set is one
// result with its own weight, its score the weighted mean of its children and its own
// `threshold` deciding it the same way.
CaseVerdict run_assertions(const std::vector<AssertionSpec>& specs, const AssertionContext& context,
                           std::optional<double> threshold);

// The names of every assertion type (without `not-`), sorted: for did-you-mean, docs and tests.
std::vector<std::string> assertion_type_names();

} // namespace llmops::eval
