#pragma once
// `llmops eval --estimate` as a terminal table: each variant's calls, cached calls, tokens and
// cost, the judge's share, the total (the JSON shape is eval::RunEstimate::to_json).

#include <string>

#include <llmops/eval/runner.hpp>

namespace llmops::report {

std::string estimate_text(const eval::RunEstimate& e, const std::string& suite_display);

} // namespace llmops::report
