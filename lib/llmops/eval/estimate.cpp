#include <llmops/eval/runner.hpp>

// `eval --estimate` (SPEC §6): the run's matrix and case selection walked without calling
// anything; see runner.hpp for what is estimated and how.

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <llmops/eval/case_selection.hpp>
#include <llmops/eval/matrix.hpp>
#include <llmops/eval/plan.hpp>
#include <llmops/provider/wire.hpp>
#include <llmops/store/cache.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;

class Estimator {
public:
    Estimator(store::Database& db, const store::Project& project, const Suite& suite,
              const RunOptions& options)
        : m_db(db), m_project(project), m_suite(suite), m_options(options) {}

    Expected<RunEstimate> run();

private:
    using Answers = std::vector<std::vector<std::optional<provider::CallOutcome>>>;

    Expected<void> prepare();
    Expected<void> variant_bases(const std::string& suite_path, RunEstimate& out);
    void estimate_case(const std::shared_ptr<const TestCase>& test, bool judged,
                       int64_t verdict_tokens, store::ResponseCache* cache, RunEstimate& out);
    void estimate_calls(const TestCase& test, size_t v, const provider::CompletionRequest& request,
                        bool graded, store::ResponseCache* cache, Answers& answers,
                        VariantEstimate& e) const;
    bool expected_answer(const TestCase& test, size_t v, const provider::CompletionRequest& request,
                         int r, bool graded, store::ResponseCache* cache,
                         std::optional<provider::CallOutcome>& answer, VariantEstimate& e) const;
    const judge::Setup& judge() const { return m_plan->judge.setup; }
    // Where the judge's output tokens come from (and that number).
    Expected<std::pair<JudgeEstimate, int64_t>> judge_output_basis(const std::string& suite_path);
    // Adds the judge calls of `test` on `answers` (by repeat, then variant) to `e`.
    void
    estimate_judge(const std::shared_ptr<const TestCase>& test,
                   const std::vector<std::vector<std::optional<provider::CallOutcome>>>& answers,
                   const std::vector<std::string>& prompt_texts, int64_t verdict_tokens,
                   store::ResponseCache* cache, JudgeEstimate& e) const;

    store::Database& m_db;
    const store::Project& m_project;
    const Suite& m_suite;
    const RunOptions& m_options;
    std::optional<RunPlan> m_plan;
    std::vector<int64_t> m_output_per_call; // by variant: output tokens each call is assumed
};

// An estimate calls nothing: a missing API key is not an error.
provider::EnvLookup estimate_env() {
    return [real = provider::process_env()](std::string_view name) -> std::optional<std::string> {
        auto value = real(name);
        if (!value && (name.ends_with("_KEY") || name.ends_with("_TOKEN"))) {
            return std::string("not-set-estimate-only");
        }
        return value;
    };
}

