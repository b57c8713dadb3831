#include <llmops/compare/compare.hpp>

// Numbers that never overstate (issue 15): pass@k with each case's own number of repeats, pass
// rates with repeats inside [0, 1], no verdict from too few cases or from none, and a note when
// the interval shown and the test disagree.

#include <string>

#include <doctest/doctest.h>

#include <llmops/report/diff_html.hpp>
#include <llmops/report/diff_report.hpp>
#include <llmops/stats/stats.hpp>

#include "unit/compare/sides.hpp"

using namespace llmops;
using namespace llmops::test::sides;
using compare::CaseChange;
using stats::Verdict;

namespace {

bool has_note(const compare::Comparison& c, const std::string& note) {
    for (const auto& n : c.notes) {
        if (n == note) {
            return true;
        }
    }
    return false;
}

// Sides of `n` cases, each passing on the baseline and failing on the candidate.
std::pair<compare::Side, compare::Side> all_regress(int n) {
    auto a = side("run 1", "a");
    auto b = side("run 2", "b");
    for (int i = 0; i < n; ++i) {
        add_case(a, "c" + std::to_string(i), {result("pass")});
        add_case(b, "c" + std::to_string(i), {result("fail")});
    }
    return {a, b};
}

} // namespace

TEST_SUITE("compare") {

    TEST_CASE("compare::compare pass@k: each case with its own repeats") {
        // Three repeats; on the candidate, c0's third repeat errored. It used to bring the whole
        // side down to pass@2 (under a header saying pass@3).
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        for (int i = 0; i < 4; ++i) {
            add_case(a, "c" + std::to_string(i), repeats(3, i == 3 ? "fail" : "pass"));
            add_case(b, "c" + std::to_string(i), repeats(3, i == 3 ? "fail" : "pass"));
        }
        b.cases[0].results = {result("fail", "x", 0.001, 100, 0),
                              result("pass", "x", 0.001, 100, 1),
                              result("error", "", 0.001, 100, 2)};
        b.cases[1].results[2].status = "fail"; // c1: 2 of 3
        const auto c = compare::compare(a, b, {});
        CHECK(c.repeats == 3);
        CHECK(c.candidate_pass_k_left_out == 1);
        CHECK(c.baseline_pass_k_left_out == 0);
        // Over c1, c2, c3: pass@3 = (1 + 1 + 0) / 3, pass^3 = (0 + 1 + 0) / 3. At k = 2 with c0
        // (1 of 2) in, pass^2 would have been (0 + 1/3 + 1 + 0) / 4.
        CHECK(*c.candidate_pass_at_k == doctest::Approx(2.0 / 3));
        CHECK(*c.candidate_pass_hat_k == doctest::Approx(1.0 / 3));
        CHECK(has_note(c, "pass@3 and pass^3 are over the cases with 3 judged repeats: 0 baseline "
                          "and 1 candidate case(s) with fewer (errors) are left out"));
    }

    TEST_CASE("compare::compare pass rates with repeats stay inside [0, 1]") {
        // 5 cases of 3 repeats: once 86.7% [60.5, 112.8] and 100.0% [100.0, 100.0].
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        for (int i = 0; i < 5; ++i) {
            add_case(a, "c" + std::to_string(i), repeats(3, "pass"));
            add_case(b, "c" + std::to_string(i), repeats(3, "pass"));
        }
        b.cases[3].results[2].status = "fail";
        b.cases[4].results[1].status = "fail";
        const auto c = compare::compare(a, b, {}); // keeps the metric `rate` points into
        const auto* rate = c.metric("pass rate");
        REQUIRE(rate != nullptr);
        // Wilson(13, 15), the design effect (< 1) clamped to 1 (tests/unit/stats/test_clustered).
        CHECK(rate->candidate_interval->lower ==
              doctest::Approx(0.6211801716767764).epsilon(1e-12));
        CHECK(rate->candidate_interval->upper ==
              doctest::Approx(0.9626387408969346).epsilon(1e-12));
        // All pass: Wilson(5, 5), each case counted once: not of zero width.
        CHECK(rate->baseline_interval->lower == doctest::Approx(0.5655175352168254).epsilon(1e-12));
        CHECK(rate->baseline_interval->upper == 1.0);
        CHECK(rate->difference_interval->lower >= -1.0);
    }

    TEST_CASE("compare::compare too few cases: no verdict, no gate") {
        compare::Gates gate;
        gate.fail_on_regression = true;
        SUBCASE("one case: once '-1.000 [-1.000, -1.000] worse' and exit 1") {
            auto [a, b] = all_regress(1);
            const auto c = compare::compare(a, b, {});
            const auto* score = c.metric("mean score");
            CHECK(score->verdict == Verdict::too_few_cases);
            CHECK(*score->difference == -1.0);
            CHECK_FALSE(score->difference_interval.has_value()); // no bootstrap of one case
            CHECK(c.metric("pass rate")->verdict == Verdict::too_few_cases);
            CHECK(compare::check_gates(c, gate).empty());
            CHECK(has_note(c, "1 case(s) judged on both sides, fewer than the 10 a verdict needs: "
                              "too few cases"));
            // In every format: JSON, text, Markdown and HTML.
            const compare::Options options;
            CHECK(compare::to_json(c, options)["quality"][1]["verdict"] == "too few cases");
            report::DiffTextOptions wide;
            wide.width = 200; // the one-row layout
            const std::string text = report::diff_text(c, options, {}, wide);
            const auto at = text.find("\nmean score");
            REQUIRE(at != std::string::npos);
            const std::string line = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
            CHECK(line.ends_with("-1.000              too few cases")); // and no interval
            CHECK(line.find('[') == std::string::npos);
            // At 100 columns, the difference and verdict on a line of their own.
            CHECK(report::diff_text(c, options, {}, {})
                      .find("  difference -1.000  too few cases\n") != std::string::npos);
            CHECK(report::diff_markdown(c, options, {}).find("| -1.000  |  | too few cases |") !=
                  std::string::npos);
            CHECK(report::diff_html({c}, options, {{}})
                      .find("<td class=\"v-too-few-cases\">too few cases</td>") !=
                  std::string::npos);
        }
        SUBCASE("nine cases, all regressions (McNemar's p = 0.0039): still too few") {
            auto [a, b] = all_regress(compare::k_min_paired_cases - 1);
            const auto c = compare::compare(a, b, {});
            CHECK(*c.metric("pass rate")->p_value < 0.05);
            CHECK(c.metric("pass rate")->verdict == Verdict::too_few_cases);
            CHECK(compare::check_gates(c, gate).empty());
        }
        SUBCASE("ten cases: a verdict, and the gate fails") {
            auto [a, b] = all_regress(compare::k_min_paired_cases);
            const auto c = compare::compare(a, b, {});
            CHECK(c.metric("pass rate")->verdict == Verdict::worse);
            CHECK(c.metric("mean score")->verdict == Verdict::worse);
            CHECK(compare::check_gates(c, gate).size() == 2);
        }
    }

    TEST_CASE("compare::compare nothing to compare is its own verdict") {
        auto [a, b] = all_regress(12);
        SUBCASE("an empty candidate") {
            b.cases.clear();
        }
        SUBCASE("every candidate result an error") {
            for (auto& sc : b.cases) {
                sc.results[0] = result("error");
            }
        }
        const auto c = compare::compare(a, b, {});
        CHECK(c.paired == 0);
        for (const auto& m : c.quality) {
            CAPTURE(m.name);
            CHECK(m.verdict == Verdict::nothing_to_compare);
        }
        CHECK(stats::to_string(c.quality[0].verdict) == "nothing to compare");
        CHECK(has_note(c, "no case was judged on both sides: nothing to compare"));
    }

    TEST_CASE("compare::compare says why the interval and the test disagree") {
        // 50 cases, 2 regressions and 9 fixes: Tango's interval excludes 0 (McNemar's asymptotic
        // z = 7 / sqrt(11) = 2.11), the exact test does not reject: p = 2 · P(X <= 2 | 11, 1/2) =
        // 2 · 67 / 2048 = 0.0654.
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        for (int i = 0; i < 50; ++i) {
            const bool pa = i < 32;                        // 30 pass on both, 2 regress,
            const bool pb = i < 30 || (i >= 32 && i < 41); // 9 fixed, 9 fail on both
            add_case(a, "c" + std::to_string(i), {result(pa ? "pass" : "fail")});
            add_case(b, "c" + std::to_string(i), {result(pb ? "pass" : "fail")});
        }
        const auto c = compare::compare(a, b, {});
        REQUIRE(c.count(CaseChange::regression) == 2);
        REQUIRE(c.count(CaseChange::fix) == 9);
        const auto* rate = c.metric("pass rate");
        CHECK(*rate->p_value == doctest::Approx(134.0 / 2048));
        CHECK(rate->difference_interval->lower > 0);
        CHECK(rate->verdict == Verdict::no_significant_change);
        CHECK(has_note(c, "pass rate: the 95% interval excludes 0 but McNemar's exact test gives "
                          "p=0.0654, not below alpha 0.05; the verdict follows the exact test "
                          "(Tango's interval is asymptotic)"));
        SUBCASE("no note when they agree") {
            auto [x, y] = all_regress(20);
            for (const auto& n : compare::compare(x, y, {}).notes) {
                CHECK(n.find("the verdict follows") == std::string::npos);
            }
        }
    }

} // TEST_SUITE
