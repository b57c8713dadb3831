#include <llmops/online/ab.hpp>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <llmops/stats/distribution.hpp>
#include <llmops/stats/power.hpp>
#include <llmops/stats/proportion.hpp>
#include <llmops/store/call_scan.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::online {

namespace {

// What one arm's calls add up to while they are read.
struct ArmData {
    std::vector<double> latencies;
    std::vector<double> feedback;
    double cost = 0;
};

// The arms of the split label, by version number, the control marked. Fails as analyze_ab says.
Expected<std::vector<ArmResult>> load_arms(store::Database& db, const AbOptions& options) {
    store::PromptStore prompts(db);
    auto labels = LLMOPS_TRY(prompts.labels(options.prompt));
    if (labels.empty()) {
        LLMOPS_TRY(prompts.resolve(options.prompt)); // an unknown prompt, with a did-you-mean
    }
    const auto it = std::find_if(labels.begin(), labels.end(), [&](const store::LabelInfo& l) {
        return l.label == options.label;
    });
    if (it == labels.end()) {
        std::vector<std::string> names;
        for (const auto& l : labels) {
            names.push_back(l.label);
        }
        return fail(ErrorCode::not_found, "prompt '{}' has no label '{}'{}", options.prompt,
                    options.label, util::did_you_mean(options.label, names));
    }
    if (it->split.empty()) {
        return fail(ErrorCode::invalid_input,
                    "label '{}' of '{}' is not split: set a weight with `llmops prompt label set "
                    "{}@N {} --weight W`",
                    options.label, options.prompt, options.prompt, options.label);
    }
    std::vector<ArmResult> arms;
    for (const auto& arm : it->split) {
        ArmResult a;
        a.version = arm.number;
        a.id = arm.id;
        a.weight = arm.weight;
        a.control = arm.number == it->number;
        arms.push_back(std::move(a));
    }
    return arms;
}

// The arm a call's version names: its number (`3`, `v3`), its id or a prefix of 6+ of it.
std::optional<size_t> arm_of(const std::vector<ArmResult>& arms, std::string_view version) {
    std::string_view digits = version;
    if (!digits.empty() && digits[0] == 'v') {
        digits.remove_prefix(1);
    }
    for (size_t i = 0; i < arms.size(); ++i) {
        const auto& arm = arms[i];
        if (digits == std::to_string(arm.version) ||
            (version.size() >= 6 && arm.id.starts_with(version))) {
            return i;
        }
    }
    return std::nullopt;
}

// The prompt's calls in the window.
store::CallFilter window_filter(const AbOptions& options) {
    store::CallFilter filter;
    filter.prompt = options.prompt;
    filter.since_unix_ns = options.window.since_unix_ns;
    filter.until_unix_ns = options.window.until_unix_ns;
    return filter;
}

// Reads the window's calls of the prompt into `arms` and `data`; returns each call's arm by span
// id (for the online-eval results).
Expected<std::unordered_map<std::string, size_t>> scan_calls(store::Database& db,
                                                             const AbOptions& options,
                                                             AbReport& report,
                                                             std::vector<ArmData>& data) {
    std::unordered_map<std::string, size_t> spans;
    LLMOPS_TRY(store::scan_call_facts(db, window_filter(options), [&](const store::CallFacts& f) {
        const auto index = arm_of(report.arms, f.prompt_version);
        if (!index) {
            ++report.other_calls;
            return;
        }
        ArmResult& arm = report.arms[*index];
        ArmData& d = data[*index];
        ++arm.calls;
        arm.errors += f.error ? 1 : 0;
        if (f.feedback) {
            d.feedback.push_back(*f.feedback);
        }
        if (f.cost_usd) {
            ++arm.priced_calls;
            d.cost += *f.cost_usd;
        }
        if (f.latency_ms) {
            d.latencies.push_back(*f.latency_ms);
        }
        spans.emplace(f.span_id, *index);
    }));
    return spans;
}

// Counts the latest online-eval result (highest run id, repeat 0) of each call in `spans`, as
// `llmops drift` does (store::scan_online_outcomes over the same calls).
// NEEDSWORK: results have no index by case id, so the store reads every repeat-0 result once;
// an index (or a table of online-eval results) would make it a lookup per call.
Expected<void> scan_results(store::Database& db, const AbOptions& options,
                            const std::unordered_map<std::string, size_t>& spans,
                            std::vector<ArmResult>& arms) {
    return store::scan_online_outcomes(db, window_filter(options),
                                       [&](const std::string& span, const std::string& status) {
                                           const auto it = spans.find(span);
                                           if (it == spans.end()) {
                                               return; // a call of no arm
                                           }
                                           ArmResult& arm = arms[it->second];
                                           (status == "pass"   ? arm.eval_pass
                                            : status == "fail" ? arm.eval_fail
                                                               : arm.eval_error)++;
                                       });
}

void finish_arm(ArmResult& arm, ArmData& d, double alpha) {
    const auto evaluated = static_cast<size_t>(arm.eval_pass + arm.eval_fail);
    if (evaluated > 0) {
        arm.pass_rate = static_cast<double>(arm.eval_pass) / static_cast<double>(evaluated);
        arm.pass_interval =
            stats::wilson_interval(static_cast<size_t>(arm.eval_pass), evaluated, 1 - alpha);
    }
    arm.feedback_n = static_cast<int64_t>(d.feedback.size());
    arm.feedback_mean = stats::mean(d.feedback);
    if (d.feedback.size() > 1) {
        double sum = 0;
        for (const double x : d.feedback) {
            sum += (x - *arm.feedback_mean) * (x - *arm.feedback_mean);
        }
        arm.feedback_variance = sum / static_cast<double>(d.feedback.size() - 1);
    }
    if (arm.priced_calls > 0) {
        arm.cost_per_call = d.cost / static_cast<double>(arm.priced_calls);
    }
    std::sort(d.latencies.begin(), d.latencies.end());
    arm.latency_p50_ms = stats::percentile_of_sorted(d.latencies, 50);
    arm.latency_p95_ms = stats::percentile_of_sorted(d.latencies, 95);
}

std::optional<AbMetric> choose_metric(const std::vector<ArmResult>& arms) {
    const auto all = [&](auto has) { return std::all_of(arms.begin(), arms.end(), has); };
    if (!all([](const ArmResult& a) { return a.calls > 0; })) {
        return std::nullopt;
    }
    if (all([](const ArmResult& a) { return a.eval_pass + a.eval_fail > 0; })) {
        return AbMetric::online_eval_pass_rate;
    }
    if (all([](const ArmResult& a) { return a.feedback_n > 1; })) {
        return AbMetric::feedback;
    }
    return AbMetric::error_rate;
}

// The per-arm sample of an equal-size two-proportion test that detects `p1` against `p2`.
std::optional<int64_t> needed_for_rates(double p1, double p2, const AbOptions& options) {
    stats::PowerQuestion q;
    q.baseline = std::max(p1, p2);
    q.delta = std::abs(p2 - p1);
    q.alpha = options.alpha;
    q.power = options.power;
    auto size = stats::sample_size(q, stats::Design::independent);
    return size ? std::optional<int64_t>(static_cast<int64_t>(size->cases)) : std::nullopt;
}

// The per-arm sample of Welch's test (normal approximation) for a difference `d` of means with
// variances `v1`, `v2`: (z_a + z_b)² (v1 + v2) / d².
std::optional<int64_t> needed_for_means(double d, double v1, double v2, const AbOptions& options) {
    if (d == 0 || !(v1 + v2 > 0)) {
        return std::nullopt;
    }
    const double z =
        *stats::normal_critical_value(1 - options.alpha) + *stats::normal_quantile(options.power);
    return static_cast<int64_t>(std::ceil(z * z * (v1 + v2) / (d * d)));
}

// Compares two arms' rates of successes `k` out of `n` (errors or eval passes).
ArmComparison compare_rates(size_t k1, size_t n1, size_t k2, size_t n2, stats::Direction direction,
                            const AbOptions& options) {
    ArmComparison c;
    const auto r = stats::test_independent({k1, n1, k2, n2}, 1 - options.alpha);
    if (!r) {
        return c; // no trials on a side: choose_metric rules it out
    }
    c.control_value = r->comparison.baseline_rate;
    c.treatment_value = r->comparison.candidate_rate;
    c.difference = r->comparison.difference;
    c.interval = r->comparison.interval;
    c.p_value = r->comparison.p_value;
    c.test = std::string(stats::to_string(r->test));
    c.verdict = stats::verdict_from_test(c.difference, c.p_value, options.alpha, direction);
    c.needed_per_arm = needed_for_rates(c.control_value, c.treatment_value, options);
    return c;
}

ArmComparison compare_arms(const ArmResult& a, const ArmResult& b, AbMetric metric,
                           const AbOptions& options) {
    const auto n = [](int64_t v) { return static_cast<size_t>(v); };
    ArmComparison c;
    if (metric == AbMetric::online_eval_pass_rate) {
        c = compare_rates(n(a.eval_pass), n(a.eval_pass + a.eval_fail), n(b.eval_pass),
                          n(b.eval_pass + b.eval_fail), stats::Direction::higher_is_better,
                          options);
    } else if (metric == AbMetric::error_rate) {
        c = compare_rates(n(a.errors), n(a.calls), n(b.errors), n(b.calls),
                          stats::Direction::lower_is_better, options);
    } else {
        const auto w = stats::welch_t_test({n(a.feedback_n), *a.feedback_mean, a.feedback_variance},
                                           {n(b.feedback_n), *b.feedback_mean, b.feedback_variance},
                                           1 - options.alpha);
        c.control_value = *a.feedback_mean;
        c.treatment_value = *b.feedback_mean;
        c.difference = c.treatment_value - c.control_value;
        c.test = "welch t-test";
        if (w) {
            c.interval = w->interval;
            c.p_value = w->p_value;
            c.verdict = stats::verdict_from_test(c.difference, c.p_value, options.alpha,
                                                 stats::Direction::higher_is_better);
        } else {
            c.interval = {c.difference, c.difference}; // no variance at all: nothing to test
        }
        c.needed_per_arm =
            needed_for_means(c.difference, a.feedback_variance, b.feedback_variance, options);
    }
    c.control = a.version;
    c.treatment = b.version;
    c.metric = metric;
    if (metric != AbMetric::error_rate) {
        c.error_verdict = compare_rates(n(a.errors), n(a.calls), n(b.errors), n(b.calls),
                                        stats::Direction::lower_is_better, options)
                              .verdict;
    }
    return c;
}

// The most-needed sample per arm across the comparisons, for "keep running".
std::string still_needed(const AbReport& report) {
    std::optional<int64_t> needed;
    for (const auto& c : report.comparisons) {
        if (c.needed_per_arm) {
            needed = std::max(needed.value_or(0), *c.needed_per_arm);
        }
    }
    if (!needed) {
        return "no difference seen yet";
    }
    return fmt::format("about {} per arm needed to detect the observed difference", *needed);
}

void recommend(AbReport& report) {
    const auto metric = report.metric ? to_string(*report.metric) : std::string_view();
    const ArmComparison* best = nullptr;
    for (const auto& c : report.comparisons) {
        if (c.verdict == stats::Verdict::worse || c.error_verdict == stats::Verdict::worse) {
            report.recommendation = Recommendation::roll_back;
            report.recommended_version = c.control;
            report.reason =
                c.verdict == stats::Verdict::worse
                    ? fmt::format("version {} is significantly worse on {}", c.treatment, metric)
                    : fmt::format("version {} is significantly worse on error rate", c.treatment);
            return;
        }
        if (c.verdict == stats::Verdict::better && (!best || c.difference > best->difference)) {
            best = &c;
        }
    }
    if (best) {
        report.recommendation = Recommendation::promote;
        report.recommended_version = best->treatment;
        report.reason =
            fmt::format("version {} is significantly better on {}{}", best->treatment, metric,
                        best->error_verdict ? ", and not worse on error rate" : "");
        return;
    }
    report.recommendation = Recommendation::keep_running;
    report.reason =
        fmt::format("no significant difference on {} yet: {}", metric, still_needed(report));
}

// The SRM check, then the comparisons and the recommendation.
void decide(AbReport& report, const AbOptions& options) {
    std::vector<size_t> counts;
    std::vector<double> weights;
    for (const auto& arm : report.arms) {
        counts.push_back(static_cast<size_t>(arm.calls));
        weights.push_back(static_cast<double>(arm.weight));
    }
    report.srm = stats::chi_square_goodness_of_fit(counts, weights);
    if (!report.srm) {
        report.reason = "no calls of the arms in the window: nothing to analyse yet";
        return;
    }
    report.srm_failed = report.srm->p_value < options.srm_alpha;
    report.metric = choose_metric(report.arms);
    const auto control = std::find_if(report.arms.begin(), report.arms.end(),
                                      [](const ArmResult& a) { return a.control; });
    if (report.metric && control != report.arms.end()) {
        for (const auto& arm : report.arms) {
            if (!arm.control) {
                report.comparisons.push_back(compare_arms(*control, arm, *report.metric, options));
            }
        }
    }
    if (report.srm_failed) {
        report.recommendation = Recommendation::investigate;
        report.reason = fmt::format("sample ratio mismatch (p = {:.3g} < {}): the traffic did not "
                                    "split as configured, so no verdict can be trusted",
                                    report.srm->p_value, options.srm_alpha);
        return;
    }
    if (!report.metric) {
        report.reason = "an arm has no calls in the window yet";
        return;
    }
    recommend(report);
}

} // namespace

