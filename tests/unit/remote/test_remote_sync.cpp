// The remote store's library against a real PostgreSQL (tests/support/pg_server.hpp): label
// moves by compare-and-set from many writers at once, and what a reader role may do.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/remote/pg.hpp>
#include <llmops/remote/schema.hpp>
#include <llmops/remote/sync.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/pg_server.hpp"
#include "support/test_project.hpp"

namespace llmops::test {

namespace {

remote::PgConnection connect_to(const std::string& url, const std::string& password) {
    auto conn = remote::PgConnection::connect(url, password, "test remote");
    REQUIRE_OK(conn);
    return std::move(*conn);
}

// A store with `greet` at versions 1 and 2, production at 1, pushed to a fresh remote.
std::string pushed_remote(PgServer& server) {
    const std::string url = server.create_database();
    TestProject project;
    store::PromptStore prompts(*project.db);
    for (const char* text : {"one", "two"}) {
        const std::string content = nlohmann::json{{"template", text}}.dump();
        REQUIRE_OK(prompts.commit(
            {{"greet", util::sha256_hex(content), content, "m", "Tester <t@example.com>"}}));
    }
    auto v1 = prompts.resolve("greet@1");
    REQUIRE_OK(v1);
    REQUIRE_OK(prompts.set_label(*v1, "production", "Tester <t@example.com>", ""));
    auto conn = connect_to(url, PgServer::k_password);
    REQUIRE_OK(remote::init_schema(conn));
    REQUIRE_OK(remote::push_prompts(*project.db, conn));
    return url;
}

std::string current_id(remote::PgConnection& conn) {
    auto row = conn.query("SELECT version_id FROM llmops.current_prompts WHERE name = 'greet' "
                          "AND label = 'production'");
    REQUIRE_OK(row);
    return std::string(row->text(0, 0));
}

std::vector<std::string> version_ids(remote::PgConnection& conn) {
    auto rows = conn.query("SELECT object_id FROM llmops.versions ORDER BY number");
    REQUIRE_OK(rows);
    return {std::string(rows->text(0, 0)), std::string(rows->text(1, 0))};
}

} // namespace

TEST_CASE("remote::move_remote_label: 8 writers x 100 moves, every move in the history") {
    PgServer& server = PgServer::shared();
    const std::string url = pushed_remote(server);
    constexpr int k_writers = 8;
    constexpr int k_moves = 100;
    std::atomic<int> moved{0};
    std::atomic<int> refused{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < k_writers; ++w) {
        writers.emplace_back([&, w] {
            auto conn = remote::PgConnection::connect(url, PgServer::k_password, "writer");
            if (!conn) {
                ++failures;
                return;
            }
            auto ids = conn->query("SELECT object_id FROM llmops.versions ORDER BY number");
            for (int done = 0; done < k_moves && ids;) {
                // What this writer last saw, as a clone's pull would leave it.
                auto seen = conn->query("SELECT version_id FROM llmops.current_prompts");
                if (!seen) {
                    ++failures;
                    return;
                }
                const std::string at(seen->text(0, 0));
                const std::string other(ids->text(0, 0) == at ? ids->text(1, 0) : ids->text(0, 0));
                remote::LabelMove move{"greet",
                                       "production",
                                       other,
                                       at,
                                       "writer " + std::to_string(w),
                                       "move " + std::to_string(done),
                                       "2026-12-07T00:00:00.000Z"};
                auto result = remote::move_remote_label(*conn, move);
                if (!result) {
                    ++failures;
                    return;
                }
                if (result->moved) {
                    ++moved;
                    ++done;
                } else {
                    ++refused; // another writer moved it in between: named, not lost
                    if (!result->concurrent) {
                        ++failures;
                    }
                }
            }
        });
    }
    for (auto& t : writers) {
        t.join();
    }
    CHECK(failures.load() == 0);
    CHECK(moved.load() == k_writers * k_moves);
    auto conn = connect_to(url, PgServer::k_password);
    // Every move is one history row, each starting where the previous left the label.
    auto history = conn.query("SELECT from_number, to_number FROM llmops.label_history "
                              "WHERE label = 'production' ORDER BY id");
    REQUIRE_OK(history);
    REQUIRE(history->rows() == k_writers * k_moves + 1);
    for (int r = 1; r < history->rows(); ++r) {
        CHECK(history->optional_integer(r, 0) == history->optional_integer(r - 1, 1));
    }
    const auto ids = version_ids(conn);
    CHECK(current_id(conn) == ids[history->integer(history->rows() - 1, 1) - 1]);
    MESSAGE("refused (concurrent) moves: ", refused.load());
}

TEST_CASE("remote: a reader role reads the view and cannot move a label") {
    PgServer& server = PgServer::shared();
    const std::string url = pushed_remote(server);
    const std::string db = url.substr(url.rfind('/') + 1);
    // The reader's grants of docs/teams.md ("Access"), under names of this test's own (roles
    // belong to the whole server, which the docs test may share).
    server.sql(db, "CREATE ROLE t_reader NOLOGIN; "
                   "GRANT USAGE ON SCHEMA llmops TO t_reader; "
                   "GRANT SELECT ON llmops.current_prompts, llmops.meta TO t_reader; "
                   "CREATE ROLE t_app LOGIN PASSWORD 'app-secret-1' IN ROLE t_reader;");
    const std::string app_url =
        "postgresql://t_app@127.0.0.1:" + std::to_string(server.port()) + "/" + db;
    auto app = connect_to(app_url, "app-secret-1");
    auto ids = connect_to(url, PgServer::k_password);
    const auto versions = version_ids(ids);
    CHECK(current_id(app) == versions[0]);

    remote::LabelMove move{
        "greet", "production", versions[1], versions[0], "app", "", "2026-12-07T00:00:00.000Z"};
    auto refused = remote::move_remote_label(app, move);
    REQUIRE(!refused);
    CHECK(refused.error().code() == ErrorCode::conflict);
    CHECK(refused.error().message().find("permission denied") != std::string::npos);
    CHECK(current_id(ids) == versions[0]);
    // The refused move's transaction was rolled back: the reader's connection still reads.
    CHECK(current_id(app) == versions[0]);
    auto write = app.execute("UPDATE llmops.labels SET version_number = 2");
    CHECK(!write);
}

} // namespace llmops::test
