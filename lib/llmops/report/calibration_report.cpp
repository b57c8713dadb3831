#include <llmops/report/calibration_report.hpp>

#include <fmt/format.h>

namespace llmops::report {

namespace {

std::string ratio(size_t part, size_t whole) {
    return fmt::format("{}/{}", part, whole);
}

} // namespace

std::string rate_text(const std::optional<double>& value) {
    return value ? fmt::format("{:.3f}", *value) : std::string("-");
}

std::string calibration_text(const eval::judge::Calibration& c, const std::string& suite,
                             const std::string& labels) {
    std::string out =
        fmt::format("judge calibration of {} against {} (run {})\n", suite, labels, c.run_id);
    std::string prompts;
    for (const auto& p : c.judge_prompts) {
        prompts += (prompts.empty() ? "" : ", ") + p;
    }
    out += fmt::format("judge: {} with {}\n", c.judge_id, prompts);
    const auto& n = c.counts;
    const size_t judged = n.total();
    out += fmt::format("  labels        {} ({} judge {})\n", c.labelled, c.errors,
                       c.errors == 1 ? "error" : "errors");
    if (judged > 0) {
        out += fmt::format("  accuracy      {}  ({} agree)\n", rate_text(c.agreement.accuracy),
                           ratio(n.true_positive + n.true_negative, judged));
        out += fmt::format("  kappa         {}  (Cohen's; 0 is chance agreement, 1 perfect)\n",
                           rate_text(c.agreement.kappa));
        out += fmt::format("  TPR           {}  (of human passes, the judge passed {})\n",
                           rate_text(c.agreement.true_positive_rate),
                           ratio(n.true_positive, n.true_positive + n.false_negative));
        out += fmt::format("  TNR           {}  (of human fails, the judge failed {})\n",
                           rate_text(c.agreement.true_negative_rate),
                           ratio(n.true_negative, n.true_negative + n.false_positive));
        out += "  confusion                 judge pass  judge fail\n";
        out += fmt::format("                human pass  {:>10}  {:>10}\n", n.true_positive,
                           n.false_negative);
        out += fmt::format("                human fail  {:>10}  {:>10}\n", n.false_positive,
                           n.true_negative);
    }
    if (c.pairs > 0) {
        out += fmt::format(
            "  pairwise      {}  ({} pairs where the judge preferred the humans' choice)\n",
            rate_text(c.pairwise_accuracy()),
            ratio(static_cast<size_t>(c.pairs_agree), static_cast<size_t>(c.pairs)));
        out += fmt::format("  position bias {}  ({} of {} rounds flipped with the order)\n",
                           rate_text(c.position_bias_rate()), c.position_flips, c.rounds);
    }
    if (!c.first_error.empty()) {
        out += fmt::format("  first error: {}\n", c.first_error);
    }
    if (c.interrupted) {
        out += "  interrupted: labels not judged yet are left out\n";
    }
    return out;
}

} // namespace llmops::report
