#pragma once
// Output of `llmops ab` (SPEC §14): the terminal report (fits the terminal's width, 80 columns
// included), the stable JSON (docs/ab.md lists its fields), and the Markdown and self-contained
// HTML reports of `-o report.md` / `-o report.html`. Every text from the store is escaped for its
// format.

#include <string>

#include <llmops/online/ab.hpp>

namespace llmops::report {

// The terminal report: the test's header, the sample-ratio check (a warning first when it
// failed), a table of the arms (metrics as rows, up to as many arms as fit `width`), each
// comparison, and the recommendation with its reason.
std::string ab_text(const online::AbReport& report, size_t width);

// The JSON (format "llmops-ab/1"): add fields, never change them.
std::string ab_json(const online::AbReport& report);

// The Markdown report (a PR comment or a CI step summary).
std::string ab_markdown(const online::AbReport& report);

// One HTML page that opens offline: no script, a Content-Security-Policy admitting only its own
// stylesheet (by hash), every text escaped with html_text.
std::string ab_html(const online::AbReport& report);

} // namespace llmops::report
