#include <llmops/report/power_report.hpp>

#include <fmt/format.h>

namespace llmops::report {

std::string power_text(const stats::PowerQuestion& q, stats::Design design,
                       const stats::SampleSize& n) {
    const bool independent = design == stats::Design::independent;
    std::string out = fmt::format(
        "To see a pass rate drop from {:.1f}% to {:.1f}% with {:.0f}% power at alpha {}:\n",
        100 * q.baseline, 100 * (q.baseline - q.delta), 100 * q.power, q.alpha);
    if (independent) {
        out += fmt::format("  {} cases per side (two separate samples of cases)", n.cases);
    } else {
        out += fmt::format(
            "  {} cases, each run on both versions (paired, as llmops diff compares them; "
            "assumed {:.1f}% of cases change outcome{})",
            n.cases, 100 * n.discordance,
            q.discordance
                ? ""
                : ", as if the versions were independent: pass --discordance if you know it");
    }
    out += "\n";
    if (n.repeats > 1) {
        out += fmt::format("  with {} repeats per case ({} runs; intra-case correlation {}, design "
                           "effect {:.2f})\n",
                           n.repeats, n.runs, q.icc, n.design_effect);
    }
    return out;
}

nlohmann::json power_json(const stats::PowerQuestion& q, stats::Design design,
                          const stats::SampleSize& n) {
    const bool independent = design == stats::Design::independent;
    return nlohmann::json{
        {"design", independent ? "independent" : "paired"},
        {"baseline", q.baseline},
        {"delta", q.delta},
        {"alpha", q.alpha},
        {"power", q.power},
        {"repeats", n.repeats},
        {"icc", q.icc},
        {"cases", n.cases},
        {"runs", n.runs},
        {"cases_exact", n.cases_exact},
        {"design_effect", n.design_effect},
        {"discordance", independent ? nlohmann::json() : nlohmann::json(n.discordance)}};
}

} // namespace llmops::report