Expected<void> Estimator::prepare() {
    auto plan = plan_run(m_db, m_project, m_suite, m_options, estimate_env());
    if (!plan) {
        return fail(plan.error());
    }
    m_plan.emplace(std::move(*plan));
    return {};
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

Expected<std::pair<JudgeEstimate, int64_t>>
Estimator::judge_output_basis(const std::string& suite_path) {
    const auto is_local = [](const provider::Provider* p) {
        return p == nullptr || p->transport() == provider::Provider::Transport::local;
    };
    JudgeEstimate e;
    e.cost_usd = 0.0;
    e.provider = judge().provider ? judge().provider->id() : "";
    e.embedder =
        judge().embedder && judge().embedder != judge().provider ? judge().embedder->id() : "";
    e.local = is_local(judge().provider) && is_local(judge().embedder);
    auto previous = store::mean_judge_output_tokens(m_db, suite_path);
    if (!previous) {
        return fail(previous.error());
    }
    if (*previous) {
        e.output_basis = fmt::format("mean of run {}", (*previous)->run_id);
        return std::pair{std::move(e), static_cast<int64_t>(std::ceil((*previous)->mean))};
    }
    std::optional<int64_t> max_tokens;
    bool all_capped = !judge().prompts.empty();
    for (const auto& [key, p] : judge().prompts) {
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

void Estimator::estimate_judge(
    const std::shared_ptr<const TestCase>& test,
    const std::vector<std::vector<std::optional<provider::CallOutcome>>>& answers,
    const std::vector<std::string>& prompt_texts, int64_t verdict_tokens,
    store::ResponseCache* cache, JudgeEstimate& e) const {
    const auto count = [&](const judge::Exchange& exchange) {
        for (const auto& [spec, planned] : exchange.planned) {
            for (const auto& call : planned.calls) {
                const judge::Outgoing out = judge::outgoing(judge(), planned, call);
                const provider::Provider* p = out.provider;
                if (p == nullptr) {
                    continue;
                }
                ++e.calls;
                const provider::CompletionRequest& request = out.request;
                const bool local = p->transport() == provider::Provider::Transport::local;
                if (cache && !local) {
                    auto hit =
                        cache->get(provider::cache_key(*p, request, call.sample, out.cache_salt));
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
                    const auto cost = provider::price_usage(*p, m_plan->prices, usage);
                    e.cost_usd = cost ? std::optional(*e.cost_usd + *cost) : std::nullopt;
                }
            }
        }
    };
    const bool select_best = judge::has_model_graded(test->asserts, "select-best");
    for (size_t r = 0; r < answers.size(); ++r) {
        judge::Peers peers;
        peers.outputs.resize(m_plan->matrix.size());
        peers.present.resize(m_plan->matrix.size(), false);
        std::optional<AssertionContext> first;
        for (size_t v = 0; v < m_plan->matrix.size(); ++v) {
            const auto& answer = answers[r][v];
            if (!answer) {
                continue;
            }
            const AssertionContext context =
                answer_context(*test, m_suite, prompt_texts[v], *answer);
            count(judge::plan(test->asserts, context, judge()));
            peers.outputs[v] = answer->result.output;
            peers.present[v] = true;
            if (!first) {
                first = context;
            }
        }
        if (select_best && first) {
            count(judge::plan(test->asserts, *first, judge(), &peers));
        }
    }
}

// Each variant's estimate with where its output tokens per call come from (m_output_per_call).
Expected<void> Estimator::variant_bases(const std::string& suite_path, RunEstimate& out) {
    for (size_t v = 0; v < m_plan->matrix.size(); ++v) {
        VariantEstimate e;
        e.index = m_plan->matrix.variants()[v].index;
        e.label = m_plan->matrix.variants()[v].label;
        const provider::Provider& provider = m_plan->matrix.provider_of(static_cast<int>(v));
        e.local = provider.transport() == provider::Provider::Transport::local;
        e.cost_usd = 0.0;
        const auto& params = m_plan->matrix.prompt_of(static_cast<int>(v)).params;
        const auto max_tokens =
            params.max_tokens ? params.max_tokens : provider.config().params.max_tokens;
        auto previous = store::mean_output_tokens(m_db, suite_path, e.label);
        if (!previous) {
            return fail(previous.error());
        }
        if (*previous) {
            e.output_basis = fmt::format("mean of run {}", (*previous)->run_id);
            m_output_per_call.push_back(static_cast<int64_t>(std::ceil((*previous)->mean)));
        } else if (max_tokens) {
            e.output_basis = fmt::format("max_tokens {} (upper bound)", *max_tokens);
            m_output_per_call.push_back(*max_tokens);
        } else {
            e.output_basis = fmt::format("assumed {} per call", k_assumed_output_tokens);
            m_output_per_call.push_back(k_assumed_output_tokens);
        }
        out.variants.push_back(std::move(e));
    }
    return {};
}

// The answer the judge would see for repeat `r` of `request` (`graded` cases only): the cached
// one, a local provider's, else a stand-in of the expected length. Counts a cache hit in `e`;
// true when the call would be answered from the cache (and so cost nothing).
bool Estimator::expected_answer(const TestCase& test, size_t v,
                                const provider::CompletionRequest& request, int r, bool graded,
                                store::ResponseCache* cache,
                                std::optional<provider::CallOutcome>& answer,
                                VariantEstimate& e) const {
    const provider::Provider& provider = m_plan->matrix.provider_of(static_cast<int>(v));
    const int64_t tokens = m_output_per_call[v];
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
                answer->result.output = stand_in_text(tokens);
            }
            return true;
        }
    }
    if (graded && e.local) {
        // echo and replay answer at once, from nothing but the request (replay from its
        // recording, with the retrieved context the RAG triad reads).
        if (auto direct = provider.call_direct(request, test.vars, r)) {
            answer = std::move(*direct);
        }
    }
    if (graded && !answer) {
        answer.emplace();
        answer->result.output = stand_in_text(tokens);
        // A context the answer would carry (an `exec:` RAG app's) is not known yet: the stand-in
        // has one, so the context assertions count their calls.
        if (!test.vars.contains("context")) {
            answer->result.context = stand_in_text(tokens);
        }
    }
    return false;
}

