#pragma once
// Output of eval runs (SPEC §12): the terminal summary and failures, `runs list`/`runs show`,
// and the exports by extension: .json, .jsonl, .csv, .xml (JUnit), .md, .html. Exports stream
// from the store row by row (memory does not grow with the run; .html, which pairs the variants'
// cases, holds the run) into a temporary file renamed into place, so a failed export never
// leaves half a file. Every model text is escaped for its format.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <llmops/eval/runner.hpp>
#include <llmops/report/diff_html.hpp>
#include <llmops/report/prompt_report.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/traces/spans.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

// otlp: OTLP JSON lines (`--format otlp` only), the spans `eval --otlp-endpoint` sends.
enum class ExportFormat { json, jsonl, csv, junit, markdown, html, otlp };

// Picks the format from `path`'s extension (.json, .jsonl, .csv, .xml, .md, .html). Fails with
// `invalid_input`: "-o 'out.txt': unknown report format '.txt' (use .json, .jsonl, .csv, .xml,
// .md or .html)".
Expected<ExportFormat> export_format_for(const std::filesystem::path& path);

// The format of `-o PATH` given `--format` (`format`, when set): a file goes by its extension;
// `-` (standard output) by `format` (json, jsonl, csv, xml, md or html), which it needs; `otlp`
// picks OTLP JSON lines whatever the path. Fails
// with `invalid_input`: "-o '-' (standard output) needs --format json, jsonl, csv, xml, md or
// html", or for an unknown --format.
Expected<ExportFormat> export_format_for(const std::filesystem::path& path,
                                         const std::optional<std::string>& format);

// The --format names, for --help and completion.
inline constexpr const char* k_export_format_names = "json, jsonl, csv, xml, md or html";

// Writes run `run_id` to `path` in `format` (`content`: whether OTLP spans carry prompts,
// outputs and variables). `-` writes to stdout. Fails with `io` naming the file, `not_found` for
// an unknown run.
Expected<void> export_run(store::Database& db, int64_t run_id, ExportFormat format,
                          const std::filesystem::path& path,
                          traces::Content content = traces::Content::off);

// Adds what run `run_id`'s cases were given to `inputs`, for its HTML page or a diff's: each
// case's variables on one line (the first result's) and each result's rendered prompt (its first
// repeat's), keyed as CaseInputs says. Fails with `io`.
Expected<void> add_case_inputs(store::Database& db, int64_t run_id, CaseInputs& inputs);

// The terminal summary of a finished run: one row per variant (pass rate, pass, fail, errors,
// mean score, tokens in/out, cost, latency p50/p95), then totals and notes (stopped by
// --max-cost, interrupted, cache hits, unpriced calls). Rows fit in `width` columns (labels cut
// from the prompt side, the least useful columns left out; util::terminal_width gives it).
std::string run_summary_text(const eval::RunSummary& summary, Colour colour,
                             size_t width = util::k_default_width);

// The failures and errors of a run, one block per result: case id and description, variant,
// reason, and the output (at most `max_output_chars`, control characters shown escaped).
// At most `limit` results (then "... and N more; see llmops runs show RUN").
Expected<std::string> failures_text(store::Database& db, int64_t run_id, size_t limit,
                                    size_t max_output_chars, Colour colour);

// The failures and errors of run `run_id` on one line each, for `runs show` without
// --failures: status, case id (and repeat), variant number, and the case's inputs, each line cut
// to `width` code points with "…". At most `limit` lines (then "... and N more"); "" when nothing
// failed or errored.
Expected<std::string> failure_lines(store::Database& db, int64_t run_id, size_t limit,
                                    size_t width);

// `llmops runs list`: number, status, started, cases, pass rate, cost, tags, suite; each row cut
// to `width` columns (the suite's path, then the tags, give way).
std::string runs_list_text(const std::vector<store::RunRecord>& runs,
                           size_t width = util::k_default_width);
std::string runs_list_json(const std::vector<store::RunRecord>& runs);

// `llmops runs show RUN`: header, provenance (commit, command, prompts, providers), summary.
std::string run_show_text(const store::RunRecord& run, size_t width = util::k_default_width);
std::string run_show_json(const store::RunRecord& run);

} // namespace llmops::report
