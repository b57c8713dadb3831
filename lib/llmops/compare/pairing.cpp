#include <llmops/compare/pairing.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace llmops::compare::detail {

namespace {

using CaseIndex = std::map<std::string, const SideCase*>;

CaseIndex by_id(const Side& side) {
    CaseIndex out;
    for (const auto& sc : side.cases) {
        out.emplace(sc.id, &sc);
    }
    return out;
}

// The pairs by id alone: every baseline case, then the candidate's others.
std::vector<CasePair> pair_by_id(const Side& baseline, const Side& candidate) {
    const CaseIndex candidates = by_id(candidate);
    std::set<std::string> seen;
    std::vector<CasePair> out;
    for (const auto& a : baseline.cases) {
        seen.insert(a.id);
        const auto it = candidates.find(a.id);
        out.push_back({&a, it == candidates.end() ? nullptr : it->second});
    }
    for (const auto& b : candidate.cases) {
        if (!seen.contains(b.id)) {
            out.push_back({nullptr, &b});
        }
    }
    return out;
}

bool same_inputs(const SideCase& a, const SideCase& b) {
    return a.vars == b.vars;
}

// Whether the two sides' datasets differ: by hash when both have one, else by an id whose
// inputs differ.
bool datasets_differ(const Side& baseline, const Side& candidate) {
    if (!baseline.dataset_hash.empty() && !candidate.dataset_hash.empty() &&
        baseline.dataset_hash != candidate.dataset_hash) {
        return true;
    }
    const CaseIndex candidates = by_id(candidate);
    return std::any_of(baseline.cases.begin(), baseline.cases.end(), [&](const SideCase& a) {
        const auto it = candidates.find(a.id);
        return it != candidates.end() && !same_inputs(a, *it->second);
    });
}

// How many cases of `side` have each inputs (canonical JSON: nlohmann sorts object keys).
std::map<std::string, int> input_counts(const Side& side) {
    std::map<std::string, int> out;
    for (const auto& sc : side.cases) {
        ++out[sc.vars.dump()];
    }
    return out;
}

// The candidate case paired with baseline case `a` by its inputs (unique on both sides), else
// by id among the cases still unpaired; null when none.
const SideCase* partner(const SideCase& a, const Side& baseline, const Side& candidate,
                        const std::map<std::string, int>& counts_a,
                        const std::map<std::string, int>& counts_b,
                        const std::map<std::string, const SideCase*>& by_inputs,
                        const CaseIndex& by_case_id, const std::set<const SideCase*>& taken) {
    const std::string key = a.vars.dump();
    const auto nb = counts_b.find(key);
    if (counts_a.at(key) == 1 && nb != counts_b.end() && nb->second == 1) {
        return by_inputs.at(key);
    }
    const auto it = by_case_id.find(a.id);
    if (it == by_case_id.end() || taken.contains(it->second)) {
        return nullptr;
    }
    const SideCase& b = *it->second;
    // A case paired by its inputs is not also paired by id; nor are two positional ids of
    // different inputs ("case-3" was another row before a row was inserted above it).
    const auto unique_b = counts_a.find(b.vars.dump());
    const bool b_by_inputs =
        counts_b.at(b.vars.dump()) == 1 && unique_b != counts_a.end() && unique_b->second == 1;
    const bool positional =
        (baseline.case_ids == CaseIds::positional || candidate.case_ids == CaseIds::positional) &&
        is_positional_id(a.id);
    if (b_by_inputs || (positional && !same_inputs(a, b))) {
        return nullptr;
    }
    return &b;
}

std::vector<CasePair> pair_by_inputs(const Side& baseline, const Side& candidate) {
    const auto counts_a = input_counts(baseline);
    const auto counts_b = input_counts(candidate);
    std::map<std::string, const SideCase*> by_inputs;
    for (const auto& b : candidate.cases) {
        by_inputs.emplace(b.vars.dump(), &b);
    }
    const CaseIndex by_case_id = by_id(candidate);
    std::set<const SideCase*> taken;
    std::vector<CasePair> out;
    for (const auto& a : baseline.cases) {
        const SideCase* b =
            partner(a, baseline, candidate, counts_a, counts_b, by_inputs, by_case_id, taken);
        if (b != nullptr) {
            taken.insert(b);
        }
        out.push_back({&a, b});
    }
    for (const auto& b : candidate.cases) {
        if (!taken.contains(&b)) {
            out.push_back({nullptr, &b});
        }
    }
    return out;
}

} // namespace

bool is_positional_id(const std::string& id) {
    return id.size() > 5 && id.starts_with("case-") &&
           std::all_of(id.begin() + 5, id.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

std::vector<CasePair> pair_cases(const Side& baseline, const Side& candidate,
                                 std::optional<std::string>& warning) {
    const bool a_positional = baseline.case_ids == CaseIds::positional;
    const bool b_positional = candidate.case_ids == CaseIds::positional;
    if ((!a_positional && !b_positional) || !datasets_differ(baseline, candidate)) {
        return pair_by_id(baseline, candidate);
    }
    const std::string who = a_positional && b_positional ? "both runs"
                            : a_positional               ? baseline.name
                                                         : candidate.name;
    warning = fmt::format("{} named cases by their position (before content-based case ids) and "
                          "the datasets differ: cases are paired by their inputs where those are "
                          "unique on both sides, else by id",
                          who);
    return pair_by_inputs(baseline, candidate);
}

} // namespace llmops::compare::detail
