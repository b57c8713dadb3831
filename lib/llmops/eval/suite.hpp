#pragma once
// Suites and datasets (SPEC §7): YAML close to promptfoo's promptfooconfig.yaml, so a promptfoo
// user's simple config runs unchanged. Parsing only: prompts are resolved against the store and
// providers created by the runner. Anything we do not support is an error naming the key.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/provider/config.hpp>
#include <llmops/provider/outcome.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval {

// One entry of `prompts:` as written; the runner resolves it.
struct PromptEntry {
    enum class Kind {
        store_ref, // `support/triage@production`, `summarize@3`, or a bare name (resolved in the
                   // store)
        file,      // `file://prompts/x.yaml` (our prompt files) or `.txt`/`.md`/`.json` raw
        text,      // inline template text
    };
    Kind kind = Kind::text;
    std::string value; // the ref, the resolved absolute path, or the text
    std::string label; // `label:` when given, else empty (the runner names it)
    std::string where; // "qa.yaml: prompts[1]"
    // A `.txt` file holding several prompts between lines of `---`: which one (0-based); -1 for
    // a file read whole.
    int part = -1;
    std::string id = {}; // a prompt map's `id:` (what a test's `prompts:` may name), else empty
};

// The prompts of a `.txt` prompt file, as promptfoo splits them: at every line that is `---`
// once trimmed (`PROMPTFOO_PROMPT_SEPARATOR` when set), each part trimmed, empty parts left out.
// A file without such a line is one prompt, trimmed.
std::vector<std::string> split_text_prompts(std::string_view text);

// One test case after `defaultTest` is applied.
// A production call as a case replays it: what was sent and what came back.
struct RecordedCall {
    std::vector<provider::ChatMessage> messages; // empty when the trace recorded none
    Expected<provider::CallOutcome> answer;      // the output, tokens, latency and cost, or the
                                                 // call's error
};

struct TestCase {
    std::string id;          // stable within the suite: `id:`/`__id`, else the description, else
                             // a digest of its variables (docs/suites.md, "Test cases"); unique
    std::string description; // `description` / `__description`
    nlohmann::json vars =
        nlohmann::json::object();       // defaultTest.vars, suite `vars`, then the case's
    std::vector<AssertionSpec> asserts; // defaultTest.assert, suite `assert`, then
                                        // the case's (only the case's with
                                        // `options.disableDefaultAsserts`)
    std::optional<double> threshold;    // the case's weighted-score threshold, else
                                        // defaultTest's
    std::string transform; // options.transform, the case's else defaultTest's: JavaScript (or
                           // `file://x.js[:fn]`) run on the output before the assertions and the
                           // store see it (transform.hpp); empty: none
    nlohmann::json metadata = nlohmann::json::object(); // `metadata` / `__metadata:<key>`, kept
                                                        // for reports and filters
    std::string where;    // "qa.yaml: tests[3]" or "cases.csv:5" or "cases.jsonl:12"
    int64_t position = 0; // 0-based place in the suite's order of cases
    // promptfoo's test-level `prompts` and `providers`: the case runs only on the prompts
    // (by label or id) and providers (by label or id) these name; unset: on all.
    std::optional<std::vector<std::string>> only_prompts;
    std::optional<std::vector<std::string>> only_providers;
    // A case taken from traces (`tests: {traces: ...}`): the call's messages and the answer the
    // user got (or the call's error), which the `traces` provider gives back instead of calling.
    std::shared_ptr<const RecordedCall> recorded = {};
};

namespace detail {
struct CasePlan;
class CaseWalk;
} // namespace detail

// The cases of a suite, in order. Cases from dataset files are not held in memory: every walk
// reads the files again and parses one case at a time, so an eval's memory does not grow with
// the number of cases (SPEC §13); a file that changed since the suite was loaded is an error on
// the next walk. Cases given in memory (tests, tools) are held as given.
class CaseSource {
public:
    CaseSource();
    explicit CaseSource(std::vector<TestCase> cases); // positions are set in order
    explicit CaseSource(std::shared_ptr<const detail::CasePlan> plan);
    ~CaseSource();
    CaseSource(const CaseSource&);
    CaseSource& operator=(const CaseSource&);
    CaseSource(CaseSource&&) noexcept;
    CaseSource& operator=(CaseSource&&) noexcept;

    int64_t size() const; // the number of cases (list variables expanded)

    // The dataset files the cases are read from, as named in messages (none for cases in memory).
    std::vector<std::filesystem::path> files() const;

