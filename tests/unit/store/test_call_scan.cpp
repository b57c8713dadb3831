// Light reads of a window's calls (store/call_scan.hpp).

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/store/call_scan.hpp>
#include <llmops/store/runs.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;

namespace {

void add_calls(store::Database& db) {
    store::CallWriter writer(db);
    for (int i = 0; i < 4; ++i) {
        store::CallRecord c;
        c.span_id = "s" + std::to_string(i);
        c.time_unix_ns = 1000 + i;
        c.prompt = i < 3 ? "triage" : "reply";
        if (i != 1)
            c.output = "out " + std::to_string(i);
        c.output_tokens = i;
        c.error = i == 1;
        c.source = "jsonl";
        REQUIRE_OK(writer.add(std::move(c)));
    }
    REQUIRE_OK(writer.flush());
}

// A run judging calls s0..s2 with `statuses`.
void add_run(store::Database& db, const std::vector<std::string>& statuses) {
    store::RunRecord record;
    record.suite_path = "evals/online.yaml";
    record.variants.push_back({0, "v", "v", "id", "echo", "echo", {}});
    auto id = store::create_run(db, record);
    REQUIRE_OK(id);
    store::ResultWriter writer(db, *id);
    for (size_t i = 0; i < statuses.size(); ++i) {
        store::ResultRecord r;
        r.case_id = "s" + std::to_string(i);
        r.case_index = static_cast<int>(i);
        r.status = statuses[i];
        REQUIRE_OK(writer.add(std::move(r)));
    }
    REQUIRE_OK(writer.flush());
}

} // namespace

TEST_SUITE("store") {
    TEST_CASE("store::scan_call_texts") {
        test::TestProject p;
        add_calls(*p.db);
        store::CallFilter filter;
        filter.prompt = "triage";
        filter.since_unix_ns = 1001;
        std::vector<store::CallText> seen;
        REQUIRE_OK(store::scan_call_texts(*p.db, filter,
                                          [&](const store::CallText& c) { seen.push_back(c); }));
        REQUIRE(seen.size() == 2); // s1, s2: oldest first, the other prompt and s0 left out
        CHECK(seen[0].span_id == "s1");
        CHECK(seen[0].error);
        CHECK_FALSE(seen[0].output);
        CHECK(seen[1].output == "out 2");
        CHECK(seen[1].output_tokens == 2);
    }

    TEST_CASE("store::count_online_outcomes") {
        test::TestProject p;
        add_calls(*p.db);
        add_run(*p.db, {"fail", "fail", "fail"});
        add_run(*p.db, {"pass", "error", "fail"}); // newer: wins
        store::CallFilter filter;
        filter.prompt = "triage";
        auto outcomes = store::count_online_outcomes(*p.db, filter);
        REQUIRE_OK(outcomes);
        CHECK(outcomes->pass == 1);
        CHECK(outcomes->fail == 1);
        CHECK(outcomes->error == 1);
        filter.prompt = "reply"; // s3: never judged
        outcomes = store::count_online_outcomes(*p.db, filter);
        CHECK(outcomes->pass + outcomes->fail + outcomes->error == 0);
    }
}
