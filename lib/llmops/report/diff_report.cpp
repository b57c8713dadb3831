#include <llmops/report/diff_report.hpp>

#include <cmath>

#include <fmt/format.h>

#include <llmops/report/diff_format.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

namespace {

using compare::CaseChange;
using namespace diff_format;
using util::plural;

std::string count_change(int64_t before, int64_t after) {
    return change(static_cast<double>(before), static_cast<double>(after));
}

bool is_rate(const compare::MetricDiff& m) {
    return m.name == "pass rate";
}

std::string verdict_word(stats::Verdict v) {
    return std::string(stats::to_string(v));
}

util::Colour verdict_colour(stats::Verdict v) {
    return v == stats::Verdict::better  ? util::Colour::green
           : v == stats::Verdict::worse ? util::Colour::red
                                        : util::Colour::yellow;
}

std::string side_line(const char* role, const compare::Side& s) {
    return fmt::format("{}: {} ({} cases) {}\n", role, terminal_line(s.name), s.cases.size(),
                       terminal_line(s.label));
}

// Code points of a case's inputs line: what `max_input_chars` allows and the terminal holds
// after the line's indent and label.
size_t input_chars(const DiffTextOptions& text) {
    constexpr size_t k_indent = 14; // "  candidate: " and a margin
    return std::min(text.max_input_chars, text.width > k_indent + 20 ? text.width - k_indent : 20);
}

std::vector<const compare::CaseDiff*> cases_of(const compare::Comparison& c, CaseChange change) {
    std::vector<const compare::CaseDiff*> out;
    for (const auto& d : c.cases) {
        if (d.change == change)
            out.push_back(&d);
    }
    return out;
}

// A quality metric's cells: each side with its interval, the difference with its interval.
struct QualityCells {
    std::string baseline, candidate, difference;
};

QualityCells quality_cells(const compare::MetricDiff& m) {
    if (is_rate(m)) {
        return {
            fmt::format("{} {}", pct(m.baseline), interval_pct(m.baseline_interval)),
            fmt::format("{} {}", pct(m.candidate), interval_pct(m.candidate_interval)),
            fmt::format("{} {}", signed_pct(m.difference), interval_pct(m.difference_interval))};
    }
    return {
        score(m.baseline), score(m.candidate),
        fmt::format("{} {}", signed_score(m.difference), interval_score(m.difference_interval))};
}

// The quality table's width in one row per metric; narrower terminals get two lines per metric.
constexpr size_t k_quality_wide = 131;

// The quality table and, with repeats, the repeat statistics. A terminal narrower than the
// one-row layout gets each metric on two lines (the sides, then the difference and verdict), so
// no row wraps.
std::string quality_text(const compare::Comparison& c, const compare::Options& options,
                         const DiffTextOptions& text) {
    const std::string cases = c.unpaired ? std::string("unpaired: different production calls")
                                         : fmt::format("{} paired cases", c.paired);
    std::string out =
        fmt::format("\nQUALITY ({}{}, alpha {})\n", cases,
                    c.repeats > 1 ? fmt::format(", {} repeats", c.repeats) : "", options.alpha);
    const bool wide = text.width >= k_quality_wide;
    out += wide ? fmt::format("{:<22} {:>22} {:>22} {:>28} {:>10}  {}\n", "METRIC", "BASELINE",
                              "CANDIDATE", "DIFFERENCE", "P", "VERDICT")
                : fmt::format("{:<18} {:>21} {:>21}\n", "METRIC", "BASELINE", "CANDIDATE");
    for (const auto& m : c.quality) {
        const auto cells = quality_cells(m);
        const std::string verdict =
            paint(verdict_word(m.verdict), verdict_colour(m.verdict), text.colour);
        if (wide) {
            out += fmt::format("{} {:>22} {:>22} {:>28} {:>10}  {}\n", terminal_cell(m.name, 22),
                               cells.baseline, cells.candidate, cells.difference, p_text(m.p_value),
                               verdict);
            continue;
        }
        out += fmt::format("{} {:>21} {:>21}\n", terminal_cell(m.name, 18), cells.baseline,
                           cells.candidate);
        const std::string p = p_text(m.p_value);
        const std::string difference(util::trim(cells.difference)); // no interval: no gap
        out +=
            fmt::format("  difference {}{}  {}\n", difference, p.empty() ? "" : "  " + p, verdict);
    }
    if (c.repeats > 1) {
        out += fmt::format("repeats: flaky cases {} -> {}; pass@{} {} -> {}; pass^{} {} -> {}\n",
                           c.baseline_flaky, c.candidate_flaky, c.repeats,
                           pct(c.baseline_pass_at_k), pct(c.candidate_pass_at_k), c.repeats,
                           pct(c.baseline_pass_hat_k), pct(c.candidate_pass_hat_k));
    }
    return out;
}

// The cost and speed table.
std::string usage_text(const compare::Usage& ua, const compare::Usage& ub) {
    std::string out = fmt::format("\nCOST AND SPEED\n{:<22} {:>14} {:>14} {:>10}\n", "", "BASELINE",
                                  "CANDIDATE", "CHANGE");
    auto row = [&](std::string_view name, const std::string& a, const std::string& b,
                   const std::string& d) {
        out += fmt::format("{:<22} {:>14} {:>14} {:>10}\n", name, a, b, d);
    };
    row("input tokens", std::to_string(ua.input_tokens), std::to_string(ub.input_tokens),
        count_change(ua.input_tokens, ub.input_tokens));
    row("output tokens", std::to_string(ua.output_tokens), std::to_string(ub.output_tokens),
        count_change(ua.output_tokens, ub.output_tokens));
    row("cost (USD)", cost(ua.cost_usd, ua.unpriced), cost(ub.cost_usd, ub.unpriced),
        change(ua.cost_usd, ub.cost_usd));
    row("cost per case", money(ua.cost_per_case), money(ub.cost_per_case),
        change(ua.cost_per_case, ub.cost_per_case));
    row("latency p50", ms(ua.latency_p50), ms(ub.latency_p50),
        change(ua.latency_p50, ub.latency_p50));
    row("latency p95", ms(ua.latency_p95), ms(ub.latency_p95),
        change(ua.latency_p95, ub.latency_p95));
    row("latency p99", ms(ua.latency_p99), ms(ub.latency_p99),
        change(ua.latency_p99, ub.latency_p99));
    row("cache hits", std::to_string(ua.cached), std::to_string(ub.cached), "");
    row("errors", std::to_string(ua.errors), std::to_string(ub.errors), "");
    if (ua.judge_calls > 0 || ub.judge_calls > 0) {
        row("judge calls", std::to_string(ua.judge_calls), std::to_string(ub.judge_calls),
            count_change(ua.judge_calls, ub.judge_calls));
        row("judge tokens in/out",
            fmt::format("{}/{}", ua.judge_input_tokens, ua.judge_output_tokens),
            fmt::format("{}/{}", ub.judge_input_tokens, ub.judge_output_tokens), "");
        row("judge cost (USD)", cost(ua.judge_cost_usd, ua.judge_unpriced),
            cost(ub.judge_cost_usd, ub.judge_unpriced),
            change(ua.judge_cost_usd, ub.judge_cost_usd));
    }
    return out;
}

// The inputs of a case (the baseline's; the candidate's too when they differ, as for cases
// paired by id whose inputs were edited), each line made by `line`.
template <typename Line>
std::string case_inputs(const compare::CaseDiff& d, Line line) {
    const compare::SideCase* first = d.baseline != nullptr ? d.baseline : d.candidate;
    std::string out = line("inputs", first->vars);
    if (d.baseline != nullptr && d.candidate != nullptr && d.candidate->vars != first->vars) {
        out += line("candidate inputs", d.candidate->vars);
    }
    return out;
}

// One regression or fix: its id, inputs, and both results.
std::string change_text(const compare::Comparison& c, const compare::CaseDiff& d,
                        const DiffTextOptions& text) {
    const bool regression = d.change == CaseChange::regression;
    std::string out = fmt::format(
        "\n{} {}{}\n",
        paint(regression ? "REGRESSION" : "FIX",
              regression ? util::Colour::red : util::Colour::green, text.colour),
        terminal_line(d.id),
        d.description.empty() || d.description == d.id ? ""
                                                       : " (" + terminal_line(d.description) + ")");
    out += case_inputs(d, [&](std::string_view label, const nlohmann::json& vars) {
        const std::string line = inputs_line(vars, input_chars(text));
        return line.empty() ? std::string() : fmt::format("  {}: {}\n", label, line);
    });
    for (auto [label, sc, frac] : {std::tuple{"baseline ", d.baseline, d.baseline_pass},
                                   std::tuple{"candidate", d.candidate, d.candidate_pass}}) {
        const auto* r = shown_result(sc);
        if (r == nullptr)
            continue;
        std::string status_line =
            fmt::format("  {} {} {}{}", label, r->status,
                        c.repeats > 1 ? fmt::format("({} of repeats passed) ", pct(frac)) : "",
                        r->reason.empty() ? "" : terminal_line(cut(r->reason, 200)));
        while (status_line.ends_with(' ')) {
            status_line.pop_back(); // no reason: no trailing space
        }
        out += status_line + "\n";
        out += "    " + terminal_line(cut(r->output, text.max_output_chars)) + "\n";
    }
    return out;
}

// The new (missing) cases, one a line: the id and the inputs.
std::string listed_text(const compare::Comparison& c, CaseChange kind, std::string_view head,
                        const DiffTextOptions& text) {
    const auto list = cases_of(c, kind);
    if (list.empty())
        return "";
    std::string out = fmt::format("\n{} ({})\n", head, list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        if (i == text.max_cases) {
            return out + fmt::format("  ... {} more in --format json\n", list.size() - i);
        }
        const auto& d = *list[i];
        const auto* sc = d.baseline != nullptr ? d.baseline : d.candidate;
        const std::string inputs = inputs_line(sc->vars, input_chars(text));
        out += fmt::format("  {}{}\n", terminal_line(d.id), inputs.empty() ? "" : "  " + inputs);
    }
    return out;
}

// The case counts, then the regressions and fixes, then the new and missing cases.
std::string cases_text(const compare::Comparison& c, const DiffTextOptions& text) {
    std::string out = fmt::format("\nCASES: {}, {}, {} unchanged (pass), {} unchanged (fail), "
                                  "{} errored, {} new, {} missing\n",
                                  plural(c.count(CaseChange::regression), "regression"),
                                  plural(c.count(CaseChange::fix), "fix", "fixes"),
                                  c.count(CaseChange::unchanged_pass),
                                  c.count(CaseChange::unchanged_fail), c.count(CaseChange::errored),
                                  c.count(CaseChange::new_case), c.count(CaseChange::missing));
    size_t shown = 0;
    for (auto kind : {CaseChange::regression, CaseChange::fix}) {
        for (const auto* d : cases_of(c, kind)) {
            if (shown == text.max_cases) {
                return out + "... more cases in --format json\n";
            }
            ++shown;
            out += change_text(c, *d, text);
        }
    }
    return out + listed_text(c, CaseChange::new_case, "NEW", text) +
           listed_text(c, CaseChange::missing, "MISSING", text);
}

} // namespace

