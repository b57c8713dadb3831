// store runs: one writer per run (leases), the status of a run whose writer died, merges in one
// transaction with the provenance of every shard, removal of a live run refused.

#include <llmops/store/runs.hpp>
#include <llmops/util/time.hpp>

#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

// A process of this machine that has ended (its identity kept).
util::ProcessIdentity dead_process() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    const auto who = util::process_identity(pid);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    REQUIRE(who.has_value());
    return *who;
}

// A live process of this machine that is not this one: the parent (the test runner's caller).
util::ProcessIdentity other_live_process() {
    const auto who = util::process_identity(::getppid());
    REQUIRE(who.has_value());
    return *who;
}

store::RunRecord shard(const std::string& shard_filter, int64_t cases) {
    store::RunRecord run;
    run.suite_path = "suite.yaml";
    run.suite_hash = "suite-hash";
    run.dataset_hash = "dataset-hash";
    run.provenance = {{"cases", cases}, {"filters", {{"shard", shard_filter}, {"first_n", 10}}}};
    run.variants.push_back({0, "p | echo", "p", "v1", "echo", "echo", json::object()});
    return run;
}

store::ResultRecord result(const std::string& case_id) {
    store::ResultRecord r;
    r.case_id = case_id;
    r.status = "pass";
    r.score = 1.0;
    return r;
}

void add_results(store::Database& db, int64_t run, const std::vector<std::string>& ids) {
    store::ResultWriter writer(db, run);
    for (const auto& id : ids) {
        REQUIRE_OK(writer.add(result(id)));
    }
    REQUIRE_OK(writer.flush());
}

int64_t count(store::Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE_OK(stmt);
    REQUIRE(stmt->step().value_or(false));
    return stmt->integer(0);
}

} // namespace