// Variant `v`'s calls on `test`, every repeat, into `e`; the answers into `answers` by repeat.
void Estimator::estimate_calls(const TestCase& test, size_t v,
                               const provider::CompletionRequest& request, bool graded,
                               store::ResponseCache* cache, Answers& answers,
                               VariantEstimate& e) const {
    const provider::Provider& provider = m_plan->matrix.provider_of(static_cast<int>(v));
    provider::CompletionResult estimate;
    provider::detail::estimate_usage(request, estimate);
    for (int r = 0; r < m_plan->repeat; ++r) {
        ++e.calls;
        if (expected_answer(test, v, request, r, graded, cache, answers[static_cast<size_t>(r)][v],
                            e)) {
            continue;
        }
        provider::Usage usage;
        usage.input = estimate.usage.input;
        usage.output = m_output_per_call[v];
        usage.estimated = true;
        e.input_tokens += usage.input;
        e.output_tokens += usage.output;
        if (!e.local && e.cost_usd) {
            const auto cost = provider::price_usage(provider, m_plan->prices, usage);
            e.cost_usd = cost ? std::optional(*e.cost_usd + *cost) : std::nullopt;
        }
    }
}

// Every variant's calls on `test`, then the judge's on the answers they would get.
void Estimator::estimate_case(const std::shared_ptr<const TestCase>& test, bool judged,
                              int64_t verdict_tokens, store::ResponseCache* cache,
                              RunEstimate& out) {
    const bool graded = judged && judge::has_model_graded(test->asserts);
    // The answers the judge would see, by repeat then variant (nullopt: no call).
    Answers answers(static_cast<size_t>(m_plan->repeat),
                    std::vector<std::optional<provider::CallOutcome>>(m_plan->matrix.size()));
    std::vector<std::string> prompt_texts(m_plan->matrix.size());
    store::PromptStore prompts(m_db);
    for (size_t v = 0; v < m_plan->matrix.size(); ++v) {
        auto request = m_plan->matrix.request(static_cast<int>(v), *test, prompts);
        if (!request) {
            out.variants[v].not_rendered += m_plan->repeat;
            continue;
        }
        prompt_texts[v] = prompt_text(request->messages);
        estimate_calls(*test, v, *request, graded, cache, answers, out.variants[v]);
    }
    if (graded) {
        estimate_judge(test, answers, prompt_texts, verdict_tokens, cache, *out.judge);
    }
}

Expected<RunEstimate> Estimator::run() {
    if (auto ok = prepare(); !ok) {
        return fail(ok.error());
    }
    std::optional<store::ResponseCache> cache;
    if (m_options.cache_mode == provider::CacheMode::use) {
        auto opened = store::ResponseCache::open_existing(m_project.dir / "cache.db");
        if (opened && *opened) {
            cache.emplace(std::move(**opened));
        }
    }
    const std::string suite_path =
        m_options.suite_display_path.empty() ? m_suite.path.string() : m_options.suite_display_path;
    RunEstimate out;
    if (auto ok = variant_bases(suite_path, out); !ok) {
        return fail(ok.error());
    }
    const bool judged = judge().provider != nullptr || judge().embedder != nullptr;
    int64_t verdict_tokens = k_assumed_verdict_tokens;
    if (judged) {
        auto basis = judge_output_basis(suite_path);
        if (!basis) {
            return fail(basis.error());
        }
        out.judge = std::move(basis->first);
        verdict_tokens = basis->second;
    }
    while (const std::shared_ptr<const TestCase> test = m_plan->feed.next()) {
        estimate_case(test, judged, verdict_tokens, cache ? &*cache : nullptr, out);
    }
    if (m_plan->feed.error()) {
        return fail(*m_plan->feed.error());
    }
    return out;
}

} // namespace

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
    return json{{"variants", list},           {"judge", std::move(judge_json)},
                {"calls", calls()},           {"cost_usd", priced_cost_usd()},
                {"unpriced", has_unpriced()}, {"estimated", true}};
}

Expected<RunEstimate> estimate_suite(store::Database& db, const store::Project& project,
                                     const Suite& suite, const RunOptions& options) {
    Estimator estimator(db, project, suite, options);
    return estimator.run();
}

} // namespace llmops::eval
