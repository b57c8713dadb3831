// The eval runner on a real store: the matrix, stored results and summary, filters, resume,
// --max-cost, errors that are neither passes nor failures.

#include <algorithm>
#include <atomic>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/runner.hpp>
#include <llmops/store/runs.hpp>

#include "support/expected.hpp"
#include "support/loopback.hpp"
#include "support/temp_dir.hpp"
#include "support/test_project.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

eval::AssertionSpec assertion(std::string_view entry) {
    auto spec = eval::parse_assertion(json::parse(entry), "test", ".");
    REQUIRE_OK(spec);
    return *spec;
}

// A suite of `n` cases "question i", each asserting the echo contains "question i".
eval::Suite echo_suite(int n, std::vector<std::string> providers = {"echo"}) {
    eval::Suite suite;
    suite.path = "suite.yaml";
    suite.hash = "suite-hash";
    suite.dataset_hash = "dataset-hash";
    suite.prompts.push_back({eval::PromptEntry::Kind::text, "Q: {{q}}", "plain", "prompts[0]"});
    for (const auto& id : providers) {
        auto config = provider::parse_provider_config(json(id), "providers", ".");
        REQUIRE(config.has_value());
        suite.providers.push_back(std::move(*config));
    }
    std::vector<eval::TestCase> cases;
    for (int i = 0; i < n; ++i) {
        eval::TestCase c;
        c.id = "case-" + std::to_string(i + 1);
        c.vars = {{"q", "question " + std::to_string(i)}};
        c.asserts.push_back(assertion(R"({"type": "contains", "value": "question 1"})"));
        c.where = "tests[" + std::to_string(i) + "]";
        cases.push_back(std::move(c));
    }
    suite.tests = eval::CaseSource(std::move(cases));
    return suite;
}

