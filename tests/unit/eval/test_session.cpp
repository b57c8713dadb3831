// RunSession with a fake caller: calls to the local `echo` provider (no HTTP), results made in
// the engine's callbacks. The run row and its lease, a commit after every round, the finish.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/session.hpp>
#include <llmops/provider/config.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/store/runs.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

int64_t stored(store::Database& db, int64_t run) {
    int64_t n = 0;
    auto ok = store::for_each_result(db, run, [&](const store::ResultRecord&) -> Expected<void> {
        ++n;
        return {};
    });
    REQUIRE_OK(ok);
    return n;
}

std::unique_ptr<provider::Provider> echo() {
    auto config = provider::parse_provider_config(json("echo"), "providers", ".");
    REQUIRE_OK(config);
    auto made = provider::Provider::create(*config, provider::process_env());
    REQUIRE_OK(made);
    return std::move(*made);
}

store::RunRecord run_record() {
    store::RunRecord run;
    run.suite_path = "suite.yaml";
    run.suite_hash = "h";
    run.dataset_hash = "d";
    store::VariantRecord v;
    v.label = "p | echo";
    v.provider_id = "echo";
    run.variants.push_back(v);
    return run;
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::RunSession") {
        test::TestProject p;
        const auto model = echo();

        SUBCASE("results made in callbacks are committed every round; finish stores the status") {
            auto session = eval::RunSession::open(*p.db, p.project.dir, {});
            REQUIRE_OK(session);
            REQUIRE_OK(session->create(run_record()));
            const int64_t run = session->run_id();
            auto loaded = store::load_run(*p.db, run);
            REQUIRE_OK(loaded);
            CHECK(loaded->status == "running");
            CHECK(loaded->lease.has_value());
            int answered = 0;
            int64_t committed_when_last_answered = -1;
            session->drive(
                [&](provider::CallEngine& engine) {
                    for (int i = 0; i < 5; ++i) {
                        provider::CallJob job;
                        job.provider = model.get();
                        job.request.messages = {{"user", "question " + std::to_string(i)}};
                        engine.submit(std::move(job), [&, i](Expected<provider::CallOutcome> o) {
                            REQUIRE_OK(o);
                            store::ResultRecord r;
                            r.case_id = "case-" + std::to_string(i);
                            r.case_index = i;
                            r.status = "pass";
                            r.output = o->result.output;
                            session->add(std::move(r));
                            if (++answered == 5) {
                                committed_when_last_answered = stored(*p.db, run);
                            }
                        });
                    }
                },
                [] { return false; });
            CHECK(answered == 5);
            CHECK(committed_when_last_answered < 5); // the last round is committed after it
            CHECK(stored(*p.db, run) == 5);          // ... by the engine loop, before finish
            CHECK_FALSE(session->failed());
            REQUIRE_OK(session->finish("complete", json{{"run", run}}));
            loaded = store::load_run(*p.db, run);
            REQUIRE_OK(loaded);
            CHECK(loaded->status == "complete");
            CHECK(loaded->summary["run"] == run);
            CHECK_FALSE(loaded->lease.has_value());
        }
        SUBCASE("a --record file that cannot be opened fails before any run exists") {
            p.dir.write("file", "x");
            eval::SessionOptions options;
            options.record = p.dir.path() / "file" / "answers.jsonl";
            auto session = eval::RunSession::open(*p.db, p.project.dir, options);
            REQUIRE_FALSE(session.has_value());
            CHECK(session.error().code() == ErrorCode::io);
            auto runs = store::list_runs(*p.db, 0);
            REQUIRE_OK(runs);
            CHECK(runs->empty());
        }
        SUBCASE("resume takes the lease of a stopped run") {
            {
                auto first = eval::RunSession::open(*p.db, p.project.dir, {});
                REQUIRE_OK(first);
                REQUIRE_OK(first->create(run_record()));
                REQUIRE_OK(first->finish("interrupted", json::object()));
            }
            auto second = eval::RunSession::open(*p.db, p.project.dir, {});
            REQUIRE_OK(second);
            auto previous = second->resume(1);
            REQUIRE_OK(previous);
            CHECK_FALSE(previous->has_value()); // finished cleanly: nobody's lease was left behind
            CHECK(second->run_id() == 1);
            auto loaded = store::load_run(*p.db, 1);
            REQUIRE_OK(loaded);
            CHECK(loaded->lease.has_value());
        }
    }

} // TEST_SUITE