std::string diff_text(const compare::Comparison& c, const compare::Options& options,
                      const std::vector<std::string>& gate_failures, const DiffTextOptions& text) {
    std::string out;
    out += side_line("baseline ", *c.baseline);
    out += side_line("candidate", *c.candidate);
    for (const auto& note : c.notes) {
        out += "note: " + terminal_line(note) + "\n";
    }
    if (!c.prompt_diff.empty()) {
        out += "\nPROMPT DIFF\n" + terminal_text(c.prompt_diff);
    }
    out += quality_text(c, options, text);
    out += usage_text(c.baseline_usage, c.candidate_usage);
    out += cases_text(c, text);
    if (!gate_failures.empty()) {
        out += "\n";
        for (const auto& f : gate_failures) {
            out += paint("gate failed: ", util::Colour::red, text.colour) + f + "\n";
        }
    }
    return out;
}

std::string diff_markdown(const compare::Comparison& c, const compare::Options& options,
                          const std::vector<std::string>& gate_failures) {
    std::string out;
    const auto* rate = c.metric("pass rate");
    const std::string verdict = rate ? verdict_word(rate->verdict) : "no data";
    const char* icon = !gate_failures.empty()                            ? "❌"
                       : rate && rate->verdict == stats::Verdict::worse  ? "⚠️"
                       : rate && rate->verdict == stats::Verdict::better ? "✅"
                                                                         : "➖";
    out += fmt::format("### {} llmops diff: pass rate {} → {} ({}; {})\n\n", icon,
                       pct(rate ? rate->baseline : std::nullopt),
                       pct(rate ? rate->candidate : std::nullopt), markdown_text(verdict),
                       fmt::format("{}, {}", plural(c.count(CaseChange::regression), "regression"),
                                   plural(c.count(CaseChange::fix), "fix", "fixes")));
    out += fmt::format("**Baseline:** {} — {}  \n**Candidate:** {} — {}\n\n",
                       markdown_text(c.baseline->name), markdown_text(c.baseline->label),
                       markdown_text(c.candidate->name), markdown_text(c.candidate->label));
    for (const auto& f : gate_failures) {
        out += "- ❌ **gate failed:** " + markdown_text(f) + "\n";
    }
    for (const auto& w : c.warnings) {
        out += "- ⚠️ **warning:** " + markdown_text(w) + "\n";
    }
    for (const auto& n : c.notes) {
        out += "- " + markdown_text(n) + "\n";
    }
    if (!gate_failures.empty() || !c.notes.empty() || !c.warnings.empty())
        out += "\n";
    if (!c.prompt_diff.empty()) {
        out += "<details><summary>prompt diff</summary>\n\n" + markdown_code_block(c.prompt_diff) +
               "\n</details>\n\n";
    }
    out += fmt::format("| metric | baseline | candidate | difference ({}% CI) | p | verdict |\n"
                       "|---|---:|---:|---:|---:|---|\n",
                       fmt::format("{:g}", 100 * (1 - options.alpha)));
    for (const auto& m : c.quality) {
        const bool r = is_rate(m);
        out += fmt::format(
            "| {} | {} | {} | {} | {} | {} |\n", markdown_text(m.name),
            r ? pct(m.baseline) : score(m.baseline), r ? pct(m.candidate) : score(m.candidate),
            r ? fmt::format("{} {}", signed_pct(m.difference), interval_pct(m.difference_interval))
              : fmt::format("{} {}", signed_score(m.difference),
                            interval_score(m.difference_interval)),
            p_text(m.p_value), verdict_word(m.verdict));
    }
    const auto& ua = c.baseline_usage;
    const auto& ub = c.candidate_usage;
    out += "\n| cost and speed | baseline | candidate | change |\n|---|---:|---:|---:|\n";
    auto row = [&](std::string_view name, const std::string& a, const std::string& b,
                   const std::string& d) {
        out += fmt::format("| {} | {} | {} | {} |\n", name, a, b, d);
    };
    row("tokens in / out", fmt::format("{} / {}", ua.input_tokens, ua.output_tokens),
        fmt::format("{} / {}", ub.input_tokens, ub.output_tokens), "");
    row("cost (USD)", money(ua.cost_usd), money(ub.cost_usd), change(ua.cost_usd, ub.cost_usd));
    row("cost per case", money(ua.cost_per_case), money(ub.cost_per_case),
        change(ua.cost_per_case, ub.cost_per_case));
    row("latency p50 / p95", fmt::format("{} / {}", ms(ua.latency_p50), ms(ua.latency_p95)),
        fmt::format("{} / {}", ms(ub.latency_p50), ms(ub.latency_p95)),
        change(ua.latency_p50, ub.latency_p50));
    row("errors / cache hits", fmt::format("{} / {}", ua.errors, ua.cached),
        fmt::format("{} / {}", ub.errors, ub.cached), "");
    if (ua.judge_calls > 0 || ub.judge_calls > 0) {
        row("judge calls / cost (USD)",
            fmt::format("{} / {}", ua.judge_calls, cost(ua.judge_cost_usd, ua.judge_unpriced)),
            fmt::format("{} / {}", ub.judge_calls, cost(ub.judge_cost_usd, ub.judge_unpriced)),
            change(ua.judge_cost_usd, ub.judge_cost_usd));
    }
    for (auto kind :
         {CaseChange::regression, CaseChange::fix, CaseChange::new_case, CaseChange::missing}) {
        const auto list = cases_of(c, kind);
        if (list.empty())
            continue;
        const auto n = static_cast<int64_t>(list.size());
        out += fmt::format("\n<details><summary>{}</summary>\n\n",
                           kind == CaseChange::regression ? plural(n, "regression")
                           : kind == CaseChange::fix      ? plural(n, "fix", "fixes")
                           : kind == CaseChange::new_case ? plural(n, "new case")
                                                          : plural(n, "missing case"));
        size_t shown = 0;
        for (const auto* d : list) {
            if (++shown > 50) {
                out +=
                    fmt::format("… and {} more (llmops diff --format json)\n\n", list.size() - 50);
                break;
            }
            out += "**" + markdown_text(d->id) + "**";
            if (!d->description.empty() && d->description != d->id)
                out += " — " + markdown_text(d->description);
            out += "\n\n";
            out += case_inputs(*d, [](std::string_view label, const nlohmann::json& vars) {
                const std::string line = inputs_line(vars, 300);
                return line.empty() ? std::string()
                                    : fmt::format("{}: {}\n\n", label, markdown_text(line));
            });
            for (auto [label, sc] :
                 {std::pair{"baseline", d->baseline}, std::pair{"candidate", d->candidate}}) {
                const auto* r = shown_result(sc);
                if (r == nullptr)
                    continue;
                out +=
                    fmt::format("{} ({}{}):\n\n", label, r->status,
                                r->reason.empty() ? "" : ": " + markdown_text(cut(r->reason, 300)));
                out += markdown_code_block(cut(r->output, 1500)) + "\n";
            }
        }
        out += "</details>\n";
    }
    return out;
}

} // namespace llmops::report
