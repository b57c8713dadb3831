#include <llmops/eval/estimate.hpp>

// `eval --estimate` (SPEC §6): the run's plan walked by the run's scheduler into a sink that
// prices the work instead of calling anything; see runner.hpp for what is estimated and how.

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <llmops/eval/matrix.hpp>
#include <llmops/provider/wire.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;

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

bool is_local(const provider::Provider* p) {
    return p == nullptr || p->transport() == provider::Provider::Transport::local;
}

} // namespace

Expected<EstimateSink> EstimateSink::make(store::Database& db, const Suite& suite, RunPlan& plan,
                                          store::ResponseCache* cache,
                                          const std::string& suite_path) {
    EstimateSink sink(db, suite, plan, cache);
    LLMOPS_TRY(sink.variant_bases(suite_path));
    if (plan.judge.setup.provider != nullptr || plan.judge.setup.embedder != nullptr) {
        LLMOPS_TRY(sink.judge_basis(suite_path));
    }
    return sink;
}

// Each variant's estimate with where its output tokens per call come from (m_output_per_call).
Expected<void> EstimateSink::variant_bases(const std::string& suite_path) {
    for (size_t v = 0; v < m_plan.matrix.size(); ++v) {
        VariantEstimate e;
        e.index = m_plan.matrix.variants()[v].index;
        e.label = m_plan.matrix.variants()[v].label;
        const provider::Provider& provider = m_plan.matrix.provider_of(static_cast<int>(v));
        e.local = provider.transport() == provider::Provider::Transport::local;
        e.cost_usd = 0.0;
        const auto& params = m_plan.matrix.prompt_of(static_cast<int>(v)).params;
        const auto max_tokens =
            params.max_tokens ? params.max_tokens : provider.config().params.max_tokens;
        auto previous = LLMOPS_TRY(store::mean_output_tokens(m_db, suite_path, e.label));
        if (previous) {
            e.output_basis = fmt::format("mean of run {}", previous->run_id);
            m_output_per_call.push_back(static_cast<int64_t>(std::ceil(previous->mean)));
        } else if (max_tokens) {
            e.output_basis = fmt::format("max_tokens {} (upper bound)", *max_tokens);
            m_output_per_call.push_back(*max_tokens);
        } else {
            e.output_basis = fmt::format("assumed {} per call", k_assumed_output_tokens);
            m_output_per_call.push_back(k_assumed_output_tokens);
        }
        m_out.variants.push_back(std::move(e));
    }
    return {};
}

// The judge's estimate with where its output tokens per verdict come from (m_verdict_tokens).
Expected<void> EstimateSink::judge_basis(const std::string& suite_path) {
    JudgeEstimate& e = m_out.judge.emplace();
    e.cost_usd = 0.0;
    e.provider = judge_setup().provider ? judge_setup().provider->id() : "";
    e.embedder = judge_setup().embedder && judge_setup().embedder != judge_setup().provider
                     ? judge_setup().embedder->id()
                     : "";
    e.local = is_local(judge_setup().provider) && is_local(judge_setup().embedder);
    auto previous = LLMOPS_TRY(store::mean_judge_output_tokens(m_db, suite_path));
    if (previous) {
        e.output_basis = fmt::format("mean of run {}", previous->run_id);
        m_verdict_tokens = static_cast<int64_t>(std::ceil(previous->mean));
        return {};
    }
    std::optional<int64_t> max_tokens;
    bool all_capped = !judge_setup().prompts.empty();
    for (const auto& [key, p] : judge_setup().prompts) {
        all_capped = all_capped && p.params.max_tokens.has_value();
        if (p.params.max_tokens) {
            max_tokens = std::max(max_tokens.value_or(0), *p.params.max_tokens);
        }
    }
    if (all_capped && max_tokens) {
        e.output_basis = fmt::format("max_tokens {} (upper bound)", *max_tokens);
        m_verdict_tokens = *max_tokens;
        return {};
    }
    e.output_basis = fmt::format("assumed {} per verdict", k_assumed_verdict_tokens);
    m_verdict_tokens = k_assumed_verdict_tokens;
    return {};
}

Scheduler::Walk EstimateSink::walk() {
    Scheduler::Walk walk;
    walk.next_case = [this] { return next_case(); };
    walk.send = [this](const WorkItem& item) { return send(item); };
    walk.whole = [](const TestCase& c) { return judge::Planner::grouped(c); };
    walk.allowed = [this](const TestCase& c, int v) { return m_plan.matrix.allows(v, c); };
    return walk;
}

// The next case of the feed, once the judge's costs of the one before are added; a case with
// select-best expects every variant's answer to each repeat, as a run that starts afresh does.
std::shared_ptr<const TestCase> EstimateSink::next_case() {
    add_judge_costs();
    auto test = m_plan.feed.next();
    if (test && m_out.judge && judge::Planner::grouped(*test)) {
        int variants = 0;
        for (int v = 0; v < static_cast<int>(m_plan.matrix.size()); ++v) {
            variants += m_plan.matrix.allows(v, *test) ? 1 : 0;
        }
        for (int r = 0; r < m_plan.repeat; ++r) {
            m_judge.expect(test->position, r, variants);
        }
    }
    return test;
}

bool EstimateSink::send(const WorkItem& item) {
    const auto v = static_cast<size_t>(item.variant);
    VariantEstimate& e = m_out.variants[v];
    const bool graded = m_out.judge && judge::has_model_graded(item.test->asserts);
    store::PromptStore prompts(m_db);
    auto request = m_plan.matrix.request(item.variant, *item.test, prompts);
    if (!request) {
        ++e.not_rendered;
        if (graded) {
            judge_answer(item, nullptr, nullptr); // its select-best group has one answer less
        }
        return false;
    }
    ++e.calls;
    std::optional<provider::CallOutcome> answer;
    if (!expected_answer(*item.test, v, *request, item.repeat, graded, answer, e)) {
        price_call(v, *request, e);
    }
    if (graded) {
        judge_answer(item, &request->messages, &*answer);
    }
    return false;
}

