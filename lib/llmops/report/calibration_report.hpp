#pragma once
// `llmops judge calibrate`'s report: agreement with the human labels as a terminal table (the
// JSON shape is eval::judge::Calibration::to_json).

#include <optional>
#include <string>

#include <llmops/eval/judge/calibrate.hpp>

namespace llmops::report {

std::string calibration_text(const eval::judge::Calibration& c, const std::string& suite,
                             const std::string& labels);

// A rate as the report shows it: three decimals, "-" when undefined.
std::string rate_text(const std::optional<double>& value);

} // namespace llmops::report