    // Whether some case's variables hold Nunjucks syntax, as the walk that loaded the suite found
    // out (suite_needs_nunjucks then walks no dataset again); nullopt when no such walk was made
    // (cases given in memory).
    std::optional<bool> vars_use_nunjucks() const;

    // A walk over the cases in order, taken one at a time.
    class Cursor {
    public:
        Cursor(Cursor&&) noexcept;
        Cursor& operator=(Cursor&&) noexcept;
        ~Cursor();
        // The next case, or nullptr at the end. The pointer stays valid until the next call.
        Expected<const TestCase*> next();

    private:
        friend class CaseSource;
        Cursor();
        std::unique_ptr<detail::CaseWalk> m_walk;
    };
    Cursor cursor() const;

    // Calls `visit` with every case in order until it returns false.
    Expected<void> for_each(const std::function<bool(const TestCase&)>& visit) const;

    // Every case in memory: for tests and small tools, never for the runner.
    Expected<std::vector<TestCase>> to_vector() const;

    // The defaults every case gets (`defaultTest` and the suite's `vars`/`assert`): for `judge
    // calibrate`, which judges labelled outputs with them. Empty for cases given in memory.
    const TestCase& defaults() const;

private:
    std::shared_ptr<const detail::CasePlan> m_plan;
};

// `tests: {traces: {...}}`: the cases are production calls imported with `llmops traces import`
// (docs/online-evals.md), chosen when the run starts (eval/trace_cases.hpp).
struct TraceQuery {
    std::string prompt;     // `prompt`: the calls' prompt name (required)
    std::string version;    // `version`: only calls of this version (as the traces give it)
    std::string model;      // `model`: only calls answered by this model
    std::string since;      // `since`: a duration back from now (24h) or an ISO 8601 time
    std::string until;      // `until`: the same; empty: now
    int64_t sample = 0;     // `sample`: how many calls (per version with `stratify`); 0: all
    std::string seed = "1"; // `seed`: the sample is a function of the seed and the span ids
    bool stratify = false;  // `stratify: version`
    std::string where;      // "qa.yaml: tests.traces"
    // The window the calls were taken from, as load_trace_cases resolved `since` and `until`.
    std::optional<int64_t> since_unix_ns = {};
    std::optional<int64_t> until_unix_ns = {};
};

// A parsed suite.
struct Suite {
    std::filesystem::path path;     // the suite file
    std::filesystem::path base_dir; // its folder: relative paths resolve here
    std::string hash;               // hex SHA-256 of the suite file's bytes
    std::string dataset_hash;       // hex SHA-256 of the canonical JSON of every case (id, vars,
                                    // asserts as written), whatever files they came from
    std::string description;
    std::vector<PromptEntry> prompts;
    std::vector<provider::ProviderConfig> providers;
    CaseSource tests;
    int repeat = 1;                     // `repeat` (also `evaluateOptions.repeat`)
    std::optional<double> threshold;    // suite `threshold`: the least pass rate that is a success
    std::optional<int> max_concurrency; // `evaluateOptions.maxConcurrency`
    std::optional<provider::ProviderConfig> judge; // `judge.provider` or
                                                   // `defaultTest.options.provider` (SPEC §9)
    int judge_samples = 1;                         // `judge.samples`: verdicts asked per assertion
    std::optional<provider::ProviderConfig> embedding; // `judge.embedding`: for `similar`
    std::set<std::pair<std::string, std::string>>
        judge_prompts;                     // (type, config.prompt) of every
                                           // model-graded assertion of the cases
    std::vector<std::string> warnings;     // e.g. a literal apiKey
    std::vector<std::string> output_paths; // `outputPath` (a path or a list): reports written
                                           // as `-o` writes them when no `-o` is given
    std::map<std::string, std::string> nunjucks_filters; // `nunjucksFilters`: name -> absolute
                                                         // path of its .js file
    std::optional<TraceQuery> traces = {}; // `tests: {traces: ...}`: `tests` is empty until
                                           // eval::load_trace_cases fills it from the store
};

// What the command line adds to a suite as it is loaded.
struct LoadOptions {
    // `--var name=value`: over `defaultTest.vars` and the suite's `vars`, under a case's own (as
    // promptfoo merges them into defaultTest).
    nlohmann::json vars = nlohmann::json::object();
};

