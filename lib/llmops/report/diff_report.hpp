#pragma once
// Output of `llmops diff` (SPEC §11, §12): the terminal report and the Markdown report (a PR
// comment or a CI step summary). The JSON is compare::to_json. Every model text is escaped for
// its format.

#include <string>
#include <vector>

#include <llmops/compare/compare.hpp>
#include <llmops/report/prompt_report.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

struct DiffTextOptions {
    size_t max_cases = 20;         // regressions (then fixes, new, missing) listed with outputs
    size_t max_output_chars = 300; // of each output shown
    size_t max_input_chars = 160;  // of each case's inputs line
    Colour colour = Colour::off;
    size_t width = util::k_default_width; // the terminal's (util::terminal_width): no row wraps
};

// The terminal report: the two sides, notes, the quality table (each side with its interval,
// the difference with its interval and p-value, the verdict), cost and speed side by side with
// deltas, repeat statistics, the case counts, the regressions and fixes with their inputs and
// both outputs, and the new and missing cases by id with their inputs.
// `gate_failures` are listed last.
std::string diff_text(const compare::Comparison& c, const compare::Options& options,
                      const std::vector<std::string>& gate_failures, const DiffTextOptions& text);

// The Markdown report: a verdict line, the quality and cost tables, the notes, and the
// regressions, fixes, new and missing cases collapsed in <details> with both outputs in code
// blocks.
std::string diff_markdown(const compare::Comparison& c, const compare::Options& options,
                          const std::vector<std::string>& gate_failures);

} // namespace llmops::report
