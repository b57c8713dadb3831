#include <llmops/compare/compare.hpp>

#include <cstdint>

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include <llmops/compare/pairing.hpp>
#include <llmops/eval/summary.hpp>
#include <llmops/stats/bootstrap.hpp>
#include <llmops/stats/clustered.hpp>
#include <llmops/stats/distribution.hpp>
#include <llmops/stats/pass_at_k.hpp>
#include <llmops/stats/proportion.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/diff.hpp>

namespace llmops::compare {

namespace {

using nlohmann::json;
// Pass fraction of a case's judged results (errors left out); nullopt when all errored.
std::optional<double> pass_fraction(const SideCase& c) {
    int judged = 0;
    int passed = 0;
    for (const auto& r : c.results) {
        if (r.status == "error") {
            continue;
        }
        ++judged;
        passed += r.status == "pass" ? 1 : 0;
    }
    if (judged == 0) {
        return std::nullopt;
    }
    return static_cast<double>(passed) / judged;
}

// The judged results of a case as 0/1, or its scores.
std::vector<double> outcomes(const SideCase& c) {
    std::vector<double> out;
    for (const auto& r : c.results) {
        if (r.status != "error") {
            out.push_back(r.status == "pass" ? 1.0 : 0.0);
        }
    }
    return out;
}

std::optional<double> mean_score(const SideCase& c) {
    double sum = 0;
    int n = 0;
    for (const auto& r : c.results) {
        if (r.status != "error" && r.score) {
            sum += *r.score;
            ++n;
        }
    }
    return n ? std::optional(sum / n) : std::nullopt;
}

std::optional<double> mean_metric(const SideCase& c, const std::string& metric) {
    double sum = 0;
    int n = 0;
    for (const auto& r : c.results) {
        if (auto it = r.metrics.find(metric); it != r.metrics.end() && r.status != "error") {
            sum += it->second;
            ++n;
        }
    }
    return n ? std::optional(sum / n) : std::nullopt;
}

// A result as eval's summaries count it: what VariantSummary::add reads (status, score, tokens,
// cost, latency, cache, the judge's share). The output only says whether the call answered.
store::ResultRecord record_of(const CaseResult& r) {
    store::ResultRecord out;
    out.repeat = r.repeat;
    out.status = r.status;
    out.score = r.score;
    if (r.answered) {
        out.output.emplace();
    }
    out.input_tokens = r.input_tokens;
    out.output_tokens = r.output_tokens;
    out.cost_usd = r.cost_usd;
    out.latency_ms = r.latency_ms;
    out.cached = r.cached;
    out.judge_calls = r.judge_calls;
    out.judge_input_tokens = r.judge_input_tokens;
    out.judge_output_tokens = r.judge_output_tokens;
    out.judge_cost_usd = r.judge_cost_usd;
    return out;
}

// Usage as a view of `totals`, with the cost per case over `priced_cases`.
Usage usage_view(const eval::VariantSummary& totals, int64_t priced_cases) {
    Usage u;
    u.results = totals.results;
    u.errors = totals.errors;
    u.cached = totals.cached;
    u.input_tokens = totals.input_tokens;
    u.output_tokens = totals.output_tokens;
    u.cost_usd = totals.cost_usd;
    u.unpriced = totals.unpriced;
    if (priced_cases > 0) {
        u.cost_per_case = u.cost_usd / static_cast<double>(priced_cases);
    }
    u.latency_p50 = stats::percentile(totals.latencies_ms, 50);
    u.latency_p95 = stats::percentile(totals.latencies_ms, 95);
    u.latency_p99 = stats::percentile(totals.latencies_ms, 99);
    u.judge_calls = totals.judge_calls;
    u.judge_input_tokens = totals.judge_input_tokens;
    u.judge_output_tokens = totals.judge_output_tokens;
    u.judge_cost_usd = totals.judge_cost_usd;
    u.judge_unpriced = totals.judge_unpriced;
    return u;
}

// A side's cost and speed: its results added one by one to eval's accumulator, the one place a
// result is counted (without their assertions: Usage shows no judge noise).
Usage usage_of(const Side& side) {
    eval::VariantSummary totals;
    int64_t priced_cases = 0;
    for (const auto& c : side.cases) {
        bool priced = false;
        for (const auto& r : c.results) {
            totals.add(record_of(r), eval::Answer::called, {});
            priced = priced || (r.answered && r.cost_usd); // add counted its cost
        }
        priced_cases += priced ? 1 : 0;
    }
    return usage_view(totals, priced_cases);
}

// The pass rate over every judged repeat of `all` (one outcome list per judged case).
std::optional<double> pass_rate_of(const std::vector<std::vector<double>>& all) {
    double sum = 0;
    size_t n = 0;
    for (const auto& v : all) {
        for (double x : v) {
            sum += x;
            ++n;
        }
    }
    return n ? std::optional(sum / static_cast<double>(n)) : std::nullopt;
}

// Its interval at 1 - alpha: Wilson, with repeats at the effective number of observations the
// design effect of the repeats leaves (stats::clustered_proportion).
std::optional<stats::Interval> pass_rate_interval(const std::vector<std::vector<double>>& all,
                                                  int repeats, double alpha) {
    if (repeats > 1) {
        auto p = stats::clustered_proportion(all, 1 - alpha);
        return p ? std::optional(p->interval) : std::nullopt;
    }
    size_t k = 0;
    for (const auto& v : all) {
        k += v.empty() ? 0 : static_cast<size_t>(v[0]);
    }
    return stats::wilson_interval(k, all.size(), 1 - alpha);
}

// The verdict a metric compared on `pairs` cases may give: a test's only from
// k_min_paired_cases on.
stats::Verdict verdict_at(int64_t pairs, stats::Verdict tested) {
    return pairs == 0                   ? stats::Verdict::nothing_to_compare
           : pairs < k_min_paired_cases ? stats::Verdict::too_few_cases
                                        : tested;
}

// What compare() gathers from the cases for its statistics.
struct Gathered {
    stats::PairedCounts counts;
    std::vector<std::vector<double>> a_outcomes, b_outcomes; // judged on both sides, per case
    std::vector<double> a_scores, b_scores;                  // per-case mean scores, both scored
    std::vector<std::vector<double>> a_all, b_all;           // every judged case of a side
    std::set<std::string> metric_names;
};

void add_metric_names(const SideCase& sc, std::set<std::string>& names) {
    for (const auto& r : sc.results) {
        for (const auto& [name, v] : r.metrics) {
            names.insert(name);
        }
    }
}

// How a case judged on both sides changed; counts it in `g`.
CaseChange judge_pair(const CaseDiff& d, Gathered& g) {
    // A case passes on a side when most of its judged repeats pass (all, without repeats).
    const bool pa = *d.baseline_pass > 0.5;
    const bool pb = *d.candidate_pass > 0.5;
    g.counts.add(pa, pb);
    g.a_outcomes.push_back(outcomes(*d.baseline));
    g.b_outcomes.push_back(outcomes(*d.candidate));
    const auto sa = mean_score(*d.baseline);
    const auto sb = mean_score(*d.candidate);
    if (sa && sb) {
        g.a_scores.push_back(*sa);
        g.b_scores.push_back(*sb);
    }
    return pa && pb ? CaseChange::unchanged_pass
           : pa     ? CaseChange::regression
           : pb     ? CaseChange::fix
                    : CaseChange::unchanged_fail;
}

// One pair of cases (either may be missing) as a CaseDiff, gathered into `g`.
CaseDiff diff_pair(const detail::CasePair& pair, Gathered& g) {
    CaseDiff d;
    const SideCase* named = pair.baseline != nullptr ? pair.baseline : pair.candidate;
    d.id = named->id;
    d.description = named->description;
    d.baseline = pair.baseline;
    d.candidate = pair.candidate;
    if (d.baseline != nullptr) {
        d.baseline_pass = pass_fraction(*d.baseline);
        if (d.baseline_pass) {
            g.a_all.push_back(outcomes(*d.baseline));
        }
        add_metric_names(*d.baseline, g.metric_names);
    }
    if (d.candidate != nullptr) {
        d.candidate_pass = pass_fraction(*d.candidate);
        if (d.candidate_pass) {
            g.b_all.push_back(outcomes(*d.candidate));
        }
        add_metric_names(*d.candidate, g.metric_names);
    }
    d.change = d.candidate == nullptr                  ? CaseChange::missing
               : d.baseline == nullptr                 ? CaseChange::new_case
               : !d.baseline_pass || !d.candidate_pass ? CaseChange::errored
                                                       : judge_pair(d, g);
    return d;
}

// The pass rates compared without repeats: Tango's interval and McNemar's exact test.
void paired_test(MetricDiff& m, const stats::PairedCounts& counts, double alpha) {
    if (auto p = stats::compare_paired(counts, 1 - alpha)) {
        m.difference = p->difference;
        m.difference_interval = p->interval;
        m.p_value = p->p_value;
        m.verdict = stats::verdict_from_test(p->difference, p->p_value, alpha,
                                             stats::Direction::higher_is_better);
    }
    m.method = "Wilson intervals; paired difference with Tango's interval and McNemar's exact test";
}

// The pass rates compared with repeats: the clustered difference and its normal interval
// (clipped to [-1, 1], where a difference of rates lies), McNemar's exact p on the per-case
// majorities beside it.
void clustered_test(MetricDiff& m, const Gathered& g, int repeats, double alpha) {
    auto z = stats::normal_critical_value(1 - alpha);
    if (auto d = stats::clustered_difference(g.a_outcomes, g.b_outcomes); d && z) {
        m.difference = d->mean;
        m.difference_interval = stats::Interval{std::max(-1.0, d->mean - *z * d->standard_error),
                                                std::min(1.0, d->mean + *z * d->standard_error)};
        if (d->standard_error > 0) {
            m.p_value = stats::normal_two_sided_p(d->mean / d->standard_error);
        }
        m.verdict = stats::verdict_from_interval(*m.difference_interval,
                                                 stats::Direction::higher_is_better);
    }
    m.method = fmt::format("Wilson intervals at the effective number of cases (design effect of "
                           "{} repeats); difference with clustered standard errors by case",
                           repeats);
    if (g.counts.total() > 0) {
        m.method += fmt::format("; McNemar's exact p on per-case majorities = {:.4g}",
                                stats::mcnemar_exact_p(g.counts.regressions, g.counts.fixes));
    }
}

MetricDiff pass_rate_metric(const Gathered& g, int repeats, double alpha) {
    MetricDiff m;
    m.name = "pass rate";
    m.baseline = pass_rate_of(g.a_all);
    m.candidate = pass_rate_of(g.b_all);
    m.baseline_interval = pass_rate_interval(g.a_all, repeats, alpha);
    m.candidate_interval = pass_rate_interval(g.b_all, repeats, alpha);
    m.pairs = static_cast<int64_t>(g.counts.total());
    if (repeats <= 1) {
        paired_test(m, g.counts, alpha);
    } else {
        clustered_test(m, g, repeats, alpha);
    }
    m.verdict = verdict_at(m.pairs, m.verdict);
    return m;
}

// Passes and trials over every judged repeat of a side's cases.
std::pair<size_t, size_t> pass_counts(const std::vector<std::vector<double>>& all) {
    size_t passes = 0, trials = 0;
    for (const auto& v : all) {
        for (double x : v) {
            passes += x > 0.5 ? 1 : 0;
            ++trials;
        }
    }
    return {passes, trials};
}

// The pass rates of two sides holding different production calls: two independent samples,
// Newcombe's interval of the difference and the pooled z-test.
MetricDiff unpaired_pass_rate_metric(const Gathered& g, double alpha) {
    MetricDiff m;
    m.name = "pass rate";
    m.baseline = pass_rate_of(g.a_all);
    m.candidate = pass_rate_of(g.b_all);
    m.baseline_interval = pass_rate_interval(g.a_all, 1, alpha);
    m.candidate_interval = pass_rate_interval(g.b_all, 1, alpha);
    const auto [a_passes, a_trials] = pass_counts(g.a_all);
    const auto [b_passes, b_trials] = pass_counts(g.b_all);
    m.method = "Wilson intervals; unpaired (different production calls): difference of two "
               "independent proportions with Newcombe's interval and the pooled z-test";
    auto cmp = stats::compare_independent({a_passes, a_trials, b_passes, b_trials}, 1 - alpha);
    if (!cmp) {
        return m;
    }
    m.difference = cmp->difference;
    m.difference_interval = cmp->interval;
    m.p_value = cmp->p_value;
    m.verdict = verdict_at(static_cast<int64_t>(std::min(a_trials, b_trials)),
                           stats::verdict_from_test(cmp->difference, cmp->p_value, alpha,
                                                    stats::Direction::higher_is_better));
    return m;
}

// When the pass rate's interval and the test its verdict follows disagree (Tango's interval is
// asymptotic, McNemar's test exact: they part near the margin), a note saying so; else "".
std::string disagreement_note(const MetricDiff& m, double alpha) {
    if (!m.difference_interval || !m.p_value || m.pairs < k_min_paired_cases) {
        return "";
    }
    const bool interval_says = m.difference_interval->lower > 0 || m.difference_interval->upper < 0;
    const bool test_says = *m.p_value < alpha;
    if (interval_says == test_says) {
        return "";
    }
    return fmt::format("{}: the {:g}% interval {} 0 but McNemar's exact test gives p={:.4f}, {} "
                       "alpha {:g}; the verdict follows the exact test (Tango's interval is "
                       "asymptotic)",
                       m.name, 100 * (1 - alpha), interval_says ? "excludes" : "includes",
                       *m.p_value, test_says ? "below" : "not below", alpha);
}

// A mean score or named metric compared: the paired bootstrap of per-case means, from
// k_min_paired_cases on (below, a bootstrap interval is narrower than the data allow: one case
// gives it zero width); the observed difference is shown either way.
MetricDiff bootstrap_metric(std::string name, const std::vector<double>& a,
                            const std::vector<double>& b, const Options& options) {
    MetricDiff m;
    m.name = std::move(name);
    m.pairs = static_cast<int64_t>(a.size());
    stats::BootstrapOptions bo;
    bo.confidence = 1 - options.alpha;
    bo.seed = options.bootstrap_seed;
    bo.resamples = options.bootstrap_resamples;
    m.method = fmt::format("paired bootstrap of per-case means ({} resamples, seed {})",
                           bo.resamples, bo.seed);
    if (m.pairs >= k_min_paired_cases) {
        if (auto d = stats::paired_bootstrap(a, b, bo)) {
            m.difference = d->difference;
            m.difference_interval = d->interval;
            m.verdict =
                stats::verdict_from_interval(d->interval, stats::Direction::higher_is_better);
        }
    } else if (m.pairs > 0) {
        m.difference = *stats::mean(b) - *stats::mean(a);
        m.method += fmt::format(", from {} paired cases on", k_min_paired_cases);
    }
    m.verdict = verdict_at(m.pairs, m.verdict);
    return m;
}

// The mean over a side's cases of `per_case` (cases without a value left out).
template <typename PerCase>
std::optional<double> side_mean(const Side& s, PerCase per_case) {
    double sum = 0;
    size_t n = 0;
    for (const auto& sc : s.cases) {
        if (auto v = per_case(sc)) {
            sum += *v;
            ++n;
        }
    }
    return n ? std::optional(sum / static_cast<double>(n)) : std::nullopt;
}

// The mean score and each named metric, compared.
void add_score_metrics(Comparison& c, const Gathered& g, const Options& options) {
    auto m = bootstrap_metric("mean score", g.a_scores, g.b_scores, options);
    m.baseline = side_mean(*c.baseline, mean_score);
    m.candidate = side_mean(*c.candidate, mean_score);
    c.quality.push_back(std::move(m));
    for (const auto& name : g.metric_names) {
        std::vector<double> a, b;
        for (const auto& d : c.cases) {
            if (d.baseline && d.candidate) {
                auto va = mean_metric(*d.baseline, name);
                auto vb = mean_metric(*d.candidate, name);
                if (va && vb) {
                    a.push_back(*va);
                    b.push_back(*vb);
                }
            }
        }
        auto per_case = [&](const SideCase& sc) { return mean_metric(sc, name); };
        auto metric = bootstrap_metric("metric: " + name, a, b, options);
        metric.baseline = side_mean(*c.baseline, per_case);
        metric.candidate = side_mean(*c.candidate, per_case);
        c.quality.push_back(std::move(metric));
    }
}

// A side's repeat statistics at k: its flaky cases, pass@k and pass^k.
struct RepeatStats {
    int64_t flaky = 0;
    stats::CaseMean at_k;
    stats::CaseMean hat_k;
};

RepeatStats repeat_stats(const Side& s, size_t k) {
    RepeatStats out;
    std::vector<stats::CaseCounts> all;
    for (const auto& sc : s.cases) {
        stats::CaseCounts cc;
        for (const auto& r : sc.results) {
            if (r.status != "error") {
                ++cc.samples;
                cc.passes += r.status == "pass" ? 1 : 0;
            }
        }
        out.flaky += stats::is_flaky(cc) ? 1 : 0;
        all.push_back(cc);
    }
    out.at_k = stats::pass_at_k_over_cases(all, k);
    out.hat_k = stats::pass_hat_k_over_cases(all, k);
    return out;
}

void add_repeat_stats(Comparison& c) {
    const auto k = static_cast<size_t>(c.repeats);
    const auto a = repeat_stats(*c.baseline, k);
    const auto b = repeat_stats(*c.candidate, k);
    c.baseline_flaky = a.flaky;
    c.candidate_flaky = b.flaky;
    c.baseline_pass_at_k = a.at_k.mean;
    c.candidate_pass_at_k = b.at_k.mean;
    c.baseline_pass_hat_k = a.hat_k.mean;
    c.candidate_pass_hat_k = b.hat_k.mean;
    c.baseline_pass_k_left_out = static_cast<int64_t>(a.at_k.left_out);
    c.candidate_pass_k_left_out = static_cast<int64_t>(b.at_k.left_out);
    if (a.at_k.left_out > 0 || b.at_k.left_out > 0) {
        c.notes.push_back(fmt::format(
            "pass@{0} and pass^{0} are over the cases with {0} judged repeats: {1} baseline and "
            "{2} candidate case(s) with fewer (errors) are left out",
            k, a.at_k.left_out, b.at_k.left_out));
    }
}

// The notes on what differs between the sides besides the cases.
void add_notes(Comparison& c) {
    const Side& baseline = *c.baseline;
    const Side& candidate = *c.candidate;
    if (!c.unpaired && !baseline.dataset_hash.empty() && !candidate.dataset_hash.empty() &&
        baseline.dataset_hash != candidate.dataset_hash) {
        c.notes.push_back(
            fmt::format("the datasets differ: {} case(s) are compared, {} new, {} missing",
                        c.paired, c.count(CaseChange::new_case), c.count(CaseChange::missing)));
    }
    if (baseline.prompt_version_id != candidate.prompt_version_id &&
        !baseline.prompt_content.empty() && !candidate.prompt_content.empty()) {
        c.prompt_diff = util::unified_diff(baseline.prompt_content, candidate.prompt_content,
                                           baseline.prompt_label, candidate.prompt_label, false);
    }
    if (baseline.prompt_version_id != candidate.prompt_version_id) {
        c.notes.push_back(
            fmt::format("the prompt changed: {} ({}) -> {} ({})", baseline.prompt_label,
                        baseline.prompt_version_id.substr(0, 12), candidate.prompt_label,
                        candidate.prompt_version_id.substr(0, 12)));
    }
    if (baseline.provider_id != candidate.provider_id) {
        c.notes.push_back(fmt::format("the provider changed: {} -> {}", baseline.provider_id,
                                      candidate.provider_id));
    } else if (baseline.provider_config != candidate.provider_config) {
        c.notes.push_back(fmt::format("the provider's settings changed: {} -> {}",
                                      baseline.provider_config.dump(),
                                      candidate.provider_config.dump()));
    }
    if (baseline.judge != candidate.judge) {
        c.notes.push_back(fmt::format("the judge changed: {} -> {}",
                                      baseline.judge.empty() ? "none" : baseline.judge,
                                      candidate.judge.empty() ? "none" : candidate.judge));
    }
}
} // namespace

SideSummary summarize_side(const Side& side, double alpha) {
    SideSummary out;
    std::vector<std::vector<double>> all;
    for (const auto& sc : side.cases) {
        out.repeats = std::max(out.repeats, static_cast<int>(sc.results.size()));
        if (pass_fraction(sc)) {
            all.push_back(outcomes(sc));
        }
    }
    out.judged_cases = static_cast<int64_t>(all.size());
    out.pass_rate = pass_rate_of(all);
    out.interval = pass_rate_interval(all, out.repeats, alpha);
    out.usage = usage_of(side);
    return out;
}

std::string_view to_string(CaseChange change) {
    switch (change) {
    case CaseChange::regression: return "regression";
    case CaseChange::fix: return "fix";
    case CaseChange::unchanged_pass: return "unchanged pass";
    case CaseChange::unchanged_fail: return "unchanged fail";
    case CaseChange::errored: return "error";
    case CaseChange::new_case: return "new";
    case CaseChange::missing: return "missing";
    }
    return "?";
}

int64_t Comparison::count(CaseChange change) const {
    return std::count_if(cases.begin(), cases.end(),
                         [&](const CaseDiff& c) { return c.change == change; });
}

const MetricDiff* Comparison::metric(std::string_view name) const {
    for (const auto& m : quality) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

Comparison compare(const Side& baseline, const Side& candidate, const Options& options) {
    Comparison c;
    c.baseline = &baseline;
    c.candidate = &candidate;
    for (const auto* s : {&baseline, &candidate}) {
        for (const auto& sc : s->cases) {
            c.repeats = std::max(c.repeats, static_cast<int>(sc.results.size()));
        }
    }
    std::optional<std::string> warning;
    Gathered g;
    for (const auto& pair : detail::pair_cases(baseline, candidate, warning)) {
        c.cases.push_back(diff_pair(pair, g));
    }
    if (warning) {
        c.warnings.push_back(*warning);
    }
    c.paired = static_cast<int64_t>(g.counts.total());
    c.unpaired = c.paired == 0 &&
                 (baseline.case_ids == CaseIds::calls || candidate.case_ids == CaseIds::calls);
    c.quality.push_back(c.unpaired ? unpaired_pass_rate_metric(g, options.alpha)
                                   : pass_rate_metric(g, c.repeats, options.alpha));
    add_score_metrics(c, g, options);
    c.baseline_usage = usage_of(baseline);
    c.candidate_usage = usage_of(candidate);
    add_notes(c);
    // Only the pass rate without repeats has an interval and a test from different methods
    // (with repeats both come from the same clustered standard error).
    if (auto note = c.repeats > 1 ? "" : disagreement_note(c.quality.front(), options.alpha);
        !note.empty()) {
        c.notes.push_back(std::move(note));
    }
    if (c.repeats > 1) {
        add_repeat_stats(c);
    }
    if (c.unpaired) {
        c.notes.push_back("the sides are different production calls: pass rates compared "
                          "unpaired, as two independent samples");
    } else if (c.paired == 0) {
        c.notes.push_back("no case was judged on both sides: nothing to compare");
    } else if (c.paired < k_min_paired_cases) {
        c.notes.push_back(fmt::format("{} case(s) judged on both sides, fewer than the {} a "
                                      "verdict needs: too few cases",
                                      c.paired, k_min_paired_cases));
    }
    return c;
}

std::vector<std::string> check_gates(const Comparison& c, const Gates& gates) {
    std::vector<std::string> failures;
    if (gates.fail_on_regression) {
        for (const auto& m : c.quality) {
            if (m.verdict == stats::Verdict::worse) {
                failures.push_back(fmt::format("{} is significantly worse: {:+.4g} ({})", m.name,
                                               m.difference.value_or(0), m.method));
            }
        }
    }
    if (gates.min_pass_rate) {
        const auto* m = c.metric("pass rate");
        if (m == nullptr || !m->candidate || *m->candidate + 1e-12 < *gates.min_pass_rate) {
            failures.push_back(fmt::format(
                "pass rate {} is below the {:.1f}% required",
                m && m->candidate ? fmt::format("{:.1f}%", 100 * *m->candidate) : "unknown",
                100 * *gates.min_pass_rate));
        }
    }
    if (gates.max_cost_increase && c.baseline_usage.cost_per_case &&
        c.candidate_usage.cost_per_case) {
        if (auto change = stats::relative_change(*c.baseline_usage.cost_per_case,
                                                 *c.candidate_usage.cost_per_case);
            change && *change * 100 > *gates.max_cost_increase + 1e-9) {
            failures.push_back(
                fmt::format("cost per case rose {:.1f}%, more than the {:.1f}% allowed",
                            *change * 100, *gates.max_cost_increase));
        }
    }
    if (gates.max_latency_increase && c.baseline_usage.latency_p50 &&
        c.candidate_usage.latency_p50) {
        if (auto change = stats::relative_change(*c.baseline_usage.latency_p50,
                                                 *c.candidate_usage.latency_p50);
            change && *change * 100 > *gates.max_latency_increase + 1e-9) {
            failures.push_back(
                fmt::format("median latency rose {:.1f}%, more than the {:.1f}% allowed",
                            *change * 100, *gates.max_latency_increase));
        }
    }
    return failures;
}

} // namespace llmops::compare
