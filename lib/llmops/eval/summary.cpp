#include <llmops/eval/summary.hpp>

// Run totals: the one place a result is counted (see summary.hpp), the stored summary's JSON,
// and the assertion results' JSON both ways.

#include <cstdint>

#include <llmops/stats/stats.hpp>
#include <llmops/util/money.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;

// Adds `value` to `into`, stopping at the largest (or smallest) int64: results read from a
// hand-edited export (llmops diff) may hold any count, and a sum must not overflow.
void add_saturating(int64_t& into, int64_t value) {
    if (__builtin_add_overflow(into, value, &into)) {
        into = value < 0 ? INT64_MIN : INT64_MAX;
    }
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

void VariantSummary::add(const store::ResultRecord& r, Answer answer,
                         const std::vector<AssertionResult>& assertions) {
    ++results;
    if (r.status == "error") {
        ++errors;
    } else {
        (r.status == "pass" ? pass : fail) += 1;
        score_sum += r.score.value_or(0);
    }
    add_saturating(input_tokens, r.input_tokens);
    add_saturating(output_tokens, r.output_tokens);
    if (!r.output) {
        return; // the call failed: nothing answered, nothing judged
    }
    if (answer != Answer::none) {
        if (r.cost_usd) {
            cost_usd += *r.cost_usd;
            // Answers from the cache or from a recording (replay:) cost nothing now.
            if (!r.cached && answer != Answer::replayed) {
                spent_usd += *r.cost_usd;
            }
        } else {
            ++unpriced;
        }
        if (r.cached) {
            ++cached;
        } else {
            latencies_ms.push_back(r.latency_ms);
        }
    }
    add_judge(r, assertions);
}

void VariantSummary::add_judge(const store::ResultRecord& r,
                               const std::vector<AssertionResult>& assertions) {
    add_saturating(judge_calls, r.judge_calls);
    add_saturating(judge_input_tokens, r.judge_input_tokens);
    add_saturating(judge_output_tokens, r.judge_output_tokens);
    if (r.judge_cost_usd) {
        judge_cost_usd += *r.judge_cost_usd;
    } else if (r.judge_calls > 0) {
        ++judge_unpriced; // a result without judge calls has no unpriced one (a hand-edited null)
    }
    judge_spent_usd += r.judge_spent_usd;
    count_judged(assertions, judged_assertions, judge_split, position_flips);
}

double VariantSummary::pass_rate() const {
    const int64_t judged = pass + fail;
    return judged == 0 ? 0.0 : static_cast<double>(pass) / static_cast<double>(judged);
}

double VariantSummary::mean_score() const {
    const int64_t judged = pass + fail;
    return judged == 0 ? 0.0 : score_sum / static_cast<double>(judged);
}

double VariantSummary::latency_percentile(double p) const {
    return stats::percentile(latencies_ms, p).value_or(0.0);
}

double VariantSummary::judge_noise_rate() const {
    return judged_assertions == 0
               ? 0.0
               : static_cast<double>(judge_split) / static_cast<double>(judged_assertions);
}

namespace {

// A total cost in JSON: full precision; null when it is unknown (every call unpriced, as
// util::format_cost writes "unknown"), `unpriced` beside it saying how many.
json cost_json(double usd, int64_t unpriced) {
    return util::cost_known(usd, unpriced) ? json(usd) : json(nullptr);
}

} // namespace

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
                {"cost_usd", cost_json(cost_usd, unpriced)},
                {"spent_usd", spent_usd},
                {"unpriced", unpriced},
                {"cached", cached},
                {"latency_p50_ms", latency_percentile(50)},
                {"latency_p95_ms", latency_percentile(95)},
                {"judge",
                 {{"calls", judge_calls},
                  {"input_tokens", judge_input_tokens},
                  {"output_tokens", judge_output_tokens},
                  {"cost_usd", cost_json(judge_cost_usd, judge_unpriced)},
                  {"spent_usd", judge_spent_usd},
                  {"unpriced", judge_unpriced},
                  {"assertions", judged_assertions},
                  {"split", judge_split},
                  {"noise_rate", judge_noise_rate()},
                  {"position_flips", position_flips}}}};
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

Expected<RunSummary> summarize_run(store::Database& db, int64_t run_id) {
    auto run = LLMOPS_TRY(store::load_run(db, run_id));
    RunSummary s;
    s.run_id = run_id;
    s.status = run.status;
    std::vector<Answer> answers;
    for (const auto& v : run.variants) {
        VariantSummary vs;
        vs.index = v.index;
        vs.label = v.label;
        s.variants.push_back(std::move(vs));
        answers.push_back(v.provider_id.starts_with("replay:") ? Answer::replayed : Answer::called);
    }
    if (run.summary.is_object()) {
        s.stopped_by_cost = run.summary.value("stopped_by_cost", false);
        s.stopped_by_errors = run.summary.value("stopped_by_errors", false);
        s.stopped_by_connection = run.summary.value("stopped_by_connection", false);
        s.interrupted = run.summary.value("interrupted", false);
    }
    LLMOPS_TRY(
        store::for_each_result(db, run_id, [&](const store::ResultRecord& r) -> Expected<void> {
            if (r.variant < 0 || static_cast<size_t>(r.variant) >= s.variants.size()) {
                return {};
            }
            const auto v = static_cast<size_t>(r.variant);
            // Only an answered result has assertions to count (add reads them only then).
            s.variants[v].add(r, answers[v],
                              r.output ? assertion_results_from_json(r.assertions)
                                       : std::vector<AssertionResult>());
            return {};
        }));
    return s;
}

} // namespace llmops::eval
