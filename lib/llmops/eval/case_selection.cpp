#include <llmops/eval/case_selection.hpp>

// See case_selection.hpp. The pattern uses the project's linear-time regex engine (a user's
// pattern on a long description must not backtrack or overflow the stack, as std::regex can).

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include <llmops/eval/assertions/regex.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>

namespace llmops::eval {

using nlohmann::json;

// Which cases run (SPEC §7 filters), decided one case at a time as the walk reaches them, in
// the order filter_pattern, failing, sample, first_n, shard. How many will run is known before
// the first call (an empty selection is an error, the progress bar has a total): with a pattern
// or `--failing`, that takes one extra walk over the cases.
namespace {

// `n` of `matching` positions drawn at random with `seed`, as flags by position.
std::vector<bool> sampled(int64_t matching, int64_t n, uint64_t seed) {
    std::vector<size_t> order(static_cast<size_t>(matching));
    for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::mt19937_64 random(seed);
    std::shuffle(order.begin(), order.end(), random);
    order.resize(static_cast<size_t>(n));
    std::vector<bool> flags(static_cast<size_t>(matching), false);
    for (size_t i : order) {
        flags[i] = true;
    }
    return flags;
}

// The cases that did not pass in a results file (see CaseFilter::failing_file).
struct FailingCases {
    std::set<std::string> ids;  // from an llmops export
    std::set<std::string> vars; // canonical JSON of the variables of each row that did not pass
};

// promptfoo's output: `results.results` (its format since version 2) or `results` (version 1),
// rows with `success` and `vars` (or `testCase.vars`).
Expected<FailingCases> promptfoo_failing(const json& doc, const std::string& name) {
    const json* rows = nullptr;
    if (const auto it = doc.find("results"); it != doc.end()) {
        rows = it->is_object() && it->contains("results") ? &(*it)["results"] : &*it;
    }
    if (rows == nullptr || !rows->is_array()) {
        return fail(ErrorCode::invalid_input,
                    "{}: not a results file (an llmops export from 'llmops runs export', or "
                    "promptfoo's 'eval -o results.json')",
                    name);
    }
    FailingCases out;
    for (const auto& row : *rows) {
        if (!row.is_object() || row.value("success", true)) {
            continue;
        }
        const json* vars = row.contains("vars") ? &row["vars"] : nullptr;
        if (vars == nullptr && row.contains("testCase") && row["testCase"].is_object()) {
            vars = row["testCase"].contains("vars") ? &row["testCase"]["vars"] : nullptr;
        }
        out.vars.insert(util::canonical_json(vars ? *vars : json::object()));
    }
    return out;
}

Expected<FailingCases> read_failing_file(const std::string& path) {
    const auto text = LLMOPS_TRY(util::read_file(path));
    const auto doc = LLMOPS_TRY(util::parse_json(text, path));
    if (!doc.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: not a results file", path);
    }
    if (!doc.contains("llmops_export")) {
        return promptfoo_failing(doc, path);
    }
    FailingCases out;
    for (const auto& row : doc.value("results", json::array())) {
        if (row.is_object() && row.value("status", "") != "pass") {
            out.ids.insert(row.value("case_id", ""));
        }
    }
    return out;
}

} // namespace

class CaseSelector {
public:
    static Expected<CaseSelector> make(store::Database& db, const Suite& suite,
                                       const CaseFilter& f) {
        CaseSelector sel;
        sel.m_filter = f;
        if (f.pattern) {
            auto compiled = detail::Regex::compile(*f.pattern);
            if (!compiled) {
                return fail(ErrorCode::invalid_input, "--filter-pattern '{}': {}", *f.pattern,
                            compiled.error().message());
            }
            sel.m_pattern = std::move(*compiled);
        }
        if (f.failing_run) {
            LLMOPS_TRY(store::load_run(db, *f.failing_run));
            // A case "failed" in that run when any of its results is not a pass.
            sel.m_failing.ids = LLMOPS_TRY(store::failing_case_ids(db, *f.failing_run));
        }
        if (f.failing_file) {
            sel.m_failing = LLMOPS_TRY(read_failing_file(*f.failing_file));
        }
        int64_t matching = suite.tests.size();
        if (f.pattern || f.failing_run || f.failing_file) {
            matching = 0;
            LLMOPS_TRY(suite.tests.for_each([&](const TestCase& c) {
                matching += sel.matches(c) ? 1 : 0;
                return true;
            }));
        }
        int64_t count = matching;
        if (f.sample && *f.sample < matching) {
            sel.m_sampled = sampled(matching, *f.sample, f.seed);
            count = *f.sample;
        }
        if (f.first_n && *f.first_n < count) {
            count = *f.first_n;
        }
        if (f.shard) {
            const auto [index, n] = *f.shard;
            count = count / n + ((index - 1) < count % n ? 1 : 0);
        }
        if (count <= 0) {
            return fail(ErrorCode::invalid_input, "the filters leave no case to run");
        }
        sel.m_count = count;
        return sel;
    }

    // Whether `c`, the next case of the walk, runs.
    bool take(const TestCase& c) {
        if (!matches(c)) {
            return false;
        }
        const size_t k = static_cast<size_t>(m_matched++);
        if (!m_sampled.empty() && !m_sampled[k]) {
            return false;
        }
        const int64_t j = m_kept++;
        if (m_filter.first_n && j >= *m_filter.first_n) {
            m_done = true;
            return false;
        }
        if (m_filter.shard && j % m_filter.shard->second != m_filter.shard->first - 1) {
            return false;
        }
        return true;
    }

    bool done() const { return m_done; } // no later case can be taken
    int64_t count() const { return m_count; }

private:
    bool matches(const TestCase& c) const {
        if (m_pattern && !m_pattern->search(c.id) && !m_pattern->search(c.description)) {
            return false;
        }
        if (!m_filter.failing_run && !m_filter.failing_file) {
            return true;
        }
        return m_failing.ids.contains(c.id) ||
               (!m_failing.vars.empty() && m_failing.vars.contains(util::canonical_json(c.vars)));
    }

    CaseFilter m_filter;
    std::optional<detail::Regex> m_pattern;
    FailingCases m_failing;
    std::vector<bool> m_sampled; // by index among the matching cases; empty: all
    int64_t m_matched = 0;
    int64_t m_kept = 0;
    int64_t m_count = 0;
    bool m_done = false;
};

CaseFeed::CaseFeed(std::unique_ptr<CaseSelector> selector, CaseSource::Cursor cursor)
    : m_selector(std::move(selector)), m_cursor(std::move(cursor)) {}
CaseFeed::CaseFeed(CaseFeed&&) noexcept = default;
CaseFeed& CaseFeed::operator=(CaseFeed&&) noexcept = default;
CaseFeed::~CaseFeed() = default;

Expected<CaseFeed> CaseFeed::make(store::Database& db, const Suite& suite,
                                  const CaseFilter& filter) {
    auto selector = LLMOPS_TRY(CaseSelector::make(db, suite, filter));
    return CaseFeed(std::make_unique<CaseSelector>(std::move(selector)), suite.tests.cursor());
}

int64_t CaseFeed::count() const {
    return m_selector->count();
}

std::shared_ptr<const TestCase> CaseFeed::next() {
    while (!m_done) {
        if (m_selector->done()) {
            break;
        }
        auto next = m_cursor->next();
        if (!next) {
            m_error = next.error();
            break;
        }
        if (*next == nullptr) {
            break;
        }
        if (m_selector->take(**next)) {
            return std::make_shared<const TestCase>(**next);
        }
    }
    m_done = true;
    return nullptr;
}

} // namespace llmops::eval
