#include <llmops/metrics/collect.hpp>

#include <algorithm>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include <llmops/store/calls.hpp>
#include <llmops/store/drift_checks.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::metrics {

using nlohmann::json;

namespace {

// A cap on the series of one group: series are admitted until `max`, the rest counted.
struct Cap {
    std::string group;
    std::size_t max = 0;
    std::size_t used = 0;
    int64_t dropped = 0;

    bool admit() {
        if (used < max) {
            ++used;
            return true;
        }
        ++dropped;
        return false;
    }
};

Family gauge(std::string name, std::string help) {
    return Family{std::move(name), std::move(help), MetricType::gauge};
}

Family counter(std::string name, std::string help) {
    return Family{std::move(name), std::move(help), MetricType::counter};
}

// A number member of a JSON object read without throwing; nullopt when absent or not a number.
std::optional<double> number_at(const json& object, const char* key) {
    if (!object.is_object()) {
        return std::nullopt;
    }
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number()) {
        return std::nullopt;
    }
    return it->get<double>();
}

std::string string_at(const json& object, const char* key) {
    if (!object.is_object()) {
        return "";
    }
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Unix seconds of an ISO 8601 time; nullopt when it does not parse.
std::optional<double> unix_seconds(const std::optional<std::string>& iso) {
    if (!iso) {
        return std::nullopt;
    }
    const auto ns = store::parse_iso8601_ns(*iso);
    return ns ? std::optional<double>(static_cast<double>(*ns) / 1e9) : std::nullopt;
}

const json& summary_variants(const store::RunRecord& run) {
    static const json k_none = json::array();
    if (!run.summary.is_object()) {
        return k_none;
    }
    const auto it = run.summary.find("variants");
    return it != run.summary.end() && it->is_array() ? *it : k_none;
}

// The families of the latest run of each suite, per variant.
struct EvalFamilies {
    Family pass = gauge("llmops_eval_pass_ratio",
                        "Pass rate of the suite's latest finished run: pass / (pass + fail), 0 to "
                        "1 (errors are neither)");
    Family score = gauge("llmops_eval_mean_score",
                         "Mean assertion score (0 to 1) of the latest run's judged results");
    Family cost = gauge("llmops_eval_cost_usd",
                        "Cost in US dollars of the latest run's model calls (absent when every "
                        "call was unpriced)");
    Family results = gauge("llmops_eval_results",
                           "Results (cases x repeats) of the latest run, errors included");
    Family errors = gauge("llmops_eval_errors", "Results of the latest run that errored");
    Family ended = gauge("llmops_eval_last_run_timestamp_seconds",
                         "When the suite's latest finished run ended, Unix time in seconds");
    Family number = gauge("llmops_eval_last_run_number", "The run number of the latest run");

    void add_variant(const Labels& labels, const json& v) {
        const std::pair<Family*, const char*> fields[] = {{&pass, "pass_rate"},
                                                          {&score, "mean_score"},
                                                          {&cost, "cost_usd"},
                                                          {&results, "results"},
                                                          {&errors, "errors"}};
        for (const auto& [family, key] : fields) {
            if (const auto value = number_at(v, key)) {
                family->samples.push_back({labels, *value});
            }
        }
    }

    void add_run(const store::RunRecord& run, Cap& cap) {
        bool any = false;
        std::set<std::string> seen; // two variants with one label would be one series twice
        for (const auto& v : summary_variants(run)) {
            const std::string label = string_at(v, "label");
            if (seen.insert(label).second && cap.admit()) {
                add_variant({{"suite", run.suite_path}, {"variant", label}}, v);
                any = true;
            }
        }
        if (!any) {
            return;
        }
        if (const auto t = unix_seconds(run.ended_at)) {
            ended.samples.push_back({{{"suite", run.suite_path}}, *t});
        }
        number.samples.push_back({{{"suite", run.suite_path}}, static_cast<double>(run.id)});
    }

    void append(std::vector<Family>& out) {
        for (Family* f : {&pass, &score, &cost, &results, &errors, &ended, &number}) {
            out.push_back(std::move(*f));
        }
    }
};

Expected<void> collect_eval(store::Database& db, Cap& cap, std::vector<Family>& out) {
    auto runs = LLMOPS_TRY(store::latest_finished_runs(db, store::RunGrouping::suite));
    EvalFamilies families;
    // The newest runs first, so the cap drops the suites run longest ago.
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        families.add_run(*it, cap);
    }
    families.append(out);
    return {};
}

