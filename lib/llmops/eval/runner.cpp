#include <llmops/eval/runner.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <regex>

#include <fmt/format.h>

#include <llmops/eval/judge/judge.hpp>

#include <llmops/prompt/definition.hpp>
#include <llmops/prompt/operations.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/provider/wire.hpp>
#include <llmops/store/cache.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/build_info.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/subprocess.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/process_info.hpp>
#include <llmops/util/time.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;

// Calls handed to the engine at once beyond the concurrency: enough to keep every slot busy,
// few enough that memory does not grow with the suite.
constexpr int k_window_factor = 4;

struct ResolvedPrompt {
    std::string label;
    std::string version_id;
    prompt::PromptDefinition def;
    provider::Params params; // from the prompt's config
};

} // namespace

provider::Params prompt_params(const std::string& config_json) {
    provider::Params p;
    const json config = json::parse(config_json, nullptr, false);
    if (!config.is_object()) {
        return p;
    }
    auto number = [&](const char* key) -> std::optional<double> {
        auto it = config.find(key);
        return it != config.end() && it->is_number() ? std::optional(it->get<double>()) : std::nullopt;
    };
    auto integer = [&](const char* key) -> std::optional<int64_t> {
        auto it = config.find(key);
        return it != config.end() && it->is_number_integer() ? std::optional(it->get<int64_t>())
                                                             : std::nullopt;
    };
    p.temperature = number("temperature");
    p.top_p = number("top_p");
    p.max_tokens = integer("max_tokens");
    p.seed = integer("seed");
    if (auto it = config.find("stop"); it != config.end() && it->is_array()) {
        for (const auto& s : *it) {
            if (s.is_string()) {
                p.stop.push_back(s.get<std::string>());
            }
        }
    }
    if (auto it = config.find("response_format"); it != config.end() && it->is_object()) {
        p.response_format_json = it->dump();
    }
    return p;
}

