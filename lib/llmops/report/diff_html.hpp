#pragma once
// The HTML report of `llmops diff -o report.html` (SPEC §11, §12): one self-contained file that
// opens offline and cannot be made to run anything a model wrote.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <llmops/compare/compare.hpp>

namespace llmops::report {

// What the cases were given, for the pages' case tables: each case's variables on one line
// (report::vars_line), by case id, and each result's rendered prompt as text
// (report::rendered_prompt_text), by (run id, variant index, case id) as the sides name them.
// A case without an entry is shown without.
struct CaseInputs {
    std::map<std::string, std::string> vars;
    std::map<std::tuple<int64_t, int, std::string>, std::string> prompts;
};

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
//
// With `inputs`, each case shows its variables (in an "inputs" column, searched by the filter)
// and each output its rendered prompt (folded). When the prompts differ, the page shows the
// line diff of the two prompts' texts (the template or messages, then the configuration).
std::string diff_html(const std::vector<compare::Comparison>& comparisons,
                      const compare::Options& options,
                      const std::vector<std::vector<std::string>>& gate_failures,
                      const CaseInputs& inputs = {});

// The HTML report of one run (`llmops eval -o report.html`, `llmops runs export RUN -o
// report.html`), titled `title`: the same page, as safe. With two or more variants,
// `comparisons` are the run's (variant 0 against each other, as `llmops diff RUN`); with one
// variant (no comparisons), its cost and speed and its cases with their inputs, status, output,
// reason and prompt, filtered to failures or searched. A chart is drawn only when it has two
// variants or more to show.
std::string run_html(const std::string& title, const std::vector<compare::Side>& sides,
                     const std::vector<compare::Comparison>& comparisons,
                     const compare::Options& options, const CaseInputs& inputs = {});

} // namespace llmops::report