Expected<void> collect_online(store::Database& db, Cap& cap, std::vector<Family>& out) {
    auto runs = LLMOPS_TRY(store::latest_finished_runs(db, store::RunGrouping::traces_prompt));
    Family pass = gauge("llmops_online_eval_pass_ratio",
                        "Pass rate of the prompt's latest online-eval run (a suite over "
                        "production traces): pass / (pass + fail), 0 to 1");
    Family results = gauge("llmops_online_eval_results",
                           "Results of the prompt's latest online-eval run, errors included");
    Family ended = gauge("llmops_online_eval_last_run_timestamp_seconds",
                         "When the prompt's latest online-eval run ended, Unix time in seconds");
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        if (!cap.admit()) {
            continue;
        }
        const auto traces =
            it->provenance.is_object() ? it->provenance.find("traces") : it->provenance.end();
        const Labels labels = {
            {"prompt", traces != it->provenance.end() ? string_at(*traces, "prompt") : ""}};
        double passed = 0, failed = 0, total = 0;
        for (const auto& v : summary_variants(*it)) {
            passed += number_at(v, "pass").value_or(0);
            failed += number_at(v, "fail").value_or(0);
            total += number_at(v, "results").value_or(0);
        }
        if (passed + failed > 0) {
            pass.samples.push_back({labels, passed / (passed + failed)});
        }
        results.samples.push_back({labels, total});
        if (const auto t = unix_seconds(it->ended_at)) {
            ended.samples.push_back({labels, *t});
        }
    }
    out.push_back(std::move(pass));
    out.push_back(std::move(results));
    out.push_back(std::move(ended));
    return {};
}

// The statistics of the latest drift check of each prompt, one sample per feature.
struct DriftFamilies {
    Family psi = gauge("llmops_drift_psi",
                       "Population stability index of a feature in the prompt's latest drift "
                       "check (current window against the reference)");
    Family ks = gauge("llmops_drift_ks_statistic",
                      "Two-sample Kolmogorov-Smirnov statistic D (0 to 1) of a feature in the "
                      "latest drift check");
    Family js = gauge("llmops_drift_js_distance",
                      "Jensen-Shannon distance (base 2, 0 to 1) of a feature's word "
                      "distributions in the latest drift check");
    Family alarm = gauge("llmops_drift_alarm",
                         "1 when the prompt's latest drift check alarmed (llmops drift exited "
                         "1), else 0");
    Family checked = gauge("llmops_drift_check_timestamp_seconds",
                           "When the prompt's latest drift check ran, Unix time in seconds");

    void add(const store::DriftCheck& check) {
        const Labels labels = {{"prompt", check.prompt}};
        alarm.samples.push_back({labels, check.alarm ? 1.0 : 0.0});
        checked.samples.push_back({labels, static_cast<double>(check.checked_at_unix_ns) / 1e9});
        const json rows = json::parse(check.statistics, nullptr, false);
        if (!rows.is_array()) {
            return;
        }
        for (const auto& row : rows) {
            const std::string statistic = string_at(row, "statistic");
            Family* family = statistic == "psi"  ? &psi
                             : statistic == "ks" ? &ks
                             : statistic == "js" ? &js
                                                 : nullptr;
            const auto value = number_at(row, "value");
            if (family != nullptr && value) {
                family->samples.push_back(
                    {{{"prompt", check.prompt}, {"feature", string_at(row, "feature")}}, *value});
            }
        }
    }
};

Expected<void> collect_drift(store::Database& db, Cap& cap, std::vector<Family>& out) {
    const auto checks = LLMOPS_TRY(store::latest_drift_checks(db));
    DriftFamilies families;
    for (const auto& check : checks) {
        if (cap.admit()) {
            families.add(check);
        }
    }
    for (Family* f :
         {&families.psi, &families.ks, &families.js, &families.alarm, &families.checked}) {
        out.push_back(std::move(*f));
    }
    return {};
}

Expected<void> collect_ab(store::Database& db, Cap& cap, std::vector<Family>& out) {
    store::PromptStore prompts(db);
    const auto labels = LLMOPS_TRY(prompts.labels(std::nullopt));
    Family calls = counter("llmops_ab_arm_calls_total",
                           "Imported calls of one arm (a version) of a split label: calls of the "
                           "prompt whose version is the arm's number or id");
    Family weight = gauge("llmops_ab_arm_weight_ratio",
                          "The share of the split label's traffic configured for the arm, 0 to 1");
    for (const auto& label : labels) {
        for (const auto& arm : label.split) {
            if (!cap.admit()) {
                continue;
            }
            const Labels l = {{"prompt", label.prompt},
                              {"label", label.label},
                              {"version", std::to_string(arm.number)}};
            const int64_t n =
                LLMOPS_TRY(store::count_version_calls(db, label.prompt, arm.number, arm.id));
            calls.samples.push_back({l, static_cast<double>(n)});
            weight.samples.push_back({l, static_cast<double>(arm.weight) / 100.0});
        }
    }
    out.push_back(std::move(calls));
    out.push_back(std::move(weight));
    return {};
}