// Loads and validates the suite at `path`: every dataset file read, every assertion parsed,
// every provider config checked; nothing called; `$ref`s into the suite resolved first. Fails
// with `invalid_input` (or `not_found` for a missing file) and a message of one line per problem
// (the sections, prompts, providers, test entries and their keys are checked on their own, so all
// their problems are reported: the first 20, then "and N more problem(s)"; a dataset file stops
// at its first), each naming the file and line when known:
// "qa.yaml:12:5: ...", "qa.yaml: tests[3].assert[0]: unknown assertion type 'containz' (did you
// mean 'contains'?)", "cases.csv:7: row has 4 fields, the header has 3",
// "cases.jsonl:12:3: not JSON: ...", "qa.yaml: tests: 'file://missing.csv' does not exist",
// "cases.csv: the dataset is empty", "qa.yaml: unknown key 'promts' (did you mean 'prompts'?)",
// "qa.yaml: promptfoo's 'sharing' is not supported by llmops; remove it". Dataset files are named
// as the suite's path is written ("evals/cases.csv" for "evals/qa.yaml"); the suite YAML gives no
// line numbers for its nodes, so places in it are named by path ("qa.yaml: tests[3].vars").
// A suite without `tests` runs its prompts once with the defaults, as promptfoo does.
Expected<Suite> load_suite(const std::filesystem::path& path, const LoadOptions& options = {});

// Keeps the prompts whose label, id or text (for a file: its path) the regex `prompts` matches,
// and the providers whose id or label `providers` matches (promptfoo's `--filter-prompts` and
// `--filter-providers`); an absent pattern keeps all. Fails with `invalid_input` on a pattern
// that does not compile or that leaves nothing ("--filter-providers 'x' matches no provider
// (the suite's: echo, openai:gpt-4o)").
Expected<void> filter_suite(Suite& suite, const std::optional<std::string>& prompts,
                            const std::optional<std::string>& providers);

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
// Internal: shared by the files that read suites (suite.cpp, case_draft.cpp, case_source.cpp)
// and dataset.cpp (the files); what only they share is in suite_detail.hpp.