namespace {

// How a prompt file is named in variant labels: its prompt name when it lives under a
// `prompts/` folder (prompts/support/triage.yaml -> support/triage), else its file name.
std::string file_label(const std::filesystem::path& path) {
    const std::string text = path.lexically_normal().replace_extension().string();
    const auto at = text.rfind("prompts/");
    if (at != std::string::npos && (at == 0 || text[at - 1] == '/')) {
        return text.substr(at + 8);
    }
    return path.filename().string();
}

Expected<ResolvedPrompt> resolve_prompt(store::PromptStore& prompts, const PromptEntry& entry,
                                        const Suite& suite) {
    ResolvedPrompt out;
    switch (entry.kind) {
    case PromptEntry::Kind::store_ref: {
        auto loaded = prompt::load_version(prompts, entry.value);
        if (!loaded) {
            return fail(loaded.error().code(), "{}: {}", entry.where, loaded.error().message());
        }
        out.def = std::move(loaded->def);
        out.label = entry.label.empty()
                        ? fmt::format("{}@{}", loaded->version.name, loaded->version.number)
                        : entry.label;
        break;
    }
    case PromptEntry::Kind::file: {
        auto text = util::read_file(entry.value);
        if (!text) {
            return fail(text.error().code(), "{}: {}", entry.where, text.error().message());
        }
        const std::string shown = util::relative_display(entry.value, suite.base_dir);
        const std::filesystem::path path(entry.value);
        if (path.extension() == ".json") {
            const json messages = json::parse(*text, nullptr, false);
            if (!messages.is_array() || messages.empty()) {
                return fail(ErrorCode::invalid_input,
                            "{}: '{}' must hold a JSON list of {{role, content}} messages",
                            entry.where, shown);
            }
            out.def.name = "file";
            for (const auto& m : messages) {
                if (!m.is_object() || !m.value("role", json()).is_string() ||
                    !m.value("content", json()).is_string()) {
                    return fail(ErrorCode::invalid_input,
                                "{}: '{}': every message needs string 'role' and 'content'",
                                entry.where, shown);
                }
                out.def.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
            }
        } else if (auto format = prompt::format_for_path(entry.value);
                   format && path.extension() != ".txt") {
            auto def = prompt::parse_prompt_file(*text, *format, path.stem().string(), shown);
            if (!def) {
                return fail(def.error());
            }
            out.def = std::move(*def);
        } else {
            out.def.name = "file";
            out.def.template_text = *text;
        }
        out.label = entry.label.empty() ? file_label(path) : entry.label;
        break;
    }
    case PromptEntry::Kind::text: {
        out.def.name = "inline";
        out.def.template_text = entry.value;
        if (!entry.label.empty()) {
            out.label = entry.label;
        } else {
            std::string first_line = entry.value.substr(0, entry.value.find('\n'));
            out.label = first_line.size() > 40 ? first_line.substr(0, 37) + "..." : first_line;
        }
        break;
    }
    }
    // Inline text and raw files come from no prompt file, so nothing checked their sections:
    // refuse a broken one here, once, rather than fail every case at render.
    if (entry.kind != PromptEntry::Kind::store_ref) {
        if (auto ok = prompt::check_templates(out.def, entry.where); !ok) {
            return fail(ok.error());
        }
    }
    out.version_id = prompt::version_id(out.def);
    out.params = prompt_params(out.def.config_json);
    return out;
}

std::vector<provider::ChatMessage> to_messages(const prompt::RenderedPrompt& rendered) {
    std::vector<provider::ChatMessage> messages;
    if (rendered.text) {
        messages.push_back({"user", *rendered.text});
    }
    for (const auto& m : rendered.messages) {
        messages.push_back({m.role, m.content});
    }
    return messages;
}

std::string messages_json(const std::vector<provider::ChatMessage>& messages) {
    json out = json::array();
    for (const auto& m : messages) {
        out.push_back({{"role", m.role}, {"content", m.content}});
    }
    return out.dump();
}

std::string prompt_text(const std::vector<provider::ChatMessage>& messages) {
    std::string text;
    for (const auto& m : messages) {
        text += text.empty() ? "" : "\n\n";
        text += m.content;
    }
    return text;
}

json assertion_json(const AssertionResult& r) {
    json out{{"type", r.type},     {"pass", r.pass},     {"score", r.score},
             {"reason", r.reason}, {"weight", r.weight}, {"error", r.error}};
    if (!r.metric.empty()) {
        out["metric"] = r.metric;
    }
    if (!r.judge.is_null()) {
        out["judge"] = r.judge;
    }
    if (!r.children.empty()) {
        json children = json::array();
        for (const auto& c : r.children) {
            children.push_back(assertion_json(c));
        }
        out["children"] = children;
    }
    return out;
}

// The git commit of the project's working tree, and whether it has uncommitted changes; null
// outside a repository or without git.
json git_state(const std::filesystem::path& root) {
    util::ProcessOptions options;
    options.timeout_ms = 5000;
    auto head = util::run_process({"git", "-C", root.string(), "rev-parse", "HEAD"}, options);
    if (!head || head->exit_code != 0 || head->timed_out) {
        return nullptr;
    }
    std::string commit = head->out.substr(0, head->out.find('\n'));
    auto status = util::run_process(
        {"git", "-C", root.string(), "status", "--porcelain", "--untracked-files=no"}, options);
    const bool dirty = status && status->exit_code == 0 && !status->out.empty();
    return json{{"commit", commit}, {"dirty", dirty}};
}

json price_snapshot(const provider::Provider& p, const provider::PriceTable& prices) {
    if (const auto& cost = p.config().cost) {
        return json{{"source", "provider config"}, {"input", cost->input}, {"output", cost->output}};
    }
    const auto [name, model] = p.priced_as();
    if (model.empty()) {
        return nullptr;
    }
    const provider::PriceEntry* e = prices.find(model, name);
    if (e == nullptr) {
        return json{{"model", model}, {"unpriced", true}};
    }
    json out{{"provider", e->provider},      {"model", e->model},
             {"input", e->prices.input},     {"output", e->prices.output},
             {"effective", e->effective},    {"source", e->source}};
    if (e->prices.cached_input) out["cached_input"] = *e->prices.cached_input;
    if (e->prices.cache_write) out["cache_write"] = *e->prices.cache_write;
    if (e->long_context_above) {
        out["long_context_above"] = *e->long_context_above;
        out["long_context"] = {{"input", e->long_context.input}, {"output", e->long_context.output}};
    }
    return out;
}

// Which cases run (SPEC §7 filters), decided one case at a time as the walk reaches them, in
// the order filter_pattern, failing, sample, first_n, shard. How many will run is known before
// the first call (an empty selection is an error, the progress bar has a total): with a pattern
// or `--failing`, that takes one extra walk over the cases.
class CaseSelector {
  public:
    static Expected<CaseSelector> make(store::Database& db, const Suite& suite, const CaseFilter& f) {
        CaseSelector sel;
        sel.m_filter = f;
        if (f.pattern) {
            try {
                sel.m_pattern = std::regex(*f.pattern, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                return fail(ErrorCode::invalid_input, "--filter-pattern '{}': {}", *f.pattern, e.what());
            }
        }
        if (f.failing_run) {
            if (auto ok = store::load_run(db, *f.failing_run); !ok) {
                return fail(ok.error());
            }
            // A case "failed" in that run when any of its results is not a pass.
            auto failing = store::failing_case_ids(db, *f.failing_run);
            if (!failing) {
                return fail(failing.error());
            }
            sel.m_failing = std::move(*failing);
        }
        int64_t matching = suite.tests.size();
        if (f.pattern || f.failing_run) {
            matching = 0;
            auto ok = suite.tests.for_each([&](const TestCase& c) {
                matching += sel.matches(c) ? 1 : 0;
                return true;
            });
            if (!ok) {
                return fail(ok.error());
            }
        }
        int64_t count = matching;
        if (f.sample && *f.sample < matching) {
            std::vector<size_t> order(static_cast<size_t>(matching));
            for (size_t i = 0; i < order.size(); ++i) {
                order[i] = i;
            }
            std::mt19937_64 random(f.seed);
            std::shuffle(order.begin(), order.end(), random);
            order.resize(static_cast<size_t>(*f.sample));
            sel.m_sampled.assign(static_cast<size_t>(matching), false);
            for (size_t i : order) {
                sel.m_sampled[i] = true;
            }
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
        if (m_pattern && !std::regex_search(c.id, *m_pattern) && !std::regex_search(c.description, *m_pattern)) {
            return false;
        }
        return !m_filter.failing_run || m_failing.contains(c.id);
    }

    CaseFilter m_filter;
    std::optional<std::regex> m_pattern;
    std::set<std::string> m_failing;
    std::vector<bool> m_sampled; // by index among the matching cases; empty: all
    int64_t m_matched = 0;
    int64_t m_kept = 0;
    int64_t m_count = 0;
    bool m_done = false;
};

// Names what differs between a run being resumed and the suite now.
std::optional<std::string> resume_difference(const store::RunRecord& run, const Suite& suite,
                                             const std::vector<store::VariantRecord>& variants) {
    if (run.suite_hash != suite.hash) {
        return "the suite file changed";
    }
    if (run.dataset_hash != suite.dataset_hash) {
        return "the dataset changed";
    }
    if (run.variants.size() != variants.size()) {
        return "the prompts or providers changed";
    }
    for (size_t i = 0; i < variants.size(); ++i) {
        const auto& a = run.variants[i];
        const auto& b = variants[i];
        if (a.prompt_version_id != b.prompt_version_id) {
            return fmt::format("prompt '{}' changed", b.prompt_label);
        }
        if (a.provider_id != b.provider_id || a.provider_config != b.provider_config) {
            return fmt::format("provider '{}' changed", b.provider_label);
        }
    }
    return std::nullopt;
}

// Whether any of `specs` (assert-set children included) runs a script: python or exec.
bool has_scripts(const std::vector<AssertionSpec>& specs) {
    return std::any_of(specs.begin(), specs.end(), [](const AssertionSpec& a) {
        return a.type == "python" || a.type == "exec" || has_scripts(a.children);
    });
}

// One scheduled unit of work.
struct WorkItem {
    std::shared_ptr<const TestCase> test;
    int case_index;
    int variant;
    int repeat;
};

// A call's answer on its way to a verdict: the judge calls of its model-graded assertions, then
// its script assertions, may come between the answer and the stored result.
struct Pending {
    WorkItem item;
    std::vector<provider::ChatMessage> messages;
    provider::CallOutcome outcome;
    judge::Exchange exchange;
    int64_t calls_left = 0; // judge calls not finished yet
    CaseVerdict verdict;
    bool judged = false;
};

// The variants' answers to one case and repeat, gathered for select-best.
struct Group {
    int expected = 0; // variants scheduled for this case and repeat
    int arrived = 0;  // answers (or errors) received
    judge::Peers peers;
    std::vector<std::shared_ptr<Pending>> waiting; // answers waiting for the group's verdict
    judge::Exchange exchange;                      // the select-best calls, shared
    int64_t calls_left = 0;
};

// The judge parts of stored assertion results (for summaries of stored runs).
std::vector<AssertionResult> assertion_results_from_json(const json& list) {
    std::vector<AssertionResult> out;
    if (!list.is_array()) {
        return out;
    }
    for (const auto& a : list) {
        if (!a.is_object()) {
            continue;
        }
        AssertionResult r;
        r.error = a.value("error", false);
        if (auto j = a.find("judge"); j != a.end()) {
            r.judge = *j;
        }
        if (auto c = a.find("children"); c != a.end()) {
            r.children = assertion_results_from_json(*c);
        }
        out.push_back(std::move(r));
    }
    return out;
}

// Counts the model-graded assertions judged and those whose samples disagreed (judge noise).
void count_judged(const std::vector<AssertionResult>& results, int64_t& judged, int64_t& split,
                  int64_t& flips) {
    for (const auto& r : results) {
        if (r.judge.is_object() && !r.error) {
            ++judged;
            split += r.judge.value("split", false) ? 1 : 0;
            flips += r.judge.value("position_flips", 0);
        }
        count_judged(r.children, judged, split, flips);
    }
}

} // namespace

double VariantSummary::pass_rate() const {
    const int64_t judged = pass + fail;
    return judged == 0 ? 0.0 : static_cast<double>(pass) / static_cast<double>(judged);
}

double VariantSummary::mean_score() const {
    const int64_t judged = pass + fail;
    return judged == 0 ? 0.0 : score_sum / static_cast<double>(judged);
}

double VariantSummary::latency_percentile(double p) const {
    if (latencies_ms.empty()) {
        return 0;
    }
    std::vector<double> sorted = latencies_ms;
    std::sort(sorted.begin(), sorted.end());
    // Linear interpolation between closest ranks (NumPy's default "linear" method).
    const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(rank));
    const auto hi = static_cast<size_t>(std::ceil(rank));
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

json VariantSummary::to_json() const {
    return json{{"variant", index},
                {"label", label},
                {"results", results},
                {"pass", pass},
                {"fail", fail},
                {"errors", errors},
                {"pass_rate", pass_rate()},
                {"mean_score", mean_score()},
                {"input_tokens", input_tokens},
                {"output_tokens", output_tokens},
                {"cost_usd", cost_usd},
                {"spent_usd", spent_usd},
                {"unpriced", unpriced},
                {"cached", cached},
                {"latency_p50_ms", latency_percentile(50)},
                {"latency_p95_ms", latency_percentile(95)},
                {"judge", {{"calls", judge_calls},
                           {"input_tokens", judge_input_tokens},
                           {"output_tokens", judge_output_tokens},
                           {"cost_usd", judge_cost_usd},
                           {"spent_usd", judge_spent_usd},
                           {"unpriced", judge_unpriced},
                           {"assertions", judged_assertions},
                           {"split", judge_split},
                           {"noise_rate", judge_noise_rate()},
                           {"position_flips", position_flips}}}};
}

double VariantSummary::judge_noise_rate() const {
    return judged_assertions == 0 ? 0.0
                                  : static_cast<double>(judge_split) / static_cast<double>(judged_assertions);
}

void VariantSummary::add_judge(const store::ResultRecord& r, const std::vector<AssertionResult>& assertions) {
    judge_calls += r.judge_calls;
    judge_input_tokens += r.judge_input_tokens;
    judge_output_tokens += r.judge_output_tokens;
    if (r.judge_cost_usd) {
        judge_cost_usd += *r.judge_cost_usd;
    } else {
        ++judge_unpriced;
    }
    judge_spent_usd += r.judge_spent_usd;
    count_judged(assertions, judged_assertions, judge_split, position_flips);
}

int64_t RunSummary::total(int64_t VariantSummary::*field) const {
    int64_t sum = 0;
    for (const auto& v : variants) {
        sum += v.*field;
    }
    return sum;
}

json RunSummary::to_json() const {
    json variants_json = json::array();
    for (const auto& v : variants) {
        variants_json.push_back(v.to_json());
    }
    return json{{"run", run_id},
                {"status", status},
                {"variants", variants_json},
                {"stopped_by_cost", stopped_by_cost},
                {"stopped_by_errors", stopped_by_errors},
                {"stopped_by_connection", stopped_by_connection},
                {"interrupted", interrupted}};
}

namespace {

// The state of one run in progress.
class Run {
public:
    Run(store::Database& db, const store::Project& project, const Suite& suite,
        const RunOptions& options, const ResultListener& on_result)
        : m_db(db), m_project(project), m_suite(suite), m_options(options),
          m_on_result(on_result) {}

