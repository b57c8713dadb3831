#pragma once
// A run's provenance (SPEC §10): what produced its results, stored with the run so a number can
// be traced to the suite, prompts, models, prices, filters and code that made it.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include <llmops/eval/case_selection.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/matrix.hpp>
#include <llmops/provider/pricing.hpp>

namespace llmops::eval {

// The git state of a working tree: {commit, dirty}, or null outside a repository or without
// git. Tests inject their own.
using GitProbe = std::function<nlohmann::json(const std::filesystem::path& root)>;
nlohmann::json git_state(const std::filesystem::path& root); // runs git

// The price a provider's calls are charged at: its config's own, the table's entry, or null.
nlohmann::json price_snapshot(const provider::Provider& p, const provider::PriceTable& prices);

struct ProvenanceInput {
    const Suite* suite = nullptr;
    const Matrix* matrix = nullptr;
    const judge::Setup* judge = nullptr;
    const provider::PriceTable* prices = nullptr;
    std::filesystem::path project_root;
    std::string command_line;
    CaseFilter filter;
    int repeat = 1;
    int64_t cases = 0;
    int concurrency = 1;
    GitProbe git; // empty: git_state
};

// The provenance JSON of a new run (not yet redacted: the caller redacts it with the run's
// secrets).
nlohmann::json run_provenance(const ProvenanceInput& in);

} // namespace llmops::eval
