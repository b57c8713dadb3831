#pragma once
// Suites and datasets (SPEC §7): YAML close to promptfoo's promptfooconfig.yaml, so a promptfoo
// user's simple config runs unchanged. Parsing only: prompts are resolved against the store and
// providers created by the runner. Anything we do not support is an error naming the key.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/provider/config.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval {

// One entry of `prompts:` as written; the runner resolves it.
struct PromptEntry {
    enum class Kind {
        store_ref, // `support/triage@production`, `summarize@3`, or a bare name (resolved in the store)
        file,      // `file://prompts/x.yaml` (our prompt files) or `.txt`/`.md`/`.json` raw
        text,      // inline template text
    };
    Kind kind = Kind::text;
    std::string value;   // the ref, the resolved absolute path, or the text
    std::string label;   // `label:` when given, else empty (the runner names it)
    std::string where;   // "qa.yaml: prompts[1]"
};

// One test case after `defaultTest` is applied.
struct TestCase {
    std::string id;          // stable within the suite: `id:`/`__id`, else the description, else
                             // "case-<n>" (1-based position); unique (duplicates are an error)
    std::string description; // `description` / `__description`
    nlohmann::json vars = nlohmann::json::object(); // defaultTest.vars, suite `vars`, then the case's
    std::vector<AssertionSpec> asserts;             // defaultTest.assert, suite `assert`, then
                                                    // the case's (only the case's with
                                                    // `options.disableDefaultAsserts`)
    std::optional<double> threshold;                // the case's weighted-score threshold, else
                                                    // defaultTest's
    nlohmann::json metadata = nlohmann::json::object(); // `metadata` / `__metadata:<key>`, kept
                                                        // for reports and filters
    std::string where;       // "qa.yaml: tests[3]" or "cases.csv:5" or "cases.jsonl:12"
};

// A parsed suite.
struct Suite {
    std::filesystem::path path;      // the suite file
    std::filesystem::path base_dir;  // its folder: relative paths resolve here
    std::string hash;                // hex SHA-256 of the suite file's bytes
    std::string dataset_hash;        // hex SHA-256 of the canonical JSON of every case (id, vars,
                                     // asserts as written), whatever files they came from
    std::string description;
    std::vector<PromptEntry> prompts;
    std::vector<provider::ProviderConfig> providers;
    std::vector<TestCase> tests;
    int repeat = 1;                       // `repeat` (also `evaluateOptions.repeat`)
    std::optional<double> threshold;      // suite `threshold`: the least pass rate that is a success
    std::optional<int> max_concurrency;   // `evaluateOptions.maxConcurrency`
    std::optional<provider::ProviderConfig> judge; // `defaultTest.options.provider` (SPEC §9)
    std::vector<std::string> warnings;    // e.g. a literal apiKey
};

// Loads and validates the suite at `path`: every dataset file read, every assertion parsed,
// every provider config checked; nothing called. Fails with `invalid_input` (or `not_found` for
// a missing file) and a one-line message naming the file and line when known:
// "qa.yaml:12:5: ...", "qa.yaml: tests[3].assert[0]: unknown assertion type 'containz' (did you
// mean 'contains'?)", "cases.csv:7: row has 4 fields, the header has 3",
// "cases.jsonl:12:3: not JSON: ...", "qa.yaml: tests: 'file://missing.csv' does not exist",
// "cases.csv: the dataset is empty", "qa.yaml: unknown key 'promts' (did you mean 'prompts'?)",
// "qa.yaml: 'sharing' is a promptfoo key llmops does not support". Dataset files are named as
// the suite's path is written ("evals/cases.csv" for "evals/qa.yaml"); the suite YAML gives no
// line numbers for its nodes, so places in it are named by path ("qa.yaml: tests[3].vars").
// A suite without `tests` runs its prompts once with the defaults, as promptfoo does.
Expected<Suite> load_suite(const std::filesystem::path& path);

// Loads a dataset file (CSV, JSONL, YAML or JSON, by extension) into cases, with promptfoo's
// CSV conventions (columns are vars; `__expected`, `__expected1`, ... hold assertions written as
// "contains: text", "icontains:text", "regex:^a", "not-contains:x", "is-json", or plain text
// meaning `equals`; `__description`, `__id`, `__threshold`, `__metric`, `__metadata:<key>`,
// `__config:__expectedN:<key>`). Relative `file://` values resolve against `base_dir`. Ids and
// list-variable expansion as in load_suite, without defaults. Fails as load_suite does, and on
// an empty file ("cases.csv: the dataset is empty"). load_suite reads its datasets the same way;
// this is exposed for tests and tools.
Expected<std::vector<TestCase>> load_dataset(const std::filesystem::path& path,
                                             const std::filesystem::path& base_dir);

// ---------------------------------------------------------------------------------------------
// Internal: shared by suite.cpp (the suite, test cases, defaults) and dataset.cpp (the files).

namespace detail {

// One test case as written, before parsing: a map in the suite's test shape ({description, id,
// vars, assert, threshold, metadata, options}); CSV rows arrive converted to that shape.
struct RawCase {
    nlohmann::json entry;
    std::string where;                     // "cases.csv:5", "qa.yaml: tests[2]"
    std::vector<std::string> assert_names; // CSV: the column of each assertion ("__expected2"),
                                           // named in messages instead of "assert[1]"
};

// Reads the cases of the dataset file at `path` (CSV, JSONL, JSON or YAML, by extension), naming
// it in messages as `path` is written. Fails with `invalid_input` ("cases.csv:7: row has 4
// fields, the header has 3", "cases.jsonl:12:3: not JSON: ...", "cases.csv: the dataset is
// empty", an unsupported extension) or `not_found`.
Expected<std::vector<RawCase>> read_dataset(const std::filesystem::path& path);

// Whether a case is a test or the defaults (`defaultTest`, the suite's `vars`/`assert`/`options`).
enum class CaseKind { test, defaults };

// A parsed case before the defaults are applied.
struct CaseDraft {
    TestCase test;                             // `id` is set only when written
    std::optional<bool> disable_var_expansion; // options.disableVarExpansion
    bool disable_default_asserts = false;      // options.disableDefaultAsserts
    nlohmann::json judge;                      // options.provider as written (null: none)
    std::string judge_where;                   // where it was written
};

// Parses one case (or the defaults): keys checked, `vars` values written `file://...` loaded
// (relative to `base_dir`), every assertion parsed. Fails with `invalid_input` or `not_found`
// naming `raw.where`.
Expected<CaseDraft> parse_case(const RawCase& raw, const std::filesystem::path& base_dir,
                               CaseKind kind);

// Applies `defaults` to every draft, expands list variables as promptfoo does (a variable whose
// value is a list of strings gives one case per value, unless `disableVarExpansion`), and gives
// every case its id. Fails with `invalid_input` on a duplicate id, naming both places.
Expected<std::vector<TestCase>> finalize_cases(const std::vector<CaseDraft>& drafts,
                                               const CaseDraft& defaults);

} // namespace detail

} // namespace llmops::eval