std::string_view to_string(AbMetric metric) {
    switch (metric) {
    case AbMetric::online_eval_pass_rate: return "online-eval pass rate";
    case AbMetric::feedback: return "mean feedback";
    case AbMetric::error_rate: return "error rate";
    }
    return "error rate";
}

std::string_view json_name(AbMetric metric) {
    switch (metric) {
    case AbMetric::online_eval_pass_rate: return "online_eval_pass_rate";
    case AbMetric::feedback: return "feedback";
    case AbMetric::error_rate: return "error_rate";
    }
    return "error_rate";
}

std::string_view to_string(Recommendation recommendation) {
    switch (recommendation) {
    case Recommendation::promote: return "promote";
    case Recommendation::roll_back: return "roll back";
    case Recommendation::keep_running: return "keep running";
    case Recommendation::investigate: return "investigate";
    }
    return "keep running";
}

std::string_view json_name(Recommendation recommendation) {
    switch (recommendation) {
    case Recommendation::promote: return "promote";
    case Recommendation::roll_back: return "roll_back";
    case Recommendation::keep_running: return "keep_running";
    case Recommendation::investigate: return "investigate";
    }
    return "keep_running";
}

Expected<AbReport> analyze_ab(store::Database& db, const AbOptions& options) {
    if (!(options.alpha > 0 && options.alpha < 1)) {
        return fail(ErrorCode::invalid_input, "--alpha {} is not between 0 and 1", options.alpha);
    }
    if (!(options.srm_alpha > 0 && options.srm_alpha < 1)) {
        return fail(ErrorCode::invalid_input, "--srm-alpha {} is not between 0 and 1",
                    options.srm_alpha);
    }
    AbReport report;
    report.prompt = options.prompt;
    report.label = options.label;
    report.window = options.window;
    report.alpha = options.alpha;
    report.srm_alpha = options.srm_alpha;
    report.arms = LLMOPS_TRY(load_arms(db, options));
    std::vector<ArmData> data(report.arms.size());
    const auto spans = LLMOPS_TRY(scan_calls(db, options, report, data));
    LLMOPS_TRY(scan_results(db, options, spans, report.arms));
    for (size_t i = 0; i < report.arms.size(); ++i) {
        finish_arm(report.arms[i], data[i], options.alpha);
    }
    decide(report, options);
    return report;
}

Expected<std::optional<int64_t>> split_started(store::Database& db, std::string_view prompt,
                                               std::string_view label) {
    store::PromptStore prompts(db);
    const auto history = LLMOPS_TRY(prompts.label_history(std::string(prompt)));
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
        if (it->label == label) {
            return store::parse_iso8601_ns(it->created_at);
        }
    }
    return std::optional<int64_t>();
}

} // namespace llmops::online
