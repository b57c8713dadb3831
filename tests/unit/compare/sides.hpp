#pragma once
// Sides of a diff built in memory, for the compare tests.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/compare/compare.hpp>

namespace llmops::test::sides {

using nlohmann::json;

// A result of `status` (pass and fail score 1 and 0, an error none).
inline compare::CaseResult result(std::string status, std::string output = "ok",
                                  double cost = 0.001, double latency = 100, int repeat = 0) {
    compare::CaseResult r;
    r.repeat = repeat;
    r.status = std::move(status);
    if (r.status != "error") {
        r.score = r.status == "pass" ? 1.0 : 0.0;
    }
    r.output = std::move(output);
    r.input_tokens = 10;
    r.output_tokens = 5;
    r.cost_usd = cost;
    r.latency_ms = latency;
    return r;
}

// A side of one variant, with no case yet.
inline compare::Side side(std::string name, std::string label) {
    compare::Side s;
    s.name = std::move(name);
    s.run_id = 1;
    s.label = std::move(label);
    s.prompt_label = "triage@1";
    s.prompt_version_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    s.provider_id = "openai:gpt-4o-mini";
    s.dataset_hash = "d1";
    return s;
}

// Adds case `id` to `s`.
inline void add_case(compare::Side& s, const std::string& id,
                     std::vector<compare::CaseResult> results, json vars = json::object()) {
    s.cases.push_back(
        {id, "", static_cast<int64_t>(s.cases.size()), std::move(results), std::move(vars)});
}

// `n` results of `status` (repeats 0..n-1).
inline std::vector<compare::CaseResult> repeats(int n, const std::string& status) {
    std::vector<compare::CaseResult> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(result(status, "x", 0.001, 100, i));
    }
    return out;
}

} // namespace llmops::test::sides
