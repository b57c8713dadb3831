#include <llmops/online/advise.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <llmops/compare/compare.hpp>
#include <llmops/eval/summary.hpp>
#include <llmops/stats/proportion.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/time.hpp>

namespace llmops::online {

namespace {

using util::k_ns_per_day;
constexpr int64_t k_traffic_days = 30;

VariantAdvice variant_advice(const eval::VariantSummary& v, const AdviceOptions& o) {
    VariantAdvice a;
    a.index = v.index;
    a.label = v.label;
    a.passes = v.pass;
    a.judged = v.pass + v.fail;
    if (a.judged > 0) {
        a.pass_rate = static_cast<double>(v.pass) / static_cast<double>(a.judged);
        a.interval = stats::wilson_interval(static_cast<size_t>(v.pass),
                                            static_cast<size_t>(a.judged), o.confidence);
    }
    const int64_t answered = v.results - v.errors;
    if (answered > 0 && v.unpriced == 0) {
        a.cost_per_call = v.cost_usd / static_cast<double>(answered);
    }
    a.qualifies = a.interval && a.interval->lower >= o.min_pass_rate;
    return a;
}

// Whether `u` is at least as good as `v` on both axes and better on one.
bool dominates(const VariantAdvice& u, const VariantAdvice& v) {
    if (!u.cost_per_call || !v.cost_per_call || !u.pass_rate || !v.pass_rate) {
        return false;
    }
    return *u.cost_per_call <= *v.cost_per_call && *u.pass_rate >= *v.pass_rate &&
           (*u.cost_per_call < *v.cost_per_call || *u.pass_rate > *v.pass_rate);
}

void mark_front(std::vector<VariantAdvice>& variants) {
    for (auto& v : variants) {
        v.on_front = v.cost_per_call && v.pass_rate &&
                     std::none_of(variants.begin(), variants.end(),
                                  [&](const VariantAdvice& u) { return dominates(u, v); });
    }
}

// The cheapest qualifying variant on the front (ties: the higher pass rate).
std::optional<int> choose(const std::vector<VariantAdvice>& variants) {
    std::optional<int> chosen;
    for (size_t i = 0; i < variants.size(); ++i) {
        const auto& v = variants[i];
        if (!v.qualifies || !v.on_front) {
            continue;
        }
        const auto& c = chosen ? variants[static_cast<size_t>(*chosen)] : v;
        if (!chosen || *v.cost_per_call < *c.cost_per_call ||
            (*v.cost_per_call == *c.cost_per_call && *v.pass_rate > *c.pass_rate)) {
            chosen = static_cast<int>(i);
        }
    }
    return chosen;
}

std::optional<int> highest_pass_rate(const std::vector<VariantAdvice>& variants) {
    std::optional<int> best;
    for (size_t i = 0; i < variants.size(); ++i) {
        const auto& v = variants[i];
        if (v.pass_rate &&
            (!best || *v.pass_rate > *variants[static_cast<size_t>(*best)].pass_rate)) {
            best = static_cast<int>(i);
        }
    }
    return best;
}

// The chosen variant against the best one, paired on the run's cases (what `llmops diff
// RUN:best RUN:chosen` says).
Expected<void> compare_with_best(store::Database& db, Advice& a) {
    const auto side = [&](int i) -> Expected<compare::Side> {
        compare::SideRef ref{std::to_string(a.run_id),
                             std::to_string(a.variants[static_cast<size_t>(i)].index)};
        auto sides = LLMOPS_TRY(compare::load_sides(&db, ref));
        return std::move(sides.front());
    };
    const compare::Side best = LLMOPS_TRY(side(*a.best));
    const compare::Side chosen = LLMOPS_TRY(side(*a.chosen));
    compare::Options options;
    options.alpha = 1 - a.confidence;
    const auto c = compare::compare(best, chosen, options);
    if (const auto* m = c.metric("pass rate")) {
        a.difference = m->difference;
        a.p_value = m->p_value;
        a.distinguishable = m->verdict == stats::Verdict::worse;
    }
    return {};
}

// The prompt whose production traffic counts: the one a run over traces graded, else the
// prompt side of the chosen (or first) variant, without its `@ref`.
std::string traffic_prompt(const store::RunRecord& run, const Advice& a) {
    if (run.provenance.contains("traces") && run.provenance["traces"].contains("prompt")) {
        return run.provenance["traces"]["prompt"].get<std::string>();
    }
    const size_t i = a.chosen ? static_cast<size_t>(*a.chosen) : 0;
    std::string label = i < run.variants.size() ? run.variants[i].prompt_label : "";
    return label.substr(0, label.find('@'));
}

Expected<void> add_traffic(store::Database& db, const store::RunRecord& run, const AdviceOptions& o,
                           Advice& a) {
    a.prompt = traffic_prompt(run, a);
    if (o.monthly_calls) {
        a.monthly_calls = o.monthly_calls;
        a.traffic_source = "--traffic";
    }
    store::CallFilter filter;
    filter.prompt = a.prompt;
    filter.since_unix_ns = o.now_unix_ns - k_traffic_days * k_ns_per_day;
    filter.until_unix_ns = o.now_unix_ns;
    int64_t calls = 0, priced = 0;
    double cost = 0;
    if (!a.prompt.empty()) {
        LLMOPS_TRY(store::scan_call_facts(db, filter, [&](const store::CallFacts& f) {
            ++calls;
            if (f.cost_usd) {
                ++priced;
                cost += *f.cost_usd;
            }
        }));
    }
    if (calls > 0 && !a.monthly_calls) {
        a.monthly_calls = static_cast<double>(calls);
        a.traffic_source = fmt::format("traces ({} days)", k_traffic_days);
    }
    if (priced > 0) {
        a.production_cost = cost / static_cast<double>(priced);
    }
    return {};
}

void add_saving(Advice& a) {
    if (!a.chosen) {
        return;
    }
    const auto& chosen = a.variants[static_cast<size_t>(*a.chosen)];
    const auto& best = a.variants[static_cast<size_t>(*a.best)];
    if (a.production_cost) {
        a.saving_per_call = *a.production_cost - *chosen.cost_per_call;
    } else if (best.cost_per_call) {
        a.saving_per_call = *best.cost_per_call - *chosen.cost_per_call;
    }
    if (a.saving_per_call && a.monthly_calls) {
        a.monthly_saving = *a.saving_per_call * *a.monthly_calls;
    }
}

} // namespace

std::optional<int64_t> cases_for_lower_bound(double rate, double bar, double confidence) {
    if (!(rate > bar) || rate > 1) {
        return std::nullopt;
    }
    const auto reaches = [&](int64_t n) {
        auto ci = stats::wilson_interval_of_rate(rate, static_cast<double>(n), confidence);
        return ci && ci->lower >= bar;
    };
    int64_t high = 1;
    while (!reaches(high)) {
        high *= 2;
        if (high > 10'000'000) {
            return std::nullopt;
        }
    }
    int64_t low = high / 2; // does not reach (or is 0)
    while (high - low > 1) {
        const int64_t mid = low + (high - low) / 2;
        (reaches(mid) ? high : low) = mid;
    }
    return high;
}

Expected<Advice> advise(store::Database& db, int64_t run_id, const AdviceOptions& o) {
    if (!(o.min_pass_rate > 0 && o.min_pass_rate < 1)) {
        return fail(ErrorCode::invalid_input, "--min-pass-rate {} is not in (0, 1)",
                    o.min_pass_rate);
    }
    const auto run = LLMOPS_TRY(store::load_run(db, run_id));
    const auto summary = LLMOPS_TRY(eval::summarize_run(db, run_id));
    Advice a;
    a.run_id = run_id;
    a.bar = o.min_pass_rate;
    a.confidence = o.confidence;
    for (const auto& v : summary.variants) {
        a.variants.push_back(variant_advice(v, o));
    }
    if (a.variants.empty() || std::none_of(a.variants.begin(), a.variants.end(),
                                           [](const auto& v) { return v.judged > 0; })) {
        return fail(ErrorCode::invalid_input, "run {} has no judged result to advise on", run_id);
    }
    mark_front(a.variants);
    a.chosen = choose(a.variants);
    a.best = highest_pass_rate(a.variants);
    if (a.chosen && a.best && *a.chosen != *a.best) {
        LLMOPS_TRY(compare_with_best(db, a));
    }
    if (!a.chosen && a.best) {
        const auto& best = a.variants[static_cast<size_t>(*a.best)];
        a.cases_needed = cases_for_lower_bound(*best.pass_rate, a.bar, a.confidence);
    }
    if (std::any_of(a.variants.begin(), a.variants.end(),
                    [](const auto& v) { return v.judged > 0 && !v.cost_per_call; })) {
        a.notes.push_back("a variant with unpriced calls has no cost per call: it is left off "
                          "the front (set its price in .llmops/prices.yaml)");
    }
    LLMOPS_TRY(add_traffic(db, run, o, a));
    add_saving(a);
    return a;
}

} // namespace llmops::online