int64_t count_results(store::Database& db, int64_t run) {
    int64_t n = 0;
    auto ok = store::for_each_result(db, run, [&](const store::ResultRecord&) -> Expected<void> {
        ++n;
        return {};
    });
    REQUIRE(ok.has_value());
    return n;
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::run_suite") {
        test::TestProject p;

        SUBCASE("stores one result per variant, case and repeat, and summarises them") {
            auto suite = echo_suite(3);
            suite.prompts.push_back(
                {eval::PromptEntry::Kind::text, "Again: {{q}}", "again", "prompts[1]"});
            suite.repeat = 2;
            eval::RunOptions options;
            auto summary = eval::run_suite(*p.db, p.project, suite, options, {}, {});
            REQUIRE_OK(summary);
            CHECK(summary->status == "complete");
            REQUIRE(summary->variants.size() == 2);
            CHECK(summary->variants[0].label == "plain | echo");
            CHECK(summary->variants[0].pass == 2); // "question 1" passes twice (2 repeats)
            CHECK(summary->variants[0].fail == 4);
            CHECK(count_results(*p.db, summary->run_id) == 12);
            auto run = store::load_run(*p.db, summary->run_id);
            REQUIRE(run.has_value());
            CHECK(run->status == "complete");
            CHECK(run->provenance["prompts"].size() == 2);
            CHECK(run->provenance["repeat"] == 2);
            CHECK(run->summary["variants"][1]["results"] == 6);
        }
        SUBCASE("--filter-pattern is matched in linear time, and what it cannot do is refused") {
            auto suite = echo_suite(3);
            auto listed = suite.tests.to_vector();
            REQUIRE_OK(listed);
            std::vector<eval::TestCase> cases = std::move(*listed);
            // std::regex recursed once per character: `.*x` over this description overflowed the
            // stack and killed the process.
            cases[1].description = std::string(200000, 'a') + "x";
            suite.tests = eval::CaseSource(std::move(cases));
            eval::RunOptions options;
            options.filter.pattern = ".*x";
            auto long_text = eval::run_suite(*p.db, p.project, suite, options, {}, {});
            REQUIRE_OK(long_text);
            CHECK(count_results(*p.db, long_text->run_id) == 1);
            options.filter.pattern = "(a)\\1";
            auto refused = eval::run_suite(*p.db, p.project, suite, options, {}, {});
            REQUIRE_FALSE(refused.has_value());
            CHECK(refused.error().code() == ErrorCode::invalid_input);
            CHECK(refused.error().message().starts_with("--filter-pattern '(a)\\1': "));
        }
        SUBCASE("filters pick the cases") {
            auto suite = echo_suite(10);
            eval::RunOptions options;
            options.filter.pattern = "case-1"; // case-1 and case-10
            auto pattern = eval::run_suite(*p.db, p.project, suite, options, {}, {});
            CHECK(count_results(*p.db, pattern->run_id) == 2);
            eval::RunOptions shard;
            shard.filter.shard = std::pair{2, 3}; // positions 1, 4, 7
            auto sharded = eval::run_suite(*p.db, p.project, suite, shard, {}, {});
            CHECK(count_results(*p.db, sharded->run_id) == 3);
            eval::RunOptions none;
            none.filter.pattern = "nothing-matches";
            auto empty = eval::run_suite(*p.db, p.project, suite, none, {}, {});
            REQUIRE_FALSE(empty.has_value());
            CHECK(empty.error().message() == "the filters leave no case to run");
        }
        SUBCASE("filters combine in order, and the count known up front is the count run") {
            auto suite = echo_suite(20);
            auto ids_of = [&](int64_t run) {
                std::vector<std::string> ids;
                (void)store::for_each_result(*p.db, run,
                                             [&](const store::ResultRecord& r) -> Expected<void> {
                                                 ids.push_back(r.case_id);
                                                 return {};
                                             });
                return ids;
            };
            auto run_with = [&](const eval::CaseFilter& filter) {
                eval::RunOptions options;
                options.filter = filter;
                auto summary = eval::run_suite(*p.db, p.project, suite, options, {}, {});
                if (!summary) {
                    FAIL(summary.error().message());
                }
                auto run = store::load_run(*p.db, summary->run_id);
                REQUIRE(run.has_value());
                const auto ids = ids_of(summary->run_id);
                CHECK(run->provenance["cases"] == ids.size());
                return ids;
            };
            eval::CaseFilter f;
            f.sample = 8;
            f.seed = 42;
            const auto sampled = run_with(f);
            CHECK(sampled.size() == 8);
            CHECK(run_with(f) == sampled); // the same seed draws the same cases
            f.seed = 43;
            CHECK(run_with(f) != sampled);
            f.seed = 42;
            f.first_n = 5;
            const auto first = run_with(f);
            CHECK(first == std::vector<std::string>(sampled.begin(), sampled.begin() + 5));
            f.shard = std::pair{2, 2};
            CHECK(run_with(f) == std::vector<std::string>{first[1], first[3]});
            eval::CaseFilter pattern_first;
            pattern_first.pattern = "case-1"; // case-1, case-10 ... case-19
            pattern_first.first_n = 3;
            CHECK(run_with(pattern_first) ==
                  std::vector<std::string>{"case-1", "case-10", "case-11"});
            // Only the cases that failed in a run: the echo contains "question 1" for case-2 and
            // case-11 ... case-20 ("question 10" ...).
            eval::CaseFilter failing;
            failing.pattern = "case-1"; // case-1, case-10 ... case-19
            CHECK(run_with(eval::CaseFilter{}).size() == 20);
            auto all = store::resolve_run(*p.db, "latest");
            REQUIRE(all.has_value());
            failing.failing_run = *all;
            CHECK(run_with(failing) == std::vector<std::string>{"case-1", "case-10"});
        }
        SUBCASE("script assertions run beside each other, off the engine's thread") {
            // Each check waits until all four have started: run one after another, the first would
            // wait in vain and fail after 20 s.
            test::TempDir dir;
            dir.write("barrier.sh", "#!/bin/sh\n"
                                    "mkdir -p started && touch started/$$\n"
                                    "i=0\n"
                                    "while [ $i -lt 400 ]; do\n"
                                    "  [ $(ls started | wc -l) -ge 4 ] && exit 0\n"
                                    "  sleep 0.05; i=$((i + 1))\n"
                                    "done\n"
                                    "exit 1\n");
            std::filesystem::permissions(dir / "barrier.sh", std::filesystem::perms::owner_all);
            std::string yaml =
                "prompts: ['Q: {{q}}']\nproviders: [echo]\n"
                "defaultTest: {assert: [{type: exec, value: ./barrier.sh}]}\ntests:\n";
            for (int i = 0; i < 4; ++i) {
                yaml += "  - vars: {q: " + std::to_string(i) + "}\n";
            }
            auto suite = eval::load_suite(dir.write("suite.yaml", yaml));
            REQUIRE(suite.has_value());
            eval::RunOptions options;
            options.concurrency = 4;
            auto summary = eval::run_suite(*p.db, p.project, *suite, options, {}, {});
            REQUIRE(summary.has_value());
            CHECK(summary->variants[0].pass == 4);
            CHECK(summary->variants[0].errors == 0);
        }
        SUBCASE("a dataset file changed after the suite was loaded stops the run, keeping its "
                "results") {
            test::TempDir dir;
            std::string csv = "q\n";
            for (int i = 0; i < 300; ++i) {
                csv += "question " + std::to_string(i) + "\n";
            }
            dir.write("cases.csv", csv);
            auto path =
                dir.write("suite.yaml",
                          "prompts: ['Q: {{q}}']\nproviders: [echo]\ntests: file://cases.csv\n");
            auto suite = eval::load_suite(path);
            REQUIRE(suite.has_value());
            CHECK(suite->tests.size() == 300);
            dir.write("cases.csv", csv + "one more\n");
            auto changed = eval::run_suite(*p.db, p.project, *suite, {}, {}, {});
            REQUIRE_FALSE(changed.has_value());
            CHECK(changed.error().message().find(
                      "cases.csv: the file changed since the suite was loaded") !=
                  std::string::npos);
            auto run = store::load_run(*p.db, *store::resolve_run(*p.db, "latest"));
            REQUIRE(run.has_value());
            CHECK(run->status == "failed");
        }
        SUBCASE("an interrupted run keeps its results and --resume completes it") {
            auto suite = echo_suite(50);
            int seen = 0;
            eval::RunOptions options;
            options.concurrency = 1;
            auto first = eval::run_suite(
                *p.db, p.project, suite, options,
                [&](const store::ResultRecord&, const eval::RunSummary&) { ++seen; },
                [&] { return seen >= 5; });
            REQUIRE(first.has_value());
            CHECK(first->status == "interrupted");
            const int64_t kept = count_results(*p.db, first->run_id);
            CHECK(kept >= 5);
            CHECK(kept < 50);
            eval::RunOptions resume;
            resume.resume_run = first->run_id;
            auto second = eval::run_suite(*p.db, p.project, suite, resume, {}, {});
            REQUIRE(second.has_value());
            CHECK(second->run_id == first->run_id);
            CHECK(second->skipped_resumed == kept);
            CHECK(second->planned == 50 - kept);
            CHECK(count_results(*p.db, first->run_id) == 50);
            CHECK(store::load_run(*p.db, first->run_id)->status == "complete");
            auto changed = suite;
            changed.dataset_hash = "other";
            auto refused = eval::run_suite(*p.db, p.project, changed, resume, {}, {});
            REQUIRE_FALSE(refused.has_value());
            CHECK(refused.error().message() ==
                  fmt::format("cannot resume run {}: the dataset changed since it started",
                              first->run_id));
        }
        SUBCASE("a missing variable is an error result naming the case, never a pass or a fail") {
            auto suite = echo_suite(2);
            auto cases = suite.tests.to_vector();
            REQUIRE(cases.has_value());
            (*cases)[1].vars = json::object();
            suite.tests = eval::CaseSource(std::move(*cases));
            auto summary = eval::run_suite(*p.db, p.project, suite, {}, {}, {});
            REQUIRE(summary.has_value());
            CHECK(summary->variants[0].errors == 1);
            CHECK(summary->variants[0].pass + summary->variants[0].fail == 1);
            std::string reason;
            (void)store::for_each_result(*p.db, summary->run_id,
                                         [&](const store::ResultRecord& r) -> Expected<void> {
                                             if (r.status == "error")
                                                 reason = r.reason;
                                             return {};
                                         });
            CHECK(reason.starts_with("tests[1]: "));
        }
        SUBCASE("100,000 cases that cannot render are 100,000 errors, and the stack stays flat") {
            // Each one answers at once, inside the scheduling loop: the loop must not recurse
            // (it did, one frame per case, and crashed with SIGSEGV past ~7,500 cases).
            constexpr int k_cases = 100000;
            eval::Suite suite = echo_suite(0);
            suite.prompts[0].value = "Q: {{misspelt}}";
            std::vector<eval::TestCase> cases(k_cases);
            for (int i = 0; i < k_cases; ++i) {
                cases[static_cast<size_t>(i)].id = "case-" + std::to_string(i + 1);
                cases[static_cast<size_t>(i)].vars = {{"q", i}};
                cases[static_cast<size_t>(i)].where = "tests[" + std::to_string(i) + "]";
            }
            suite.tests = eval::CaseSource(std::move(cases));
            auto summary = eval::run_suite(*p.db, p.project, suite, {}, {}, {});
            REQUIRE_OK(summary);
            CHECK(summary->variants[0].errors == k_cases);
            CHECK(count_results(*p.db, summary->run_id) == k_cases);
        }
    }

    TEST_CASE("eval::run_suite against a provider") {
        test::TestProject p;
        test::LoopbackServer server;
        std::atomic<int> calls{0};
        server.post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            ++calls;
            server.sleep_unless_stopping(std::chrono::milliseconds(20));
            res.set_content(
                R"({"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"question 1"}}],
                            "usage":{"prompt_tokens":1000000,"completion_tokens":0}})",
                "application/json");
        });
        server.start();
        ::setenv("LLMOPS_TEST_RUNNER_KEY", "sk-test", 1);
        auto suite = echo_suite(20, {});
        auto config = provider::parse_provider_config(
            json{{"id", "openai:gpt-4o-mini"},
                 {"config",
                  {{"apiBaseUrl", server.url("/v1")}, {"apiKeyEnvar", "LLMOPS_TEST_RUNNER_KEY"}}}},
            "providers[0]", ".");
        REQUIRE(config.has_value());
        suite.providers.push_back(std::move(*config));

        SUBCASE("--max-cost stops starting calls and keeps what finished") {
            eval::RunOptions options;
            options.concurrency = 2;
            options.max_cost = 0.5; // each call costs $0.15 (a million input tokens of gpt-4o-mini)
            options.cache_mode = provider::CacheMode::off;
            auto summary = eval::run_suite(*p.db, p.project, suite, options, {}, {});
            REQUIRE(summary.has_value());
            CHECK(summary->stopped_by_cost);
            CHECK(summary->status == "interrupted");
            const int64_t stored = count_results(*p.db, summary->run_id);
            CHECK(stored >= 4);
            CHECK(stored <= 5); // the fourth call crosses $0.50; one more may be in flight
            CHECK(calls.load() == stored);
        }
        SUBCASE("a second run answers from the cache and spends nothing") {
            auto first = eval::run_suite(*p.db, p.project, suite, {}, {}, {});
            REQUIRE(first.has_value());
            CHECK(calls.load() == 20);
            auto second = eval::run_suite(*p.db, p.project, suite, {}, {}, {});
            REQUIRE(second.has_value());
            CHECK(calls.load() == 20);
            CHECK(second->variants[0].cached == 20);
            CHECK(second->variants[0].spent_usd == 0.0);
            CHECK(second->variants[0].cost_usd == doctest::Approx(20 * 0.15));
        }
        SUBCASE("answers replayed from a recording cost what they cost, and spend nothing") {
            test::TempDir dir;
            eval::RunOptions record;
            record.record = dir / "rec.jsonl";
            record.cache_mode = provider::CacheMode::off;
            REQUIRE(eval::run_suite(*p.db, p.project, suite, record, {}, {}).has_value());
            auto replay = echo_suite(20, {});
            auto replay_config = provider::parse_provider_config(
                json("replay:" + (dir / "rec.jsonl").string()), "providers[0]", ".");
            REQUIRE(replay_config.has_value());
            replay.providers = {std::move(*replay_config)};
            auto summary = eval::run_suite(*p.db, p.project, replay, {}, {}, {});
            REQUIRE(summary.has_value());
            CHECK(summary->variants[0].cost_usd == doctest::Approx(20 * 0.15));
            CHECK(summary->variants[0].spent_usd == 0.0);
            // Recomputed from the store (runs show, merge, resume), the same.
            auto again = eval::summarize_run(*p.db, summary->run_id);
            REQUIRE(again.has_value());
            CHECK(again->variants[0].cost_usd == doctest::Approx(20 * 0.15));
            CHECK(again->variants[0].spent_usd == 0.0);
        }
    }

    TEST_CASE("eval::run_suite stores no secret") {
        test::TestProject p;
        test::LoopbackServer server;
        server.post("/v1/chat/completions", [&](const httplib::Request& req,
                                                httplib::Response& res) {
            // A model that repeats its key.
            const json answer = {{"role", "assistant"},
                                 {"content", req.get_header_value("Authorization")}};
            res.set_content(
                json{{"choices", {{{"index", 0}, {"finish_reason", "stop"}, {"message", answer}}}}}
                    .dump(),
                "application/json");
        });
        server.start();
        const std::string key = "sk-runner-secret-0123";
        ::setenv("LLMOPS_TEST_SECRET_KEY", key.c_str(), 1);
        auto suite = echo_suite(1);
        const std::string base =
            "http://u:url-pass-777@127.0.0.1:" + std::to_string(server.port()) + "/v1";
        auto config = provider::parse_provider_config(
            json{{"id", "openai:gpt-4o-mini"},
                 {"config", {{"apiBaseUrl", base}, {"apiKeyEnvar", "LLMOPS_TEST_SECRET_KEY"}}}},
            "providers[1]", ".");
        REQUIRE(config.has_value());
        suite.providers.push_back(std::move(*config));
        // The echo provider answers with the prompt, which holds the key (a case variable); the
        // model answers with the key it was sent.
        auto cases = suite.tests.to_vector();
        REQUIRE_OK(cases);
        (*cases)[0].vars["q"] = "say " + key;
        suite.tests = eval::CaseSource(std::move(*cases));
        eval::RunOptions options;
        options.command_line = "llmops eval suite.yaml --judge 'http://u:cmd-pass-888@h/v1?key=k'";
        options.cache_mode = provider::CacheMode::off;

        auto summary = eval::run_suite(*p.db, p.project, suite, options, {}, {});
        REQUIRE_OK(summary);
        auto run = store::load_run(*p.db, summary->run_id);
        REQUIRE(run.has_value());
        CHECK(run->provenance["command_line"] == "llmops eval suite.yaml --judge 'http://h/v1'");
        CHECK(run->variants[1].provider_config["apiBaseUrl"] ==
              "http://127.0.0.1:" + std::to_string(server.port()) + "/v1");
        std::string stored = run->provenance.dump();
        for (const auto& v : run->variants) {
            stored += v.provider_config.dump();
        }
        std::vector<std::string> outputs;
        REQUIRE(store::for_each_result(*p.db, run->id,
                                       [&](const store::ResultRecord& r) -> Expected<void> {
                                           stored += r.output.value_or("") + r.reason + r.prompt +
                                                     r.vars.dump() + r.assertions.dump();
                                           outputs.push_back(r.output.value_or(""));
                                           return {};
                                       })
                    .has_value());
        std::sort(outputs.begin(), outputs.end());
        CHECK(outputs == std::vector<std::string>{"Bearer [redacted]", "Q: say [redacted]"});
        for (const auto& secret : std::vector<std::string>{key, "url-pass-777", "cmd-pass-888"}) {
            CHECK_MESSAGE(stored.find(secret) == std::string::npos, secret);
        }
    }

} // TEST_SUITE
