// Fuzz target: a run exported as JSON (`llmops runs export`, `llmops eval -o run.json`), the file
// `llmops diff` reads as a side (SPEC §11). The input is the file, written to a scratch folder
// and read by compare::load_sides, every variant and then variant 0 alone. What loads is
// compared with itself and with its last variant, the gates are checked, and the comparison is
// rendered as `llmops diff` renders it (JSON, text, Markdown, HTML) and as a run's HTML report.
// Failures must come back as errors: invalid_input, or not_found for a variant the file does not
// have; never an exception (a field of the wrong type once threw nlohmann's type_error).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/compare/compare.hpp>
#include <llmops/report/diff_html.hpp>
#include <llmops/report/diff_report.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
namespace compare = llmops::compare;
namespace report = llmops::report;
namespace fuzz = llmops::fuzz;

// Compares the first side with the last (the same one when there is one) and renders the result.
void compare_and_render(const std::vector<compare::Side>& sides) {
    compare::Options options;
    options.bootstrap_resamples = 200; // the statistics are not what is fuzzed here
    const auto c = compare::compare(sides.front(), sides.back(), options);
    compare::Gates gates;
    gates.fail_on_regression = true;
    gates.min_pass_rate = 0.5;
    gates.max_cost_increase = 10;
    gates.max_latency_increase = 10;
    const auto failures = compare::check_gates(c, gates);
    (void)compare::to_json(c, options).dump();
    (void)report::diff_text(c, options, failures, report::DiffTextOptions{});
    (void)report::diff_markdown(c, options, failures);
    (void)report::diff_html({c}, options, {failures});
    (void)compare::summarize_side(sides.front(), options.alpha);
    (void)report::run_html("run", sides, {c}, options);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto path = fuzz::ScratchDir::write("run.json", text).string();
    for (const auto& variant : {std::optional<std::string>(), std::optional<std::string>("0")}) {
        auto sides = compare::load_sides(nullptr, compare::SideRef{path, variant});
        if (!sides) {
            fuzz::check_error(sides.error(), {ErrorCode::invalid_input, ErrorCode::not_found},
                              "compare::load_sides");
            continue;
        }
        if (sides->empty()) {
            if (!variant) {
                continue; // an export without variants: nothing to compare
            }
            fuzz::die("compare::load_sides found no side for a variant it did not refuse");
        }
        compare_and_render(*sides);
    }
    return 0;
}
