#pragma once
// The HTML report of `llmops diff -o report.html` (SPEC §11, §12): one self-contained file that
// opens offline and cannot be made to run anything a model wrote.

#include <string>
#include <vector>

#include <llmops/compare/compare.hpp>

namespace llmops::report {

// Renders `comparisons` (with the gate failures of each, same order) as one HTML document: the
// variants with two inline SVG charts (pass rate with its interval per variant; cost per case
// against pass rate, the Pareto front marked), then per comparison the gate failures, notes,
// quality and cost tables, and a table of every case with client-side filters (regressions,
// candidate failures, text search) that pages through the cases, so 10,000 of them stay quick.
//
// Safe to open: nothing is loaded from the network, and a Content-Security-Policy admits only
// the report's own stylesheet and script, by their SHA-256. Text in the markup is escaped with
// html_text; the cases travel as JSON in a data block with `<`, `>` and `&` as \u escapes, and
// the script shows them with textContent, never as markup.
std::string diff_html(const std::vector<compare::Comparison>& comparisons,
                      const compare::Options& options,
                      const std::vector<std::vector<std::string>>& gate_failures);

// The HTML report of one run (`llmops eval -o report.html`, `llmops runs export RUN -o
// report.html`), titled `title`: the same page, as safe. With two or more variants,
// `comparisons` are the run's (variant 0 against each other, as `llmops diff RUN`); with one
// variant (no comparisons), its cost and speed and its cases with their status, output and
// reason, filtered to failures or searched.
std::string run_html(const std::string& title, const std::vector<compare::Side>& sides,
                     const std::vector<compare::Comparison>& comparisons,
                     const compare::Options& options);

} // namespace llmops::report
