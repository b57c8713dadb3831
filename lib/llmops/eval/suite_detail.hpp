#pragma once
// Internal to suites and datasets: what the files that read a suite share, beside the parsing
// steps suite.hpp declares for the datasets. suite.cpp reads the suite; suite_prompts.cpp its
// `prompts` and `providers`; case_draft.cpp one test case; case_source.cpp walks the cases;
// suite_detail.cpp holds the helpers below; dataset.cpp and dataset_csv.cpp read the files.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval::detail {

// ---- keys and places ------------------------------------------------------------------------

// A promptfoo key llmops refuses, with a hint at what to do instead (may be empty).
struct Refused {
    std::string_view key;
    std::string_view hint;
};

// The keys a map may hold: ours, and promptfoo's that we refuse.
struct Keys {
    std::vector<std::string> supported;
    std::vector<Refused> refused;
};

// How a JSON value's type is named in messages ("a map", "a list", "empty", ...).
std::string_view type_name(const nlohmann::json& v);

// "qa.yaml" + "tests[0]" -> "qa.yaml: tests[0]"; "qa.yaml: tests[0]" + "vars" ->
// "qa.yaml: tests[0].vars"; "cases.csv:5" + "__expected" -> "cases.csv:5: __expected".
std::string child(std::string_view where, std::string_view key);

// Checks every key of `map` against `keys`; `prefix` ("options.") is how nested keys are named.
// `hint` is added to an unknown key without a likely correction. Fails with `invalid_input`
// naming `where` and every key that is refused ("promptfoo's 'sharing' is not supported: ...")
// or unknown (with "did you mean"), one a line.
Expected<void> check_keys(const nlohmann::json& map, std::string_view where, const Keys& keys,
                          std::string_view prefix = "", std::string_view hint = "");

// ---- problems -------------------------------------------------------------------------------

// The problems a reader that goes on past one finds (a suite reports all its problems at once,
// not the first): every line of every error added is one problem, in order.
class Problems {
public:
    static constexpr size_t k_shown = 20; // more are counted, not shown

    void add(const Error& error);
    void add(const std::unexpected<Error>& error) { add(error.error()); } // add(fail(...))

    // Adds the error of `result`, if any; true when `result` holds a value.
    template <typename T>
    bool ok(const Expected<T>& result) {
        if (!result) {
            add(result.error());
        }
        return result.has_value();
    }

    bool empty() const { return m_lines.empty(); }

    // Nothing when empty, else one error with the first problem's code: one problem a line, the
    // first 20, then "and N more problem(s)".
    Expected<void> result() const;

private:
    bool said_already(std::string_view line) const;

    ErrorCode m_code = ErrorCode::invalid_input;
    std::vector<std::string> m_lines;
    int64_t m_more = 0; // problems a nested reader counted but did not show
};

// The keys of a suite's top level: those llmops reads, and promptfoo's it refuses.
extern const Keys k_suite_keys;

// ---- paths ----------------------------------------------------------------------------------

// Whether `path` holds a glob character (`*?[{`).
bool has_glob(std::string_view path);

// The files a glob pattern `rel` (relative to `base`, or absolute) matches, relative to `base`
// (absolute for an absolute pattern), sorted, as promptfoo's loader reads `file://cases/**/*.yaml`
// (util/glob.hpp).
std::vector<std::string> expand_glob(const std::filesystem::path& base, const std::string& rel);

// The extension of `path`, lower-cased (".csv").
std::string lower_extension(const std::filesystem::path& path);

// A Python or JavaScript file, possibly with promptfoo's `:function` suffix.
bool is_script(std::string_view path);

// Whether `path` exists (false when it cannot be checked).
bool path_exists(const std::filesystem::path& path);

// `spec` without a leading `file://`.
std::string strip_file_scheme(std::string_view spec);

// ---- sections of a suite (suite_prompts.cpp) ------------------------------------------------

// The `prompts` entry of the suite named `display` in messages, relative paths resolved against
// `base_dir`. Fails with `invalid_input` or `not_found` naming the entry (every entry's problem,
// one a line).
Expected<std::vector<PromptEntry>> parse_prompts(const nlohmann::json& prompts,
                                                 std::string_view display,
                                                 const std::filesystem::path& base_dir);

// The `providers` (or `targets`: `key`) entry of the suite named `display`. The configs'
// warnings (a literal apiKey) are appended to `warnings`. Fails with `invalid_input` naming the
// entry (every entry's problem, one a line).
Expected<std::vector<provider::ProviderConfig>>
parse_providers(const nlohmann::json& providers, std::string_view key, std::string_view display,
                const std::filesystem::path& base_dir, std::vector<std::string>& warnings);

// ---- dataset files (dataset_csv.cpp) -------------------------------------------------------

// A reader of the CSV file `name` whose bytes are `text`: the header read and classified now,
// the rows parsed as they are taken. Fails with `invalid_input` (invalid UTF-8, a column without
// a name or twice, an unknown or unsupported `__` column).
Expected<std::unique_ptr<RawCaseReader>> open_csv_dataset(std::string text, std::string name);

// ---- walking the cases (case_source.cpp) ----------------------------------------------------

// One walk over a plan's cases.
class CaseWalk {
public:
    // `validating`: the walk that loads a suite (duplicate ids checked, file hashes recorded in
    // `plan` instead of compared).
    CaseWalk(const CasePlan& plan, CasePlan* validating)
        : m_plan(plan), m_validating(validating),
          m_finalizer(plan.defaults, validating != nullptr) {
        if (validating != nullptr) {
            m_finalizer.recall_with([this](int64_t ordinal) { return recall(ordinal); });
        }
    }
    CaseWalk(const CaseWalk&) = delete; // the finalizer's recall points at this walk
    CaseWalk& operator=(const CaseWalk&) = delete;

    // The next case, or nullptr at the end; the pointer stays valid until the next call. Fails
    // as parse_case and CaseFinalizer do, with `invalid_input` on an empty dataset file, and
    // with `conflict` when a file's bytes changed since the validating walk.
    Expected<const TestCase*> next();

    int64_t count() const { return m_finalizer.count(); }

    // From now on a case's problem (and a dataset file's) is added to `problems` and the walk
    // goes on, so that a suite's load reports them all.
    void collect(Problems& problems) { m_problems = &problems; }

private:
    // `result` as it is, or nothing when collecting (its problem noted).
    Expected<void> collected(const Expected<void>& result);
    Expected<void> read_file_case(const CasePlan::Segment& segment);
    void end_file();

    // Opens the dataset file of `segment` (the current one) into `m_reader`: its hash recorded
    // by the validating walk, compared by the others (`conflict` when it changed).
    Expected<void> open_file(const CasePlan::Segment& segment);

    // The id and where of the case made `ordinal`-th by this walk, read again by a walk of its
    // own (the validating walk keeps only hashes of the ids it saw).
    std::optional<std::pair<std::string, std::string>> recall(int64_t ordinal) const;

    const CasePlan& m_plan;
    CasePlan* m_validating;
    Problems* m_problems = nullptr;
    CaseFinalizer m_finalizer;
    size_t m_held = 0;
    size_t m_segment = 0;
    size_t m_draft = 0;
    std::unique_ptr<RawCaseReader> m_reader;
    int64_t m_raw_count = 0;
    std::deque<TestCase> m_pending;
    TestCase m_current;
};

} // namespace llmops::eval::detail