    Expected<RunSummary> execute(const std::function<bool()>& should_stop);
    Expected<RunEstimate> estimate();

private:
    // `estimate`'s share of the judge: where its output tokens come from (and that number).
    Expected<std::pair<JudgeEstimate, int64_t>> judge_output_basis(const std::string& suite_path);
    // Adds the judge calls of `test` on `answers` (by repeat, then variant) to `e`.
    void estimate_judge(const std::shared_ptr<const TestCase>& test,
                        const std::vector<std::vector<std::optional<provider::CallOutcome>>>& answers,
                        const std::vector<std::string>& prompt_texts, int64_t verdict_tokens,
                        store::ResponseCache* cache, JudgeEstimate& e) const;
    Expected<void> prepare(bool keys_optional = false);
    Expected<void> start_run_record();
    // Schedules calls until the window is full or the matrix is walked. Never re-entered: an
    // answer that arrives while it runs (a prompt that cannot render, a cache hit, a local
    // provider) asks for another pass instead, so the stack stays flat however many answer at once.
    void pump(provider::CallEngine& engine);
    void schedule(provider::CallEngine& engine);
    bool next_case();
    Expected<void> prepare_judge(const provider::EnvLookup& env);
    Expected<void> ensure_judge_prompts(const std::vector<AssertionSpec>& specs);
    void on_outcome(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                    Expected<provider::CallOutcome> outcome, const CaseVerdict* judged = nullptr,
                    const judge::Exchange* exchange = nullptr);
    CaseVerdict judge(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                      const provider::CallOutcome& outcome,
                      const judge::Exchange* exchange = nullptr) const;
    AssertionContext context_for(const WorkItem& item, const std::string& prompt_text,
                                 const provider::CallOutcome& o) const;
    void answered(provider::CallEngine& engine, const WorkItem& item,
                  std::vector<provider::ChatMessage> messages, Expected<provider::CallOutcome> outcome);
    void after_judge(provider::CallEngine& engine, const std::shared_ptr<Pending>& pending);
    void group_arrived(provider::CallEngine& engine, const std::shared_ptr<Pending>& pending,
                       const WorkItem& item, bool has_output);
    void store_result(store::ResultRecord record);
    // Renews the run's lease (at most once a second); a lease lost to another process stops
    // the run as a write error.
    void renew_lease();

    store::Database& m_db;
    const store::Project& m_project;
    const Suite& m_suite;
    const RunOptions& m_options;
    const ResultListener& m_on_result;

    std::vector<ResolvedPrompt> m_prompts;
    std::vector<std::unique_ptr<provider::Provider>> m_providers;
    std::vector<store::VariantRecord> m_variants;
    std::optional<CaseSelector> m_selector;
    std::optional<CaseSource::Cursor> m_cursor;
    std::shared_ptr<const TestCase> m_case; // the case being scheduled
    bool m_cases_done = false;
    std::optional<Error> m_walk_error;      // the dataset could not be read again
    int64_t m_record_failures = 0;          // --record lines that could not be written
    std::string m_record_error;
    std::set<std::tuple<int, std::string, int>> m_done; // resumed keys
    provider::PriceTable m_prices;
    int m_repeat = 1;
    std::unique_ptr<provider::Provider> m_judge_provider;
    std::unique_ptr<provider::Provider> m_embedder;
    judge::Setup m_judge;
    std::map<std::pair<int64_t, int>, Group> m_groups; // select-best: (case position, repeat)
    std::map<std::pair<int64_t, int>, int> m_group_sizes; // variants scheduled per group

    RunSummary m_summary;
    std::optional<store::ResultWriter> m_writer;
    std::optional<Error> m_write_error;
    // Every secret the run knows (start_run_record): added to every provider, so the engine
    // redacts answers with them, and used by store_result on everything else a result holds
    // (short ones in error messages only, as the engine does: see util::Redactor::Short).
    util::Redactor m_redactor;
    util::Redactor m_error_redactor;

