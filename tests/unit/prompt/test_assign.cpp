#include <llmops/prompt/assign.hpp>

#include <cmath>
#include <string>

#include <doctest/doctest.h>

namespace prompt = llmops::prompt;
namespace store = llmops::store;

TEST_SUITE("prompt") {

    TEST_CASE("prompt::assignment_bucket") {
        // The documented rule, by another implementation (docs/ab.md):
        //   python3 -c "import hashlib
        //     for u in ['user-17','u-1','alice','']:
        //       k=('support/triage/production:'+u).encode()
        //       print(u, int.from_bytes(hashlib.sha256(k).digest()[:8],'big') % 10000)"
        // (sha256("support/triage/production:user-17") starts 28e06f063c7d7985 =
        // 2945476228875647365)
        CHECK(prompt::assignment_bucket("support/triage", "production", "user-17") == 7365);
        CHECK(prompt::assignment_bucket("support/triage", "production", "u-1") == 7391);
        CHECK(prompt::assignment_bucket("support/triage", "production", "alice") == 5495);
        CHECK(prompt::assignment_bucket("support/triage", "production", "") == 4833);
        CHECK(prompt::k_assignment_rule == "sha256-mod-10000/v1");
    }

    TEST_CASE("prompt::assign_arm") {
        const std::vector<store::LabelArm> arms{{3, 10}, {2, 90}}; // any order: sorted by version
        CHECK(prompt::assign_arm(arms, 0)->number == 2);
        CHECK(prompt::assign_arm(arms, 8999)->number == 2);
        CHECK(prompt::assign_arm(arms, 9000)->number == 3);
        CHECK(prompt::assign_arm(arms, 9999)->number == 3);
        CHECK_FALSE(prompt::assign_arm(arms, 10000));
        CHECK_FALSE(prompt::assign_arm({}, 0));
        SUBCASE("a 90/10 split of 100,000 units lands within binomial tolerance") {
            // Expected 10,000 in version 3, sd sqrt(100000 · 0.1 · 0.9) ≈ 94.9; 4 sd either side.
            // (The same Python loop counts 9939: the rule is deterministic.)
            int in_treatment = 0;
            for (int i = 0; i < 100000; ++i) {
                const auto bucket = prompt::assignment_bucket("support/triage", "production",
                                                              "user-" + std::to_string(i));
                in_treatment += prompt::assign_arm(arms, bucket)->number == 3 ? 1 : 0;
            }
            CHECK(in_treatment == 9939);
            CHECK(std::abs(in_treatment - 10000) < 4 * std::sqrt(100000 * 0.1 * 0.9));
        }
    }
}
