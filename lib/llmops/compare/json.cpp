// The stable JSON of a comparison (docs/diff.md: `llmops diff --format json`).

#include <llmops/compare/compare.hpp>

#include <algorithm>

#include <llmops/util/money.hpp>

namespace llmops::compare {

namespace {

using nlohmann::json;

json interval_json(const std::optional<stats::Interval>& i) {
    return i ? json::array({i->lower, i->upper}) : json();
}

json optional_json(const std::optional<double>& v) {
    return v ? json(*v) : json();
}

json usage_json(const Usage& u) {
    return json{
        {"results", u.results},
        {"errors", u.errors},
        {"cached", u.cached},
        {"input_tokens", u.input_tokens},
        {"output_tokens", u.output_tokens},
        // null when unknown (no answer had a price), as a run's summary has it
        {"cost_usd", util::cost_known(u.cost_usd, u.unpriced) ? json(u.cost_usd) : json(nullptr)},
        {"unpriced", u.unpriced},
        {"cost_per_case_usd", optional_json(u.cost_per_case)},
        {"latency_p50_ms", optional_json(u.latency_p50)},
        {"latency_p95_ms", optional_json(u.latency_p95)},
        {"latency_p99_ms", optional_json(u.latency_p99)},
        {"judge",
         {{"calls", u.judge_calls},
          {"input_tokens", u.judge_input_tokens},
          {"output_tokens", u.judge_output_tokens},
          {"cost_usd", util::cost_known(u.judge_cost_usd, u.judge_unpriced) ? json(u.judge_cost_usd)
                                                                            : json(nullptr)},
          {"unpriced", u.judge_unpriced}}}};
}

json side_json(const Side& s) {
    return json{{"name", s.name},
                {"run", s.run_id},
                {"variant", s.variant},
                {"label", s.label},
                {"prompt_label", s.prompt_label},
                {"prompt_version_id", s.prompt_version_id},
                {"provider_id", s.provider_id},
                {"dataset_hash", s.dataset_hash},
                {"cases", s.cases.size()}};
}

json quality_json(const Comparison& c) {
    json quality = json::array();
    for (const auto& m : c.quality) {
        quality.push_back({{"name", m.name},
                           {"baseline", optional_json(m.baseline)},
                           {"candidate", optional_json(m.candidate)},
                           {"baseline_interval", interval_json(m.baseline_interval)},
                           {"candidate_interval", interval_json(m.candidate_interval)},
                           {"difference", optional_json(m.difference)},
                           {"difference_interval", interval_json(m.difference_interval)},
                           {"p_value", optional_json(m.p_value)},
                           {"method", m.method},
                           {"paired_cases", m.pairs},
                           {"verdict", std::string(stats::to_string(m.verdict))}});
    }
    return quality;
}

json cases_json(const Comparison& c) {
    json cases = json::array();
    for (const auto& d : c.cases) {
        auto first = [](const SideCase* sc) -> json {
            if (sc == nullptr || sc->results.empty())
                return nullptr;
            const auto& r = sc->results.front();
            return json{{"status", r.status},
                        {"score", optional_json(r.score)},
                        {"reason", r.reason},
                        {"output", r.output},
                        {"vars", sc->vars}};
        };
        cases.push_back({{"id", d.id},
                         {"description", d.description},
                         {"change", std::string(to_string(d.change))},
                         {"baseline_pass", optional_json(d.baseline_pass)},
                         {"candidate_pass", optional_json(d.candidate_pass)},
                         {"baseline", first(d.baseline)},
                         {"candidate", first(d.candidate)}});
    }
    return cases;
}

} // namespace

json to_json(const Comparison& c, const Options& options) {
    const json quality = quality_json(c);
    const json cases = cases_json(c);
    json counts = json::object();
    for (auto change : {CaseChange::regression, CaseChange::fix, CaseChange::unchanged_pass,
                        CaseChange::unchanged_fail, CaseChange::errored, CaseChange::new_case,
                        CaseChange::missing}) {
        std::string key(to_string(change));
        std::replace(key.begin(), key.end(), ' ', '_');
        counts[key] = c.count(change);
    }
    json out{{"llmops_diff", 1},
             {"alpha", options.alpha},
             {"baseline", side_json(*c.baseline)},
             {"candidate", side_json(*c.candidate)},
             {"repeats", c.repeats},
             {"paired_cases", c.paired},
             {"unpaired", c.unpaired},
             {"counts", counts},
             {"quality", quality},
             {"usage",
              {{"baseline", usage_json(c.baseline_usage)},
               {"candidate", usage_json(c.candidate_usage)}}},
             {"notes", c.notes},
             {"warnings", c.warnings},
             {"prompt_diff", c.prompt_diff.empty() ? json() : json(c.prompt_diff)},
             {"cases", cases}};
    if (c.repeats > 1) {
        out["repeat_stats"] = {{"k", c.repeats},
                               {"baseline_flaky", c.baseline_flaky},
                               {"candidate_flaky", c.candidate_flaky},
                               {"baseline_pass_at_k", optional_json(c.baseline_pass_at_k)},
                               {"candidate_pass_at_k", optional_json(c.candidate_pass_at_k)},
                               {"baseline_pass_hat_k", optional_json(c.baseline_pass_hat_k)},
                               {"candidate_pass_hat_k", optional_json(c.candidate_pass_hat_k)},
                               {"baseline_left_out", c.baseline_pass_k_left_out},
                               {"candidate_left_out", c.candidate_pass_k_left_out}};
    }
    return out;
}

} // namespace llmops::compare