#pragma once
// `llmops stats power`'s answer as text and as JSON.

#include <string>

#include <nlohmann/json.hpp>

#include <llmops/stats/power.hpp>

namespace llmops::report {

std::string power_text(const stats::PowerQuestion& q, stats::Design design,
                       const stats::SampleSize& n);
nlohmann::json power_json(const stats::PowerQuestion& q, stats::Design design,
                          const stats::SampleSize& n);

} // namespace llmops::report