    // The lazy matrix walk: case-major, then variant, then repeat.
    int m_next_variant = 0;
    int m_next_repeat = 0;
    int64_t m_outstanding = 0;
    bool m_stop_scheduling = false;
    util::ProcessIdentity m_identity = util::self_process(); // the writer named in the lease
    int64_t m_lease_renewed_ms = util::unix_ms();
    int64_t m_connection_failures = 0; // calls in a row that could not reach their provider
    bool m_lease_lost = false; // another process took the run over: write nothing more to it
    bool m_pumping = false;   // pump is on the stack
    bool m_pump_again = false; // an answer asked for another pass while it was
    std::function<bool()> m_should_stop;
};

// `keys_optional`: for an estimate, which calls nothing, a missing API key is not an error.
Expected<void> Run::prepare(bool keys_optional) {
    store::PromptStore prompts(m_db);
    for (const auto& entry : m_suite.prompts) {
        auto resolved = resolve_prompt(prompts, entry, m_suite);
        if (!resolved) {
            return fail(resolved.error());
        }
        m_prompts.push_back(std::move(*resolved));
    }
    provider::EnvLookup env = provider::process_env();
    if (keys_optional) {
        env = [real = env](std::string_view name) -> std::optional<std::string> {
            auto value = real(name);
            if (!value && (name.ends_with("_KEY") || name.ends_with("_TOKEN"))) {
                return std::string("not-set-estimate-only");
            }
            return value;
        };
    }
    for (const auto& config : m_suite.providers) {
        auto made = provider::Provider::create(config, env);
        if (!made) {
            return fail(made.error());
        }
        m_providers.push_back(std::move(*made));
    }
    if (auto ok = prepare_judge(env); !ok) {
        return fail(ok.error());
    }
    auto prices = provider::load_price_table(m_project.dir / "prices.yaml");
    if (!prices) {
        return fail(prices.error());
    }
    m_prices = std::move(*prices);
    int index = 0;
    for (const auto& p : m_prompts) {
        for (const auto& provider : m_providers) {
            store::VariantRecord v;
            v.index = index++;
            v.prompt_label = p.label;
            v.prompt_version_id = p.version_id;
            v.provider_id = provider->id();
            v.provider_label = provider->config().label;
            v.provider_config = provider->config().public_config;
            v.label = fmt::format("{} | {}", p.label, v.provider_label);
            m_variants.push_back(std::move(v));
            VariantSummary s;
            s.index = m_variants.back().index;
            s.label = m_variants.back().label;
            m_summary.variants.push_back(std::move(s));
        }
    }
    auto selector = CaseSelector::make(m_db, m_suite, m_options.filter);
    if (!selector) {
        return fail(selector.error());
    }
    m_selector = std::move(*selector);
    m_cursor = m_suite.tests.cursor();
    m_repeat = std::max(1, m_options.repeat.value_or(m_suite.repeat));
    return {};
}

// The judge model (SPEC §9): --judge, else the suite's judge.provider or
// defaultTest.options.provider, else LLMOPS_JUDGE; and the judge prompts the suite's
// model-graded assertions use (committed to the store on first use).
Expected<void> Run::prepare_judge(const provider::EnvLookup& env) {
    auto made = judge::make_judge(m_suite, m_options.judge, env);
    if (!made) {
        return fail(made.error());
    }
    auto embedder = judge::make_embedder(m_suite, env);
    if (!embedder) {
        return fail(embedder.error());
    }
    // The types that need a judge model: all model-graded ones but `similar` when an
    // embedding model is set.
    std::set<std::string> needing;
    for (const auto& [type, ref] : m_suite.judge_prompts) {
        if (judge::uses_judge_prompt(type) || !*embedder) {
            needing.insert(type);
        }
    }
    if (!*made && !needing.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: model-graded assertions ({}) need a judge model: pass --judge "
                    "PROVIDER, set 'judge: {{provider: ...}}' in the suite, or set LLMOPS_JUDGE",
                    m_suite.path.filename().string(),
                    util::join(std::vector<std::string>(needing.begin(), needing.end()), ", "));
    }
    if (*embedder) {
        m_embedder = std::move(*embedder);
        m_judge.embedder = m_embedder.get();
    }
    if (!*made) {
        return {};
    }
    m_judge_provider = std::move(*made);
    m_judge.provider = m_judge_provider.get();
    m_judge.samples = std::max(1, m_options.judge_samples.value_or(m_suite.judge_samples));
    for (const auto& [type, ref] : m_suite.judge_prompts) {
        if (!judge::uses_judge_prompt(type)) {
            continue;
        }
        auto loaded = judge::load_judge_prompt(m_db, type, ref);
        if (!loaded) {
            return fail(loaded.error());
        }
        m_judge.prompts.emplace(judge::prompt_key(type, ref), std::move(*loaded));
    }
    return {};
}

// Loads the judge prompts of `specs` not loaded yet (suites built in memory list none up front).
Expected<void> Run::ensure_judge_prompts(const std::vector<AssertionSpec>& specs) {
    for (const auto& spec : specs) {
        if (judge::uses_judge_prompt(spec.type) && m_judge.provider != nullptr) {
            auto it = spec.config.find("prompt");
            const std::string ref = it != spec.config.end() && it->is_string() ? it->get<std::string>() : "";
            const std::string key = judge::prompt_key(spec.type, ref);
            if (!m_judge.prompts.contains(key)) {
                auto loaded = judge::load_judge_prompt(m_db, spec.type, ref);
                if (!loaded) {
                    return fail(loaded.error());
                }
                m_judge.prompts.emplace(key, std::move(*loaded));
            }
        }
        if (auto ok = ensure_judge_prompts(spec.children); !ok) {
            return ok;
        }
    }
    return {};
}

Expected<void> Run::start_run_record() {
    // The secrets of every provider the run calls and of the environment: none of them may
    // reach the run's provenance, its variants or its results.
    std::vector<std::string> secrets = provider::environment_secrets(provider::process_env());
    std::vector<provider::Provider*> callers = {m_judge_provider.get(), m_embedder.get()};
    for (const auto& p : m_providers) {
        callers.push_back(p.get());
    }
    std::erase(callers, nullptr);
    for (const provider::Provider* p : callers) {
        secrets.insert(secrets.end(), p->secrets().begin(), p->secrets().end());
    }
    for (provider::Provider* p : callers) {
        p->add_secrets(secrets);
    }
    m_redactor = util::Redactor(secrets, util::Redactor::Short::kept);
    m_error_redactor = util::Redactor(secrets);
    for (auto& v : m_variants) {
        m_redactor.redact_json(v.provider_config);
    }
    if (m_options.resume_run) {
        auto run = store::load_run(m_db, *m_options.resume_run);
        if (!run) {
            return fail(run.error());
        }
        if (auto diff = resume_difference(*run, m_suite, m_variants)) {
            return fail(ErrorCode::conflict, "cannot resume run {}: {} since it started",
                        *m_options.resume_run, *diff);
        }
        // The lease first, then what is done: a second writer is refused before it reads.
        auto previous = store::reopen_run(m_db, run->id, m_identity);
        if (!previous) {
            return fail(previous.error());
        }
        if (*previous && (*previous)->holder.pid != m_identity.pid) {
            m_summary.warnings.push_back(
                fmt::format("run {} was left by {}, which is gone; this process took it over",
                            run->id, store::describe_lease(**previous, util::unix_ms())));
        }
        auto done = store::result_keys(m_db, run->id, false);
        if (!done) {
            return fail(done.error());
        }
        m_done = std::move(*done);
        m_summary.run_id = run->id;
        return {};
    }
    store::RunRecord run;
    run.suite_path = m_options.suite_display_path.empty() ? m_suite.path.string()
                                                          : m_options.suite_display_path;
    run.suite_hash = m_suite.hash;
    run.dataset_hash = m_suite.dataset_hash;
    run.description = m_suite.description;
    run.variants = m_variants;
    json prompts = json::array();
    for (const auto& p : m_prompts) {
        // The content itself, so that a diff of two runs can show how the prompt changed even
        // when it was a file or inline text rather than a version in the store.
        prompts.push_back({{"label", p.label}, {"version_id", p.version_id},
                           {"content", json::parse(prompt::canonical_content(p.def), nullptr, false)}});
    }
    json providers = json::array();
    json prices = json::object();
    for (const auto& p : m_providers) {
        providers.push_back({{"id", p->id()}, {"label", p->config().label},
                             {"config", p->config().public_config}});
        prices[p->id()] = price_snapshot(*p, m_prices);
    }
    const auto& f = m_options.filter;
    json filters = json::object();
    if (f.pattern) filters["filter_pattern"] = *f.pattern;
    if (f.failing_run) filters["failing"] = *f.failing_run;
    if (f.sample) filters["sample"] = {{"n", *f.sample}, {"seed", f.seed}};
    if (f.first_n) filters["first_n"] = *f.first_n;
    if (f.shard) filters["shard"] = fmt::format("{}/{}", f.shard->first, f.shard->second);
    run.provenance = json{{"llmops_version", util::version()},
                          {"suite_file", std::filesystem::absolute(m_suite.path).lexically_normal().string()},
                          {"llmops_commit", util::git_commit()},
                          {"git", git_state(m_project.root)},
                          {"command_line", util::sanitize_urls(m_options.command_line)},
                          {"prompts", prompts},
                          {"providers", providers},
                          {"prices", prices},
                          {"filters", filters},
                          {"repeat", m_repeat},
                          {"cases", m_selector->count()},
                          {"concurrency", m_options.concurrency}};
    if (m_judge.provider != nullptr) {
        json judge_prompts = json::object();
        for (const auto& [key, p] : m_judge.prompts) {
            judge_prompts[key] = {{"ref", p.ref}, {"version_id", p.version_id}};
        }
        run.provenance["judge"] = {{"id", m_judge.provider->id()},
                                   {"label", m_judge.provider->config().label},
                                   {"config", m_judge.provider->config().public_config},
                                   {"samples", m_judge.samples},
                                   {"prompts", judge_prompts}};
        run.provenance["prices"][m_judge.provider->id()] = price_snapshot(*m_judge.provider, m_prices);
    }
    if (m_judge.embedder != nullptr) {
        if (!run.provenance.contains("judge")) {
            run.provenance["judge"] = json::object();
        }
        run.provenance["judge"]["embedding"] = {{"id", m_judge.embedder->id()},
                                                {"config", m_judge.embedder->config().public_config}};
        run.provenance["prices"][m_judge.embedder->id()] = price_snapshot(*m_judge.embedder, m_prices);
    }
    m_redactor.redact_json(run.provenance);
    run.description = m_redactor.redact(run.description);
    auto id = store::create_run(m_db, run, &m_identity);
    if (!id) {
        return fail(id.error());
    }
    m_summary.run_id = *id;
    return {};
}

// The next case the filters take, into m_case; false at the end of the cases.
bool Run::next_case() {
    while (!m_cases_done && !m_case) {
        if (m_selector->done()) {
            m_cases_done = true;
            break;
        }
        auto next = m_cursor->next();
        if (!next) {
            m_walk_error = next.error();
            m_stop_scheduling = true;
            m_cases_done = true;
            break;
        }
        if (*next == nullptr) {
            m_cases_done = true;
            break;
        }
        if (m_selector->take(**next)) {
            m_case = std::make_shared<const TestCase>(**next);
            if (judge::has_model_graded(m_case->asserts, "select-best")) {
                // select-best judges the variants' answers together: how many will come.
                for (int r = 0; r < m_repeat; ++r) {
                    int expected = 0;
                    for (int v = 0; v < static_cast<int>(m_variants.size()); ++v) {
                        expected += m_done.contains({v, m_case->id, r}) ? 0 : 1;
                    }
                    m_group_sizes[{m_case->position, r}] = expected;
                }
            }
        }
    }
    return m_case != nullptr;
}

void Run::renew_lease() {
    const int64_t now = util::unix_ms();
    if (m_write_error || now - m_lease_renewed_ms < 1000) {
        return;
    }
    m_lease_renewed_ms = now;
    if (auto ok = store::renew_lease(m_db, m_summary.run_id, m_identity); !ok) {
        m_lease_lost = ok.error().code() == ErrorCode::conflict;
        m_write_error = ok.error();
        m_stop_scheduling = true;
    }
}

void Run::pump(provider::CallEngine& engine) {
    if (m_pumping) {
        m_pump_again = true;
        return;
    }
    m_pumping = true;
    do {
        m_pump_again = false;
        schedule(engine);
    } while (m_pump_again);
    m_pumping = false;
}

void Run::schedule(provider::CallEngine& engine) {
    const int64_t window = static_cast<int64_t>(m_options.concurrency) * k_window_factor;
    // A case with select-best is scheduled whole whatever the window: its answers wait for
    // each other, so a window full of them would wait forever.
    const auto room = [&] {
        return m_outstanding < window || (m_case && m_group_sizes.contains({m_case->position, 0}));
    };
    while (!m_stop_scheduling && room() && next_case()) {
        if (m_should_stop && m_should_stop()) {
            // Local answers (echo, replay, cache hits) may finish a whole run between two looks
            // of the engine at its stop flag: look before each new call too.
            m_summary.interrupted = true;
            m_stop_scheduling = true;
            break;
        }
        const std::shared_ptr<const TestCase> test = m_case;
        const WorkItem item{test, static_cast<int>(test->position), m_next_variant, m_next_repeat};
        // Advance the walk: repeat, then variant, then case.
        if (++m_next_repeat >= m_repeat) {
            m_next_repeat = 0;
            if (++m_next_variant >= static_cast<int>(m_variants.size())) {
                m_next_variant = 0;
                m_case.reset();
            }
        }
        if (m_done.contains({item.variant, test->id, item.repeat})) {
            ++m_summary.skipped_resumed;
            continue;
        }
        ++m_summary.planned;
        const size_t prompt_index = static_cast<size_t>(item.variant) / m_providers.size();
        const auto& resolved = m_prompts[prompt_index];
        const provider::Provider& provider = *m_providers[static_cast<size_t>(item.variant) % m_providers.size()];
        store::PromptStore prompts(m_db);
        auto rendered = prompt::render_prompt(resolved.def, test->vars, prompt::store_partial_loader(prompts),
                                              prompt::RenderOptions{});
        ++m_outstanding;
        if (!rendered) {
            answered(engine, item, {},
                     fail(rendered.error().code(), "{}: {}", test->where, rendered.error().message()));
            continue;
        }
        provider::CallJob job;
        job.provider = &provider;
        job.request.model = provider.config().spec.model;
        job.request.messages = to_messages(*rendered);
        job.request.params = resolved.params;
        job.vars = test->vars;
        job.repeat = item.repeat;
        auto messages = job.request.messages;
        engine.submit(std::move(job), [this, item, messages = std::move(messages),
                                       &engine](Expected<provider::CallOutcome> outcome) mutable {
            answered(engine, item, std::move(messages), std::move(outcome));
        });
    }
}

// A call's answer (or its error) arrived: judge calls, then script assertions, then the store.
void Run::answered(provider::CallEngine& engine, const WorkItem& item,
                   std::vector<provider::ChatMessage> messages,
                   Expected<provider::CallOutcome> outcome) {
    const bool grouped = m_group_sizes.contains({item.test->position, item.repeat});
    if (!outcome) {
        const bool never_started = outcome.error().code() == ErrorCode::interrupted;
        --m_outstanding;
        on_outcome(item, messages, std::move(outcome));
        if (grouped && !never_started) {
            group_arrived(engine, nullptr, item, false);
        }
        pump(engine);
        return;
    }
    auto pending = std::make_shared<Pending>();
    pending->item = item;
    pending->messages = std::move(messages);
    pending->outcome = std::move(*outcome);
    const auto& specs = item.test->asserts;
    if (judge::has_model_graded(specs)) {
        if (auto ok = ensure_judge_prompts(specs); !ok) {
            // Left unplanned, the model-graded assertions become errors naming the judge.
            m_summary.warnings.push_back(ok.error().message());
        }
        const std::string text = prompt_text(pending->messages);
        const AssertionContext context = context_for(item, text, pending->outcome);
        pending->exchange = judge::plan(specs, context, m_judge);
    }
    judge::submit(engine, m_judge, pending->exchange, pending->calls_left, [this, &engine, pending] {
        if (m_group_sizes.contains({pending->item.test->position, pending->item.repeat})) {
            group_arrived(engine, pending, pending->item, true);
        } else {
            after_judge(engine, pending);
        }
    });
}

// The judge has answered for `pending` (or had nothing to judge): script assertions next, on
// a worker thread, then the verdict is stored.
void Run::after_judge(provider::CallEngine& engine, const std::shared_ptr<Pending>& pending) {
    if (has_scripts(pending->item.test->asserts)) {
        // python and exec assertions run on a worker thread: a slow script holds up neither the
        // other calls nor the progress of the run.
        engine.run_in_background(
            [this, pending] {
                pending->verdict = judge(pending->item, pending->messages, pending->outcome,
                                         &pending->exchange);
            },
            [this, pending, &engine] {
                --m_outstanding;
                on_outcome(pending->item, pending->messages, std::move(pending->outcome),
                           &pending->verdict, &pending->exchange);
                pump(engine);
            });
        return;
    }
    --m_outstanding;
    on_outcome(pending->item, pending->messages, std::move(pending->outcome), nullptr,
               &pending->exchange);
    pump(engine);
}

// One variant's answer to a case with select-best arrived (`pending` null: the call failed).
// When the whole group is in, its select-best calls go out, and then every waiting answer
// carries on with its share of the verdicts.
void Run::group_arrived(provider::CallEngine& engine, const std::shared_ptr<Pending>& pending,
                        const WorkItem& item, bool has_output) {
    const std::pair<int64_t, int> key{item.test->position, item.repeat};
    Group& group = m_groups[key];
    group.expected = m_group_sizes[key];
    if (group.peers.outputs.empty()) {
        group.peers.outputs.resize(m_variants.size());
        group.peers.present.resize(m_variants.size(), false);
    }
    ++group.arrived;
    if (has_output && pending) {
        group.peers.outputs[static_cast<size_t>(item.variant)] = pending->outcome.result.output;
        group.peers.present[static_cast<size_t>(item.variant)] = true;
        group.waiting.push_back(pending);
    }
    if (group.arrived < group.expected) {
        return;
    }
    if (group.waiting.empty()) {
        m_groups.erase(key);
        m_group_sizes.erase(key);
        return;
    }
    // The input the judge is shown is the lowest variant's (not the first to answer): the
    // judge prompt, and so its cache key, must not depend on which answer came in first.
    const auto& first = *std::min_element(
        group.waiting.begin(), group.waiting.end(),
        [](const auto& a, const auto& b) { return a->item.variant < b->item.variant; });
    const std::string text = prompt_text(first->messages);
    const AssertionContext context = context_for(first->item, text, first->outcome);
    group.exchange = judge::plan(item.test->asserts, context, m_judge, &group.peers);
    judge::submit(engine, m_judge, group.exchange, group.calls_left, [this, &engine, key] {
        auto node = m_groups.extract(key);
        m_group_sizes.erase(key);
        Group& done = node.mapped();
        for (const auto& p : done.waiting) {
            for (const auto& [spec, planned] : done.exchange.planned) {
                judge::Planned mine = planned;
                mine.self = p->item.variant;
                p->exchange.planned.insert_or_assign(spec, std::move(mine));
            }
            if (p->exchange.provider_id.empty()) {
                p->exchange.provider_id = done.exchange.provider_id;
            }
            after_judge(engine, p);
        }
    });
}

AssertionContext Run::context_for(const WorkItem& item, const std::string& text,
                                  const provider::CallOutcome& o) const {
    AssertionContext context;
    context.output = o.result.output;
    context.vars = &item.test->vars;
    context.prompt = text;
    context.finish_reason = o.result.finish_reason;
    context.refused = o.result.refusal.has_value();
    context.latency_ms = o.latency_ms;
    context.cost_usd = o.cost_usd;
    context.cached = o.cached;
    context.base_dir = m_suite.base_dir;
    if (o.result.context) {
        context.response_context = *o.result.context;
    }
    return context;
}

// The verdict of a case's assertions on a call's answer. Thread-safe (reads only the case, the
// suite, the answer and its judge replies): run on a worker thread when the case has script
// assertions.
CaseVerdict Run::judge(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                       const provider::CallOutcome& o, const judge::Exchange* exchange) const {
    const std::string text = prompt_text(messages);
    AssertionContext context = context_for(item, text, o);
    context.judge = exchange;
    return run_assertions(item.test->asserts, context, item.test->threshold);
}

void Run::on_outcome(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                     Expected<provider::CallOutcome> outcome, const CaseVerdict* judged,
                     const judge::Exchange* exchange) {
    if (!outcome && outcome.error().code() == ErrorCode::interrupted) {
        return; // never started: nothing was computed, --resume will run it
    }
    VariantSummary& v = m_summary.variants[static_cast<size_t>(item.variant)];
    store::ResultRecord r;
    r.variant = item.variant;
    r.case_id = item.test->id;
    r.case_index = item.case_index;
    r.repeat = item.repeat;
    r.vars = item.test->vars;
    r.prompt = messages_json(messages);
    r.description = item.test->description;
    if (!outcome) {
        r.status = "error";
        r.reason = outcome.error().message();
        ++v.errors;
    } else {
        const auto& o = *outcome;
        const CaseVerdict verdict = judged != nullptr ? *judged : judge(item, messages, o, exchange);
        r.status = verdict.error ? "error" : verdict.pass ? "pass" : "fail";
        r.score = verdict.error ? std::nullopt : std::optional<double>(verdict.score);
        r.reason = verdict.pass ? "" : verdict.reason;
        json assertions = json::array();
        for (const auto& a : verdict.results) {
            assertions.push_back(assertion_json(a));
        }
        r.assertions = std::move(assertions);
        r.output = o.result.output;
        r.input_tokens = o.result.usage.input;
        r.output_tokens = o.result.usage.output;
        r.cached_input_tokens = o.result.usage.cached_input;
        r.reasoning_tokens = o.result.usage.reasoning;
        r.tokens_estimated = o.result.usage.estimated;
        r.cost_usd = o.cost_usd;
        r.latency_ms = o.cached ? 0.0 : o.latency_ms;
        r.first_token_ms = o.first_byte_ms;
        r.cached = o.cached;
        r.finish_reason = o.result.finish_reason;
        if (verdict.error) {
            ++v.errors;
        } else {
            (verdict.pass ? v.pass : v.fail) += 1;
            v.score_sum += verdict.score;
        }
        v.input_tokens += r.input_tokens;
        v.output_tokens += r.output_tokens;
        if (o.cost_usd) {
            v.cost_usd += *o.cost_usd;
            if (!o.cached && !o.replayed) {
                v.spent_usd += *o.cost_usd;
            }
        } else {
            ++v.unpriced;
        }
        if (o.cached) {
            ++v.cached;
        } else {
            v.latencies_ms.push_back(o.latency_ms);
        }
        if (exchange != nullptr && exchange->calls() > 0) {
            r.judge_calls = exchange->calls();
            r.judge_input_tokens = exchange->input_tokens();
            r.judge_output_tokens = exchange->output_tokens();
            r.judge_cost_usd = exchange->cost_usd();
            r.judge_spent_usd = exchange->spent_usd();
        }
        v.add_judge(r, verdict.results);
    }
    ++v.results;
    if (m_options.max_cost) {
        double spent = 0;
        for (const auto& s : m_summary.variants) {
            spent += s.spent_usd + s.judge_spent_usd;
        }
        if (spent >= *m_options.max_cost) {
            m_summary.stopped_by_cost = true;
            m_stop_scheduling = true;
        }
    }
    if (m_options.max_errors && m_summary.total(&VariantSummary::errors) > *m_options.max_errors) {
        m_summary.stopped_by_errors = true;
        m_stop_scheduling = true;
    }
    // A provider that is down fails every call, slowly (timeouts, then retries): past a run of
    // calls in a row that could not reach it, stop rather than wait minutes per case.
    const bool unreachable = !outcome && (outcome.error().code() == ErrorCode::network ||
                                          outcome.error().code() == ErrorCode::timeout);
    m_connection_failures = unreachable ? m_connection_failures + 1 : 0;
    if (m_options.max_connection_failures > 0 &&
        m_connection_failures >= m_options.max_connection_failures) {
        m_summary.stopped_by_connection = true;
        m_stop_scheduling = true;
    }
    store_result(std::move(r));
}

void Run::store_result(store::ResultRecord record) {
    // The engine redacted the answer; what the run added may still hold a key: an error, the
    // reason of a python or exec assertion, or another provider's key an exec: program printed.
    if (!m_error_redactor.empty()) {
        const util::Redactor& reasons = record.status == "error" ? m_error_redactor : m_redactor;
        record.reason = reasons.redact(record.reason);
        if (record.output) {
            *record.output = m_redactor.redact(*record.output);
        }
        record.prompt = m_redactor.redact(record.prompt);
        record.description = m_redactor.redact(record.description);
        m_redactor.redact_json(record.assertions);
        m_redactor.redact_json(record.vars);
    }
    if (m_on_result) {
        m_on_result(record, m_summary);
    }
    if (m_write_error) {
        return;
    }
    if (auto ok = m_writer->add(std::move(record)); !ok) {
        // The store cannot be written: stop spending money on results that cannot be kept.
        m_write_error = ok.error();
        m_stop_scheduling = true;
    }
}

Expected<RunSummary> Run::execute(const std::function<bool()>& should_stop) {
    m_should_stop = should_stop;
    if (auto ok = prepare(); !ok) {
        return fail(ok.error());
    }
    if (auto ok = start_run_record(); !ok) {
        return fail(ok.error());
    }
    m_writer.emplace(m_db, m_summary.run_id);

    std::optional<store::ResponseCache> cache;
    if (m_options.cache_mode != provider::CacheMode::off) {
        auto opened = store::ResponseCache::open(m_project.dir / "cache.db");
        if (opened) {
            cache.emplace(std::move(*opened));
        } else {
            // The cache is an optimisation: a broken one is reported, never fatal.
            m_summary.warnings.push_back(fmt::format("response cache not used: {}",
                                                     opened.error().message()));
        }
    }
    std::unique_ptr<provider::Recorder> recorder;
    if (m_options.record) {
        auto opened = provider::Recorder::open(*m_options.record);
        if (!opened) {
            return fail(opened.error());
        }
        recorder = std::move(*opened);
    }
    {
        provider::CallEngine engine({m_options.concurrency, cache ? &*cache : nullptr,
                                     m_options.cache_mode, recorder.get(), &m_prices});
        pump(engine);
        engine.run(
            [&] {
                if (should_stop && should_stop()) {
                    m_summary.interrupted = true;
                    m_stop_scheduling = true;
                }
                return m_stop_scheduling;
            },
            [&] {
                // Commit each round's results before waiting for more calls: a kill -9 then
                // loses only the calls in flight. The lease is renewed first: a run another
                // process took over gets nothing more from this one.
                renew_lease();
                if (!m_write_error) {
                    if (auto ok = m_writer->flush(); !ok) {
                        m_write_error = ok.error();
                        m_stop_scheduling = true;
                    }
                }
            });
        m_record_failures = engine.counters().record_failures;
        m_record_error = engine.counters().first_record_error;
    }
    // Answers still waiting for the rest of their select-best group (the run stopped before
    // every variant answered) are kept: their select-best assertions are errors, so --resume
    // judges them again.
    for (auto& [key, group] : m_groups) {
        for (const auto& p : group.waiting) {
            on_outcome(p->item, p->messages, std::move(p->outcome), nullptr, &p->exchange);
        }
    }
    m_groups.clear();
    if (cache) {
        (void)cache->flush();
    }
    if (m_record_failures > 0) {
        m_summary.warnings.push_back(fmt::format("--record: {} answer(s) could not be recorded: {}",
                                                 m_record_failures, m_record_error));
    }
    if (m_lease_lost) {
        // The run is someone else's now: neither its results nor its status are ours to write.
        m_writer->discard();
        m_writer.reset();
        return fail(m_write_error->code(), "run {}: {}", m_summary.run_id, m_write_error->message());
    }
    auto flushed = m_writer->flush();
    m_writer.reset();
    if (!flushed && !m_write_error) {
        m_write_error = flushed.error();
    }
    if (m_options.resume_run && !m_write_error) {
        // A resumed run is judged on all its results, not only the ones computed now.
        auto whole = summarize_run(m_db, m_summary.run_id);
        if (whole) {
            m_summary.variants = std::move(whole->variants);
        }
    }
    m_summary.status = (m_write_error || m_walk_error) ? "failed"
                       : m_summary.interrupted ? "interrupted"
                       : (m_summary.stopped_by_cost || m_summary.stopped_by_errors ||
                          m_summary.stopped_by_connection)
                           ? "interrupted"
                           : "complete";
    if (auto ok = store::finish_run(m_db, m_summary.run_id, m_summary.status, m_summary.to_json());
        !ok && !m_write_error) {
        m_write_error = ok.error();
    }
    if (m_write_error) {
        return fail(m_write_error->code(), "run {}: results could not be stored: {}",
                    m_summary.run_id, m_write_error->message());
    }
    if (m_walk_error) {
        return fail(m_walk_error->code(), "run {} stopped (the results so far are kept): {}",
                    m_summary.run_id, m_walk_error->message());
    }
    return std::move(m_summary);
}

// Text standing in for an answer not known yet: `tokens` tokens as the estimates count them
// (a quarter of the characters), for sizing the judge prompts that would quote it.
std::string stand_in_text(int64_t tokens) {
    std::string text;
    text.reserve(static_cast<size_t>(std::max<int64_t>(tokens, 0)) * 4);
    for (int64_t i = 0; i < tokens; ++i) {
        text += "text";
    }
    return text;
}

Expected<std::pair<JudgeEstimate, int64_t>> Run::judge_output_basis(const std::string& suite_path) {
    const auto is_local = [](const provider::Provider* p) {
        return p == nullptr || p->transport() == provider::Provider::Transport::local;
    };
    JudgeEstimate e;
    e.cost_usd = 0.0;
    e.provider = m_judge.provider ? m_judge.provider->id() : "";
    e.embedder = m_judge.embedder && m_judge.embedder != m_judge.provider ? m_judge.embedder->id() : "";
    e.local = is_local(m_judge.provider) && is_local(m_judge.embedder);
    auto previous = store::mean_judge_output_tokens(m_db, suite_path);
    if (!previous) {
        return fail(previous.error());
    }
    if (*previous) {
        e.output_basis = fmt::format("mean of run {}", (*previous)->run_id);
        return std::pair{std::move(e), static_cast<int64_t>(std::ceil((*previous)->mean))};
    }
    std::optional<int64_t> max_tokens;
    bool all_capped = !m_judge.prompts.empty();
    for (const auto& [key, p] : m_judge.prompts) {
        all_capped = all_capped && p.params.max_tokens.has_value();
        if (p.params.max_tokens) {
            max_tokens = std::max(max_tokens.value_or(0), *p.params.max_tokens);
        }
    }
    if (all_capped && max_tokens) {
        e.output_basis = fmt::format("max_tokens {} (upper bound)", *max_tokens);
        return std::pair{std::move(e), *max_tokens};
    }
    e.output_basis = fmt::format("assumed {} per verdict", k_assumed_verdict_tokens);
    return std::pair{std::move(e), k_assumed_verdict_tokens};
}

void Run::estimate_judge(const std::shared_ptr<const TestCase>& test,
                         const std::vector<std::vector<std::optional<provider::CallOutcome>>>& answers,
                         const std::vector<std::string>& prompt_texts, int64_t verdict_tokens,
                         store::ResponseCache* cache, JudgeEstimate& e) const {
    const auto count = [&](const judge::Exchange& exchange) {
        for (const auto& [spec, planned] : exchange.planned) {
            for (const auto& call : planned.calls) {
                const judge::Outgoing out = judge::outgoing(m_judge, planned, call);
                const provider::Provider* p = out.provider;
                if (p == nullptr) {
                    continue;
                }
                ++e.calls;
                const provider::CompletionRequest& request = out.request;
                const bool local = p->transport() == provider::Provider::Transport::local;
                if (cache && !local) {
                    auto hit = cache->get(provider::cache_key(*p, request, call.sample, out.cache_salt));
                    if (hit && *hit) {
                        ++e.cached;
                        continue;
                    }
                }
                provider::CompletionResult sized;
                provider::detail::estimate_usage(request, sized);
                provider::Usage usage;
                usage.input = sized.usage.input;
                usage.output = call.params.embed ? 0 : verdict_tokens;
                usage.estimated = true;
                e.input_tokens += usage.input;
                e.output_tokens += usage.output;
                if (!local && e.cost_usd) {
                    const auto cost = provider::price_usage(*p, m_prices, usage);
                    e.cost_usd = cost ? std::optional(*e.cost_usd + *cost) : std::nullopt;
                }
            }
        }
    };
    const bool select_best = judge::has_model_graded(test->asserts, "select-best");
    for (size_t r = 0; r < answers.size(); ++r) {
        judge::Peers peers;
        peers.outputs.resize(m_variants.size());
        peers.present.resize(m_variants.size(), false);
        std::optional<AssertionContext> first;
        for (size_t v = 0; v < m_variants.size(); ++v) {
            const auto& answer = answers[r][v];
            if (!answer) {
                continue;
            }
            const WorkItem item{test, 0, static_cast<int>(v), static_cast<int>(r)};
            const AssertionContext context = context_for(item, prompt_texts[v], *answer);
            count(judge::plan(test->asserts, context, m_judge));
            peers.outputs[v] = answer->result.output;
            peers.present[v] = true;
            if (!first) {
                first = context;
            }
        }
        if (select_best && first) {
            count(judge::plan(test->asserts, *first, m_judge, &peers));
        }
    }
}

Expected<RunEstimate> Run::estimate() {
    if (auto ok = prepare(true); !ok) {
        return fail(ok.error());
    }
    std::optional<store::ResponseCache> cache;
    if (m_options.cache_mode == provider::CacheMode::use) {
        auto opened = store::ResponseCache::open_existing(m_project.dir / "cache.db");
        if (opened && *opened) {
            cache.emplace(std::move(**opened));
        }
    }
    const std::string suite_path = m_options.suite_display_path.empty()
                                       ? m_suite.path.string()
                                       : m_options.suite_display_path;
    RunEstimate out;
    std::vector<std::optional<int64_t>> output_per_call; // nullopt: max_tokens per request
    for (size_t v = 0; v < m_variants.size(); ++v) {
        VariantEstimate e;
        e.index = m_variants[v].index;
        e.label = m_variants[v].label;
        const provider::Provider& provider = *m_providers[v % m_providers.size()];
        e.local = provider.transport() == provider::Provider::Transport::local;
        e.cost_usd = 0.0;
        const auto& params = m_prompts[v / m_providers.size()].params;
        const auto max_tokens = params.max_tokens ? params.max_tokens : provider.config().params.max_tokens;
        auto previous = store::mean_output_tokens(m_db, suite_path, e.label);
        if (!previous) {
            return fail(previous.error());
        }
        if (*previous) {
            e.output_basis = fmt::format("mean of run {}", (*previous)->run_id);
            output_per_call.push_back(static_cast<int64_t>(std::ceil((*previous)->mean)));
        } else if (max_tokens) {
            e.output_basis = fmt::format("max_tokens {} (upper bound)", *max_tokens);
            output_per_call.push_back(*max_tokens);
        } else {
            e.output_basis = fmt::format("assumed {} per call", k_assumed_output_tokens);
            output_per_call.push_back(k_assumed_output_tokens);
        }
        out.variants.push_back(std::move(e));
    }
    const bool judged = m_judge.provider != nullptr || m_judge.embedder != nullptr;
    int64_t verdict_tokens = k_assumed_verdict_tokens;
    if (judged) {
        auto basis = judge_output_basis(suite_path);
        if (!basis) {
            return fail(basis.error());
        }
        out.judge = std::move(basis->first);
        verdict_tokens = basis->second;
    }
    store::PromptStore prompts(m_db);
    for (;;) {
        if (!next_case()) {
            break;
        }
        const std::shared_ptr<const TestCase> test = std::exchange(m_case, nullptr);
        const bool graded = judged && judge::has_model_graded(test->asserts);
        // The answers the judge would see, by repeat then variant (nullopt: no call).
        std::vector<std::vector<std::optional<provider::CallOutcome>>> answers(
            static_cast<size_t>(m_repeat),
            std::vector<std::optional<provider::CallOutcome>>(m_variants.size()));
        std::vector<std::string> prompt_texts(m_variants.size());
        for (size_t v = 0; v < m_variants.size(); ++v) {
            VariantEstimate& e = out.variants[v];
            const auto& resolved = m_prompts[v / m_providers.size()];
            const provider::Provider& provider = *m_providers[v % m_providers.size()];
            auto rendered = prompt::render_prompt(resolved.def, test->vars,
                                                  prompt::store_partial_loader(prompts),
                                                  prompt::RenderOptions{});
            if (!rendered) {
                e.not_rendered += m_repeat;
                continue;
            }
            provider::CompletionRequest request;
            request.model = provider.config().spec.model;
            request.messages = to_messages(*rendered);
            request.params = resolved.params;
            prompt_texts[v] = prompt_text(request.messages);
            provider::CompletionResult estimate;
            provider::detail::estimate_usage(request, estimate);
            for (int r = 0; r < m_repeat; ++r) {
                ++e.calls;
                auto& answer = answers[static_cast<size_t>(r)][v];
                if (cache && !e.local) {
                    auto hit = cache->get(provider::cache_key(provider, request, r, ""));
                    if (hit && *hit) {
                        ++e.cached;
                        if (graded) {
                            if (auto outcome = provider::cached_outcome(**hit)) {
                                answer = std::move(*outcome);
                            }
                        }
                        if (graded && !answer) { // unreadable: the run would call again
                            answer.emplace();
                            answer->result.output = stand_in_text(*output_per_call[v]);
                        }
                        continue;
                    }
                }
                if (graded && e.local) {
                    // echo and replay answer at once, from nothing but the request (replay
                    // from its recording, with the retrieved context the RAG triad reads).
                    if (auto direct = provider.call_direct(request, test->vars, r)) {
                        answer = std::move(*direct);
                    }
                }
                if (graded && !answer) {
                    answer.emplace();
                    answer->result.output = stand_in_text(*output_per_call[v]);
                    // A context the answer would carry (an `exec:` RAG app's) is not known
                    // yet: the stand-in has one, so the context assertions count their calls.
                    if (!test->vars.contains("context")) {
                        answer->result.context = stand_in_text(*output_per_call[v]);
                    }
                }
                provider::Usage usage;
                usage.input = estimate.usage.input;
                usage.output = *output_per_call[v];
                usage.estimated = true;
                e.input_tokens += usage.input;
                e.output_tokens += usage.output;
                if (e.local) {
                    continue;
                }
                if (e.cost_usd) {
                    const auto cost = provider::price_usage(provider, m_prices, usage);
                    e.cost_usd = cost ? std::optional(*e.cost_usd + *cost) : std::nullopt;
                }
            }
        }
        if (graded) {
            estimate_judge(test, answers, prompt_texts, verdict_tokens,
                           cache ? &*cache : nullptr, *out.judge);
        }
    }
    if (m_walk_error) {
        return fail(*m_walk_error);
    }
    return out;
}

} // namespace

Expected<RunSummary> summarize_run(store::Database& db, int64_t run_id) {
    auto run = store::load_run(db, run_id);
    if (!run) {
        return fail(run.error());
    }
    RunSummary s;
    s.run_id = run_id;
    s.status = run->status;
    std::vector<bool> replayed;
    for (const auto& v : run->variants) {
        VariantSummary vs;
        vs.index = v.index;
        vs.label = v.label;
        s.variants.push_back(std::move(vs));
        replayed.push_back(v.provider_id.starts_with("replay:"));
    }
    if (run->summary.is_object()) {
        s.stopped_by_cost = run->summary.value("stopped_by_cost", false);
        s.stopped_by_errors = run->summary.value("stopped_by_errors", false);
        s.stopped_by_connection = run->summary.value("stopped_by_connection", false);
        s.interrupted = run->summary.value("interrupted", false);
    }
    auto ok = store::for_each_result(db, run_id, [&](const store::ResultRecord& r) -> Expected<void> {
        if (r.variant < 0 || static_cast<size_t>(r.variant) >= s.variants.size()) {
            return {};
        }
        VariantSummary& v = s.variants[static_cast<size_t>(r.variant)];
        ++v.results;
        if (r.status == "error") {
            ++v.errors;
        } else {
            (r.status == "pass" ? v.pass : v.fail) += 1;
            v.score_sum += r.score.value_or(0);
        }
        v.input_tokens += r.input_tokens;
        v.output_tokens += r.output_tokens;
        if (r.output) {
            if (r.cost_usd) {
                v.cost_usd += *r.cost_usd;
                // Answers from the cache or from a recording (replay:) cost nothing now.
                if (!r.cached && !replayed[static_cast<size_t>(r.variant)]) {
                    v.spent_usd += *r.cost_usd;
                }
            } else {
                ++v.unpriced;
            }
            if (r.cached) {
                ++v.cached;
            } else {
                v.latencies_ms.push_back(r.latency_ms);
            }
            v.add_judge(r, assertion_results_from_json(r.assertions));
        }
        return {};
    });
    if (!ok) {
        return fail(ok.error());
    }
    return s;
}

Expected<RunSummary> run_suite(store::Database& db, const store::Project& project,
                               const Suite& suite, const RunOptions& options,
                               const ResultListener& on_result,
                               const std::function<bool()>& should_stop) {
    Run run(db, project, suite, options, on_result);
    return run.execute(should_stop);
}

int64_t RunEstimate::calls() const {
    int64_t n = judge ? judge->calls : 0;
    for (const auto& v : variants) {
        n += v.calls;
    }
    return n;
}

double RunEstimate::priced_cost_usd() const {
    double sum = judge ? judge->cost_usd.value_or(0) : 0;
    for (const auto& v : variants) {
        sum += v.cost_usd.value_or(0);
    }
    return sum;
}

bool RunEstimate::has_unpriced() const {
    return (judge && !judge->cost_usd) ||
           std::any_of(variants.begin(), variants.end(), [](const auto& v) { return !v.cost_usd; });
}

json RunEstimate::to_json() const {
    json list = json::array();
    for (const auto& v : variants) {
        list.push_back({{"variant", v.index},
                        {"label", v.label},
                        {"calls", v.calls},
                        {"cached", v.cached},
                        {"not_rendered", v.not_rendered},
                        {"input_tokens", v.input_tokens},
                        {"output_tokens", v.output_tokens},
                        {"output_basis", v.output_basis},
                        {"local", v.local},
                        {"cost_usd", v.cost_usd ? json(*v.cost_usd) : json()}});
    }
    json judge_json = nullptr;
    if (judge) {
        judge_json = {{"provider", judge->provider},
                      {"embedding", judge->embedder.empty() ? json() : json(judge->embedder)},
                      {"calls", judge->calls},
                      {"cached", judge->cached},
                      {"input_tokens", judge->input_tokens},
                      {"output_tokens", judge->output_tokens},
                      {"output_basis", judge->output_basis},
                      {"local", judge->local},
                      {"cost_usd", judge->cost_usd ? json(*judge->cost_usd) : json()}};
    }
    return json{{"variants", list},
                {"judge", std::move(judge_json)},
                {"calls", calls()},
                {"cost_usd", priced_cost_usd()},
                {"unpriced", has_unpriced()},
                {"estimated", true}};
}

Expected<RunEstimate> estimate_suite(store::Database& db, const store::Project& project,
                                     const Suite& suite, const RunOptions& options) {
    static const ResultListener k_no_listener;
    Run run(db, project, suite, options, k_no_listener);
    return run.estimate();
}

} // namespace llmops::eval