TEST_SUITE("store") {

    TEST_CASE("store::run leases") {
        test::TestProject p;
        auto& db = *p.db;
        const auto me = util::self_process();

        SUBCASE("a run written by a live process reads as running, with its writer") {
            auto id = store::create_run(db, shard("1/2", 5), &me);
            REQUIRE_OK(id);
            auto run = store::load_run(db, *id);
            REQUIRE_OK(run);
            CHECK(run->status == "running");
            REQUIRE(run->lease.has_value());
            CHECK(run->lease->holder.pid == me.pid);
        }
        SUBCASE("a run whose writer died, or that has no writer, reads as interrupted") {
            const auto dead = dead_process();
            auto id = store::create_run(db, shard("1/2", 5), &dead);
            REQUIRE_OK(id);
            CHECK(store::load_run(db, *id)->status == "interrupted");
            auto orphan = store::create_run(db, shard("2/2", 5));
            REQUIRE_OK(orphan);
            CHECK(store::list_runs(db, 0)->front().status == "interrupted");
            // Ended runs keep their status, and lose their lease.
            REQUIRE_OK(store::finish_run(db, *id, "complete", json::object()));
            CHECK(store::load_run(db, *id)->status == "complete");
            CHECK_FALSE(store::load_run(db, *id)->lease.has_value());
        }
        SUBCASE("a second writer is refused while the first lives, and takes over once it died") {
            const auto other = other_live_process();
            auto id = store::create_run(db, shard("1/2", 5), &other);
            REQUIRE_OK(id);
            auto refused = store::reopen_run(db, *id, me);
            REQUIRE_FALSE(refused.has_value());
            CHECK(refused.error().code() == ErrorCode::conflict);
            CHECK(refused.error().message().starts_with(
                fmt::format("run {} is being written by process {} on host '{}' (since ", *id,
                            other.pid, other.host)));
            auto removed = store::remove_run(db, *id);
            REQUIRE_FALSE(removed.has_value());
            CHECK(removed.error().message().ends_with("; stop it first, or wait for it to end"));

            const auto dead = dead_process();
            auto left = store::create_run(db, shard("2/2", 5), &dead);
            REQUIRE_OK(left);
            auto taken = store::reopen_run(db, *left, me);
            REQUIRE_OK(taken);
            REQUIRE(taken->has_value());
            CHECK((*taken)->holder.pid == dead.pid);
            CHECK(store::load_run(db, *left)->status == "running");
            CHECK(store::load_run(db, *left)->lease->holder.pid == me.pid);
            REQUIRE_OK(store::renew_lease(db, *left, me));
        }
        SUBCASE("a writer whose lease was taken over stops at its next renewal") {
            const auto dead = dead_process();
            auto id = store::create_run(db, shard("1/2", 5), &dead);
            REQUIRE_OK(id);
            REQUIRE_OK(store::reopen_run(db, *id, me));
            auto lost = store::renew_lease(db, *id, dead);
            REQUIRE_FALSE(lost.has_value());
            CHECK(lost.error().code() == ErrorCode::conflict);
            CHECK(
                lost.error().message() ==
                fmt::format("run {} was taken over by another process (this one was thought dead); "
                            "stopping",
                            *id));
        }
        SUBCASE("a lease from another host is live while its heartbeat is fresh") {
            store::Lease lease;
            lease.holder = me;
            lease.holder.host = "elsewhere";
            const int64_t now = util::unix_ms();
            lease.heartbeat_ms = now - 1000;
            CHECK(store::lease_is_live(lease, now));
            lease.heartbeat_ms = now - store::k_lease_stale_ms - 1;
            CHECK_FALSE(store::lease_is_live(lease, now));
        }
    }

    TEST_CASE("store::merge_runs") {
        test::TestProject p;
        auto& db = *p.db;
        auto one = store::create_run(db, shard("1/2", 3));
        auto two = store::create_run(db, shard("2/2", 2));
        REQUIRE_OK(one);
        REQUIRE_OK(two);
        add_results(db, *one, {"a", "b", "c"});
        add_results(db, *two, {"d", "e"});
        REQUIRE_OK(store::finish_run(db, *one, "complete", json::object()));
        REQUIRE_OK(store::finish_run(db, *two, "complete", json::object()));

        SUBCASE("the merged run holds every result, and the provenance of every shard") {
            auto merged = store::merge_runs(db, {*one, *two});
            REQUIRE_OK(merged);
            auto run = store::load_run(db, *merged);
            REQUIRE_OK(run);
            CHECK(run->status == "complete");
            CHECK(run->provenance["cases"] == 5);
            CHECK(run->provenance["merged_from"] == json::array({*one, *two}));
            CHECK(run->provenance["filters"]["first_n"] == 10); // the same in every shard
            CHECK_FALSE(run->provenance["filters"].contains("shard"));
            CHECK(run->provenance["filters"]["merged"] ==
                  json::array({{{"run", *one}, {"filters", {{"shard", "1/2"}, {"first_n", 10}}}},
                               {{"run", *two}, {"filters", {{"shard", "2/2"}, {"first_n", 10}}}}}));
            CHECK(count(db, fmt::format("SELECT count(*) FROM results WHERE run_id = {}",
                                        *merged)) == 5);
        }
        SUBCASE("overlapping shards are refused, and nothing is left behind") {
            auto three = store::create_run(db, shard("2/2", 2));
            REQUIRE_OK(three);
            add_results(db, *three, {"c"});
            REQUIRE_OK(store::finish_run(db, *three, "complete", json::object()));
            const int64_t runs_before = count(db, "SELECT count(*) FROM runs");
            auto refused = store::merge_runs(db, {*one, *three});
            REQUIRE_FALSE(refused.has_value());
            CHECK(
                refused.error().message() ==
                fmt::format("run {} holds results that another merged run also holds (overlapping "
                            "shards?)",
                            *three));
            CHECK(count(db, "SELECT count(*) FROM runs") == runs_before);
            CHECK(count(db, "SELECT count(*) FROM run_variants") == runs_before);
        }
        SUBCASE("a shard still being written is refused") {
            const auto other = other_live_process();
            auto live = store::create_run(db, shard("2/2", 2), &other);
            REQUIRE_OK(live);
            auto refused = store::merge_runs(db, {*one, *live});
            REQUIRE_FALSE(refused.has_value());
            CHECK(refused.error().code() == ErrorCode::conflict);
            CHECK(refused.error().message().ends_with("; merge it once it ends"));
        }
    }

} // TEST_SUITE
