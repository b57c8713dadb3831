#pragma once
// The grid of a run (`llmops runs show RUN --grid`, `llmops eval --grid`), promptfoo's table: one
// row per case (and repeat), its variables, and each variant's output with its status.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <llmops/report/prompt_report.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::report {

// Where a grid goes: a terminal (each row on one line, cut to a width), a Markdown table, or CSV
// (RFC 4180, every value whole).
enum class GridFormat { terminal, markdown, csv };

// The format `--format NAME` names: md or markdown, csv, else (text, or none) a terminal's.
GridFormat grid_format(const std::optional<std::string>& name);

struct GridOptions {
    GridFormat format = GridFormat::terminal;
    size_t width = 100;          // terminal: the columns no row may pass (util::terminal_width)
    Colour colour = Colour::off; // terminal: PASS green, FAIL red, ERROR yellow
};

// The grid of run `run_id`: a header row (case, inputs, one column per variant), then a row per
// case and repeat in the run's order, each variant's cell `PASS output`, `FAIL output` or
// `ERROR reason` (`-` when the variant has no result for it). On a terminal, columns share the
// width (a column narrower than its share keeps its width) and cells longer than their column
// end with "…": a row never wraps. Markdown cells are cut at 500 code points; CSV has a status,
// an output and a reason column per variant, uncut. Holds the run's results in memory. Fails
// with `not_found` for an unknown run, `io`.
Expected<std::string> run_grid(store::Database& db, int64_t run_id, const GridOptions& options);

} // namespace llmops::report
