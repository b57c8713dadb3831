#include <llmops/compare/pairing.hpp>

// Which case is which across two runs: by id, or by inputs when positional ids (`case-5`, from
// before content-based ids) meet a changed dataset.

#include <string>

#include <doctest/doctest.h>

#include <llmops/compare/compare.hpp>

#include "unit/compare/sides.hpp"

using namespace llmops;
using namespace llmops::test::sides;
using compare::CaseChange;
using compare::CaseIds;

namespace {

// A side whose case i is `case-(i+1)` asking `questions[i]`; each passes when `passes` is true.
compare::Side positional_side(const std::string& name, const std::vector<std::string>& questions,
                              const std::string& hash) {
    auto s = side(name, "a");
    s.case_ids = CaseIds::positional;
    s.dataset_hash = hash;
    for (size_t i = 0; i < questions.size(); ++i) {
        add_case(s, "case-" + std::to_string(i + 1),
                 {result(questions[i] == "hard" ? "fail" : "pass")}, {{"q", questions[i]}});
    }
    return s;
}

const std::string k_warning =
    "run 1 named cases by their position (before content-based case ids) and the datasets "
    "differ: cases are paired by their inputs where those are unique on both sides, else by id";

} // namespace

TEST_SUITE("compare") {

    TEST_CASE("compare::compare pairs positional ids by inputs when the datasets differ") {
        // Baseline: q1..q4 and "hard" (fails). Candidate: a row inserted at the top, q2
        // deleted, the rest reordered; same outcomes per question. By position, case-1 (q1) would
        // meet "new" and every later id another question: false regressions and fixes.
        auto a = positional_side("run 1", {"q1", "q2", "q3", "hard", "q4"}, "h1");
        auto b = positional_side("run 2", {"new", "q4", "hard", "q1", "q3"}, "h2");
        b.case_ids = CaseIds::content;
        const auto c = compare::compare(a, b, {});
        CHECK(c.warnings == std::vector<std::string>{k_warning});
        CHECK(c.count(CaseChange::regression) == 0);
        CHECK(c.count(CaseChange::fix) == 0);
        CHECK(c.count(CaseChange::unchanged_pass) == 3);
        CHECK(c.count(CaseChange::unchanged_fail) == 1);
        CHECK(c.count(CaseChange::new_case) == 1);
        REQUIRE(c.count(CaseChange::missing) == 1);
        for (const auto& d : c.cases) {
            if (d.baseline && d.candidate) {
                CHECK(d.baseline->vars == d.candidate->vars);
            }
            if (d.change == CaseChange::missing) {
                CHECK(d.baseline->vars["q"] == "q2");
            }
        }
    }

    TEST_CASE("compare::compare pairs by id when it can") {
        SUBCASE("positional ids, the same dataset: by id, no warning") {
            auto a = positional_side("run 1", {"q1", "q2"}, "h");
            auto b = positional_side("run 2", {"q1", "q2"}, "h");
            const auto c = compare::compare(a, b, {});
            CHECK(c.warnings.empty());
            CHECK(c.count(CaseChange::unchanged_pass) == 2);
        }
        SUBCASE("content ids on both sides, datasets differing: by id, no warning") {
            auto a = positional_side("run 1", {"q1", "q2"}, "h1");
            auto b = positional_side("run 2", {"q2", "q1"}, "h2");
            a.case_ids = b.case_ids = CaseIds::content;
            const auto c = compare::compare(a, b, {});
            CHECK(c.warnings.empty());
            CHECK(c.cases[0].candidate->vars["q"] == "q2"); // the id decides
        }
        SUBCASE("no hashes, but one id with other inputs: the datasets differ") {
            auto a = positional_side("run 1", {"q1", "q2"}, "");
            auto b = positional_side("run 2", {"q2", "q1"}, "");
            const auto c = compare::compare(a, b, {});
            CHECK(c.warnings.size() == 1);
            CHECK(c.cases[0].candidate->vars["q"] == "q1");
        }
        SUBCASE("inputs not unique: by id, but never two positional ids of other inputs") {
            // "dup" twice on each side pairs by id; case-3 asks q3 on one side and q4 on the
            // other: different cases, missing and new.
            auto a = positional_side("run 1", {"dup", "dup", "q3"}, "h1");
            auto b = positional_side("run 2", {"dup", "dup", "q4"}, "h2");
            b.cases[1].description = "second";
            const auto c = compare::compare(a, b, {});
            CHECK(c.cases[1].candidate == &b.cases[1]);
            CHECK(c.count(CaseChange::unchanged_pass) == 2);
            CHECK(c.count(CaseChange::missing) == 1);
            CHECK(c.count(CaseChange::new_case) == 1);
        }
        SUBCASE("ids the suite gave keep pairing when the inputs were edited") {
            auto a = positional_side("run 1", {"q1", "q2"}, "h1");
            auto b = positional_side("run 2", {"q1", "q2 (edited)"}, "h2");
            a.cases[1].id = b.cases[1].id = "capital-of-france";
            const auto c = compare::compare(a, b, {});
            CHECK(c.warnings.size() == 1);
            CHECK(c.cases[1].candidate == &b.cases[1]);
        }
    }

    TEST_CASE("compare::detail::is_positional_id") {
        CHECK(compare::detail::is_positional_id("case-12"));
        CHECK_FALSE(compare::detail::is_positional_id("case-"));
        CHECK_FALSE(compare::detail::is_positional_id("case-1a"));
        CHECK_FALSE(compare::detail::is_positional_id("0a1b2c3d4e5f"));
    }

} // TEST_SUITE
