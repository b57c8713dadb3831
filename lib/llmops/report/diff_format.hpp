#pragma once
// How the diff reports (diff_report.cpp: text and Markdown; diff_html.cpp) write numbers, so all
// formats show the same figures.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <llmops/stats/stats.hpp>

namespace llmops::compare {
struct CaseResult; // compare/compare.hpp
struct SideCase;
} // namespace llmops::compare

namespace llmops::report::diff_format {

std::string pct(std::optional<double> v);                            // "72.5%", "-" when unknown
std::string signed_pct(std::optional<double> v);                     // "+12.5 pts"
std::string interval_pct(const std::optional<stats::Interval>& i);   // "[40.9, 92.9]", "" when none
std::string score(std::optional<double> v);                          // "0.750"
std::string signed_score(std::optional<double> v);                   // "+0.125"
std::string interval_score(const std::optional<stats::Interval>& i); // "[-0.250, +0.500]"
std::string p_text(std::optional<double> p);                         // "p=0.6250", "p<0.0001", ""
std::string money(std::optional<double> usd);
std::string cost(double usd, int64_t unpriced); // util::format_cost: "$0.0123", "≥$0.0123",
                                                // "unknown" // "$0.000200", "$0.0016", "$12.34"
std::string ms(std::optional<double> v);        // "435ms", "1.05s"
std::string change(std::optional<double> before, std::optional<double> after); // "+12.5%", ""
std::string cut(std::string_view text,
                size_t max); // at most `max` code points, then "… (N more characters)"

// A case's inputs on one line, for a terminal: report::vars_line escaped with terminal_line
// (`q="What is 2+2?", lang="fr"`, cut to `max` code points ending in one "…"; "" without vars).
std::string inputs_line(const nlohmann::json& vars, size_t max);

// The first result of a case that is not an error (else its first): the one whose output a
// diff shows. Null for a case absent from its side.
const compare::CaseResult* shown_result(const compare::SideCase* sc);

} // namespace llmops::report::diff_format