Family dropped_family(const std::vector<Cap>& caps) {
    Family f = gauge("llmops_metrics_dropped_series",
                     "Series left out of this exposition by the cardinality cap (--max-series), "
                     "per group");
    for (const auto& cap : caps) {
        f.samples.push_back({{{"group", cap.group}}, static_cast<double>(cap.dropped)});
    }
    return f;
}

} // namespace

Expected<void> CallAggregator::update(store::Database& db) {
    return store::scan_call_usage(db, m_last_id, [this](const store::CallUsage& c) { add(c); });
}

void CallAggregator::add(const store::CallUsage& call) {
    m_last_id = std::max(m_last_id, call.id);
    Key key{call.prompt, call.version, call.model};
    auto it = m_series.find(key);
    if (it == m_series.end()) {
        // Series are admitted in import order and kept: a counter never moves to (other).
        if (m_series.size() >= m_max_series) {
            key = Key{k_other, k_other, k_other};
        }
        it = m_series.try_emplace(std::move(key)).first;
    }
    CallTotals& t = it->second;
    ++t.calls;
    t.errors += call.error ? 1 : 0;
    t.input_tokens += call.input_tokens.value_or(0);
    t.output_tokens += call.output_tokens.value_or(0);
    t.cost_usd += call.cost_usd.value_or(0);
    if (call.latency_ms) {
        const double seconds = *call.latency_ms / 1000.0;
        const auto bucket =
            std::lower_bound(std::begin(k_latency_buckets), std::end(k_latency_buckets), seconds);
        ++t.latency_counts[static_cast<size_t>(bucket - std::begin(k_latency_buckets))];
        t.latency_sum += seconds;
    }
}

void CallAggregator::append_families(std::vector<Family>& out) const {
    Family calls = counter("llmops_calls_total", "Imported production LLM calls");
    Family errors = counter("llmops_call_errors_total", "Imported calls that failed");
    Family input = counter("llmops_call_input_tokens_total",
                           "Input (prompt) tokens of imported calls, as their spans reported");
    Family output =
        counter("llmops_call_output_tokens_total", "Output (generated) tokens of imported calls");
    Family cost = counter("llmops_call_cost_usd_total",
                          "Cost in US dollars of imported calls, priced at import (unpriced "
                          "calls count 0)");
    Family latency{"llmops_call_latency_seconds",
                   "Latency of imported calls (span end minus start), seconds",
                   MetricType::histogram};
    latency.bounds.assign(std::begin(k_latency_buckets), std::end(k_latency_buckets));
    for (const auto& [key, t] : m_series) {
        const Labels labels = {{"prompt", std::get<0>(key)},
                               {"version", std::get<1>(key)},
                               {"model", std::get<2>(key)}};
        calls.samples.push_back({labels, static_cast<double>(t.calls)});
        errors.samples.push_back({labels, static_cast<double>(t.errors)});
        input.samples.push_back({labels, static_cast<double>(t.input_tokens)});
        output.samples.push_back({labels, static_cast<double>(t.output_tokens)});
        cost.samples.push_back({labels, t.cost_usd});
        latency.histograms.push_back({labels, t.latency_counts, t.latency_sum});
    }
    for (Family* f : {&calls, &errors, &input, &output, &cost, &latency}) {
        out.push_back(std::move(*f));
    }
}

Expected<std::vector<Family>> Collector::collect(store::Database& db) {
    // One snapshot for every read: the families agree with each other.
    auto snapshot = LLMOPS_TRY(store::ReadTransaction::begin(db));
    std::vector<Cap> caps = {{"eval", m_limits.max_series},
                             {"online_eval", m_limits.max_series},
                             {"drift", m_limits.max_series},
                             {"ab", m_limits.max_series}};
    std::vector<Family> out;
    LLMOPS_TRY(collect_eval(db, caps[0], out));
    LLMOPS_TRY(m_calls.update(db));
    m_calls.append_families(out);
    LLMOPS_TRY(collect_online(db, caps[1], out));
    LLMOPS_TRY(collect_drift(db, caps[2], out));
    LLMOPS_TRY(collect_ab(db, caps[3], out));
    out.push_back(dropped_family(caps));
    return out;
}

Expected<std::string> render_metrics(store::Database& db, Limits limits) {
    Collector collector(limits);
    const auto families = LLMOPS_TRY(collector.collect(db));
    return write_exposition(families);
}

} // namespace llmops::metrics