namespace detail {

// One test case as written, before parsing: a map in the suite's test shape ({description, id,
// vars, assert, threshold, metadata, options}); CSV rows arrive converted to that shape.
struct RawCase {
    nlohmann::json entry;
    std::string where;                     // "cases.csv:5", "qa.yaml: tests[2]"
    std::vector<std::string> assert_names; // CSV: the column of each assertion ("__expected2"),
                                           // named in messages instead of "assert[1]"
};

// Reads the raw cases of one dataset file one at a time.
class RawCaseReader {
public:
    virtual ~RawCaseReader() = default;
    // The next raw case into `out`; false at the end. Fails with `invalid_input` ("cases.csv:7:
    // row has 4 fields, the header has 3", "cases.jsonl:12:3: not JSON: ...").
    virtual Expected<bool> next(RawCase& out) = 0;
};

// Opens the dataset file at `path` (CSV, JSONL, JSON or YAML, by extension), naming it in
// messages as `path` is written. The file is read whole (its header checked, a JSON or YAML
// document parsed); CSV rows and JSONL lines are parsed as they are taken. Sets `content_hash`
// (when given) to the SHA-256 of the file's bytes. Fails with `invalid_input` (an unsupported
// extension, invalid UTF-8, a bad header, a document that is not JSON) or `not_found`.
Expected<std::unique_ptr<RawCaseReader>> open_dataset(const std::filesystem::path& path,
                                                      std::string* content_hash);

// Every raw case of a dataset file; an empty file fails ("cases.csv: the dataset is empty").
Expected<std::vector<RawCase>> read_dataset(const std::filesystem::path& path);

// Whether a case is a test or the defaults (`defaultTest`, the suite's `vars`/`assert`/`options`).
enum class CaseKind { test, defaults };

// A parsed case before the defaults are applied.
struct CaseDraft {
    TestCase test;                             // `id` is set only when written
    std::optional<bool> disable_var_expansion; // options.disableVarExpansion
    std::optional<std::string> transform;      // options.transform
    bool disable_default_asserts = false;      // options.disableDefaultAsserts
    nlohmann::json judge;                      // options.provider as written (null: none)
    std::string judge_where;                   // where it was written
    std::string rubric_prompt; // options.rubricPrompt (JSON text for a list of messages): the
                               // judge prompt of its model-graded assertions that name none
};

// Parses one case (or the defaults): keys checked, `vars` values written `file://...` loaded
// (relative to `base_dir`), every assertion parsed. Fails with `invalid_input` or `not_found`
// naming `raw.where`.
Expected<CaseDraft> parse_case(const RawCase& raw, const std::filesystem::path& base_dir,
                               CaseKind kind);

// 64-bit keys to 64-bit values in two flat arrays (open addressing): what a walk remembers per
// case, at 20-40 bytes a case where node-based maps of strings took 100-250 (SPEC §13: an eval's
// memory is flat in its cases).
class DigestMap {
public:
    // The value stored under `key`, after storing `value` there when there was none; second:
    // whether it was stored now.
    std::pair<int64_t*, bool> emplace(uint64_t key, int64_t value);

private:
    void grow();
    std::vector<uint64_t> m_keys; // 0: an empty slot (key 0 lives in m_zero)
    std::vector<int64_t> m_values;
    size_t m_size = 0;
    std::optional<int64_t> m_zero;
};

// A case finished earlier in the same walk, by ordinal (see CaseFinalizer::check_unique): its id
// and where, for the message about a duplicate id; nullopt when it cannot be read again.
using CaseRecall =
    std::function<std::optional<std::pair<std::string, std::string>>(int64_t ordinal)>;

// Turns drafts into cases one at a time: applies `defaults`, expands list variables as
// promptfoo does (a variable whose value is a list of strings gives one case per value, unless
// `disableVarExpansion`), and gives every case its id and position. With `check_duplicates`,
// fails with `invalid_input` on a duplicate id, naming both places (the ids seen are kept: the
// one thing the validating walk holds per case; with a recall, only their hashes and positions).
class CaseFinalizer {
public:
    CaseFinalizer(const CaseDraft& defaults, bool check_duplicates)
        : m_defaults(defaults), m_check_duplicates(check_duplicates) {}
    // Appends the cases of `draft` to `out` (its variables are moved into them: a dataset's
    // huge field is not copied).
    Expected<void> add(CaseDraft draft, std::deque<TestCase>& out);
    int64_t count() const { return m_count; }
    // Keeps a hash and a position per id instead of the id and where, and asks `recall` for the
    // earlier case when a hash comes again (a walk over a dataset sets one: it can read it again).
    void recall_with(CaseRecall recall) { m_recall = std::move(recall); }

private:
    const CaseDraft& m_defaults;
    bool m_check_duplicates;
    // The id of a case with no `id` or `description` (docs/suites.md, "Test cases"): a digest of
    // its own variables; of its variables and assertions when an earlier case had the same
    // variables but other assertions; the first such case's id with `#2`, `#3`... when both were
    // seen before. Depends on no row's position.
    std::string content_id(const nlohmann::json& vars, const std::vector<std::string>& own,
                           const std::vector<AssertionSpec>& asserts);

    // Fails when `c`'s id was seen before (see check_duplicates). `ordinal`: how many cases
    // this finalizer made before `c`, refused duplicates included (a walk without the check
    // makes them too: the number a recall finds a case by).
    Expected<void> check_unique(const TestCase& c, int64_t ordinal);

    int64_t m_count = 0;
    int64_t m_ordinal = 0;
    std::unordered_map<std::string, std::string> m_seen; // id -> where (without a recall)
    CaseRecall m_recall;
    DigestMap m_seen_hashes; // hash of an id -> the ordinal of its first case (with a recall)
    // Content ids are 12 hex digits, held as numbers. The digest of a case's variables and
    // assertions -> the cases seen with it, and whether the first one's id was the digest of its
    // variables alone (bit 62) or of both:
    DigestMap m_content_ids;
    DigestMap m_var_digests; // digests of the variables seen
};

Expected<std::vector<TestCase>> finalize_cases(const std::vector<CaseDraft>& drafts,
                                               const CaseDraft& defaults);

// A suite's cases as a plan: the defaults, then segments of inline drafts or dataset files.
struct CasePlan {
    struct Segment {
        std::vector<CaseDraft> drafts; // inline cases (empty for a file)
        std::filesystem::path file;    // a dataset file, as named in messages
        std::string file_hash;         // SHA-256 of its bytes when the suite was loaded
    };
    std::filesystem::path base_dir;
    CaseDraft defaults;
    std::vector<Segment> segments;
    std::vector<TestCase> held; // cases given in memory (then no segments)
    int64_t count = 0;
    std::optional<bool> vars_nunjucks; // set by the validating walk (CaseSource::vars_use_nunjucks)
};

} // namespace detail

} // namespace llmops::eval