// The answer the judge would see for repeat `r` of `request` (`graded` cases only): the cached
// one, a local provider's, else a stand-in of the expected length. Counts a cache hit in `e`;
// true when the call would be answered from the cache (and so cost nothing).
bool EstimateSink::expected_answer(const TestCase& test, size_t v,
                                   const provider::CompletionRequest& request, int r, bool graded,
                                   std::optional<provider::CallOutcome>& answer,
                                   VariantEstimate& e) const {
    const provider::Provider& provider = m_plan.matrix.provider_of(static_cast<int>(v));
    const int64_t tokens = m_output_per_call[v];
    if (m_cache && !e.local) {
        auto hit = m_cache->get(provider::cache_key(provider, request, r, ""));
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

// One call of variant `v` not answered from the cache, into `e`.
void EstimateSink::price_call(size_t v, const provider::CompletionRequest& request,
                              VariantEstimate& e) const {
    provider::CompletionResult estimate;
    provider::detail::estimate_usage(request, estimate);
    provider::Usage usage;
    usage.input = estimate.usage.input;
    usage.output = m_output_per_call[v];
    usage.estimated = true;
    e.input_tokens += usage.input;
    e.output_tokens += usage.output;
    if (!e.local && e.cost_usd) {
        const auto& provider = m_plan.matrix.provider_of(static_cast<int>(v));
        const auto cost = provider::price_usage(provider, m_plan.prices, usage);
        e.cost_usd = cost ? std::optional(*e.cost_usd + *cost) : std::nullopt;
    }
}

// The judge's calls on `item`'s answer (`answer` null: there is none), planned as the run plans
// them: the answer's own, then its group's select-best once the group is complete.
void EstimateSink::judge_answer(const WorkItem& item,
                                const std::vector<provider::ChatMessage>* messages,
                                const provider::CallOutcome* answer) {
    if (answer != nullptr) {
        // An estimate has no warnings: a judge prompt that cannot be loaded leaves its
        // assertions without calls, in the estimate as in the run (where it is a warning).
        std::vector<std::string> warnings;
        price_judge(m_judge.answer(*item.test, *messages, *answer, warnings),
                    {item.repeat, item.variant});
    }
    if (judge::Planner::grouped(*item.test)) {
        if (auto group = m_judge.arrive(*item.test, item.repeat, item.variant, messages, answer)) {
            price_judge(*group, {item.repeat, static_cast<int>(m_plan.matrix.size())});
        }
    }
}

// Counts the calls of `exchange` (free when the judge's cache holds them); their costs go to
// m_judge_costs under `slot`.
void EstimateSink::price_judge(const judge::Exchange& exchange, std::pair<int, int> slot) {
    JudgeEstimate& e = *m_out.judge;
    for (const auto& [spec, planned] : exchange.planned) {
        for (const auto& call : planned.calls) {
            const judge::Outgoing out = judge::outgoing(judge_setup(), planned, call);
            const provider::Provider* p = out.provider;
            if (p == nullptr) {
                continue;
            }
            ++e.calls;
            const bool local = is_local(p);
            if (m_cache && !local) {
                auto hit =
                    m_cache->get(provider::cache_key(*p, out.request, call.sample, out.cache_salt));
                if (hit && *hit) {
                    ++e.cached;
                    continue;
                }
            }
            provider::CompletionResult sized;
            provider::detail::estimate_usage(out.request, sized);
            provider::Usage usage;
            usage.input = sized.usage.input;
            usage.output = call.params.embed ? 0 : m_verdict_tokens;
            usage.estimated = true;
            e.input_tokens += usage.input;
            e.output_tokens += usage.output;
            if (!local) {
                m_judge_costs[slot].push_back(provider::price_usage(*p, m_plan.prices, usage));
            }
        }
    }
}

void EstimateSink::add_judge_costs() {
    if (m_out.judge) {
        std::optional<double>& total = m_out.judge->cost_usd;
        for (const auto& [slot, costs] : m_judge_costs) {
            for (const auto& cost : costs) {
                if (total) {
                    total = cost ? std::optional(*total + *cost) : std::nullopt;
                }
            }
        }
    }
    m_judge_costs.clear();
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
    return json{{"variants", list},           {"judge", std::move(judge_json)},
                {"calls", calls()},           {"cost_usd", priced_cost_usd()},
                {"unpriced", has_unpriced()}, {"estimated", true}};
}

Expected<RunEstimate> estimate_suite(store::Database& db, const store::Project& project,
                                     const Suite& suite, const RunOptions& options) {
    auto plan = LLMOPS_TRY(plan_run(db, project, suite, options, estimate_env()));
    std::optional<store::ResponseCache> cache;
    if (options.cache_mode == provider::CacheMode::use) {
        auto opened = store::ResponseCache::open_existing(project.dir / "cache.db");
        if (opened && *opened) {
            cache.emplace(std::move(**opened));
        }
    }
    const std::string suite_path =
        options.suite_display_path.empty() ? suite.path.string() : options.suite_display_path;
    auto sink =
        LLMOPS_TRY(EstimateSink::make(db, suite, plan, cache ? &*cache : nullptr, suite_path));
    // Every item is priced as it is sent, so the window never fills.
    Scheduler scheduler(1, static_cast<int>(plan.matrix.size()), plan.repeat, sink.walk());
    scheduler.pump();
    if (plan.feed.error()) {
        return fail(*plan.feed.error());
    }
    return sink.take();
}

} // namespace llmops::eval
