#pragma once
// Which case of one side is which case of the other (compare.cpp): by id, or by inputs when a
// side's ids are positional and the datasets differ.

#include <optional>
#include <string>
#include <vector>

#include <llmops/compare/compare.hpp>

namespace llmops::compare::detail {

// Two cases taken for the same one; either is null for a missing (new) case.
struct CasePair {
    const SideCase* baseline = nullptr;
    const SideCase* candidate = nullptr;
};

// The cases of `baseline` and `candidate` paired: every baseline case in its order (with its
// candidate, or none: missing), then the candidate's unpaired cases in their order (new).
//
// Cases are paired by id. Ids written by an llmops from before content-based ids are
// positional (`case-5` is the fifth case), so when either side's are (Side::case_ids) and the
// datasets differ (dataset hashes differ, or one id has different inputs on the two sides), the
// same id may name different cases: then a case whose inputs (canonical JSON) are unique on both
// sides is paired by its inputs, and the rest by id, except two positional ids with different
// inputs, which are different cases. `warning` is then set to one line saying so.
std::vector<CasePair> pair_cases(const Side& baseline, const Side& candidate,
                                 std::optional<std::string>& warning);

// Whether `id` is one that eval gave a case by its position before content-based ids:
// "case-" and digits.
bool is_positional_id(const std::string& id);

} // namespace llmops::compare::detail
