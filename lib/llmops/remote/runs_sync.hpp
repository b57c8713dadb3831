#pragma once
// Runs and their results between this store and a remote (SPEC §16). A run is known everywhere
// by `store::run_uid` (its number differs between stores). Each run travels whole in one
// transaction, so a push or pull killed half-way keeps the runs already sent and is resumed by
// running it again; finished runs only (a running one has not got all its results yet).

#include <string_view>
#include <utility>

#include <llmops/remote/pg.hpp>
#include <llmops/store/database.hpp>

namespace llmops::remote {

// Which runs `push`/`pull --runs` sends: none, the newest finished one, or every finished one.
enum class RunSelection { none, latest, all };

// Reads `none`, `latest` or `all`. Fails with `invalid_input`.
Expected<RunSelection> parse_run_selection(std::string_view text);

struct RunSyncReport {
    int64_t sent = 0;    // runs copied
    int64_t results = 0; // their results
    int64_t already = 0; // runs the other side had
};

// Rows per round trip of results.
inline constexpr int k_result_page = 2000;

// Sends the selected finished runs the remote lacks, each with its variants and results in one
// transaction. Fails with `network`, `conflict` (a role that may not write), `io`.
Expected<RunSyncReport> push_runs(store::Database& db, PgConnection& conn, RunSelection selection);

// Brings the selected runs this store lacks; a run found here with fewer results than the remote
// holds (a pull killed half-way) is replaced. Fails with `network` or `io`.
Expected<RunSyncReport> pull_runs(store::Database& db, PgConnection& conn, RunSelection selection);

// One remote run in a store of its own in memory, for `llmops diff origin/latest`: `ref` is
// `latest` (the newest run pushed), `latest~N`, or the remote's run number. Returns the store and
// the run's number in it. Fails with `not_found` naming the ref.
Expected<std::pair<store::Database, int64_t>> fetch_remote_run(PgConnection& conn,
                                                               std::string_view ref);

} // namespace llmops::remote
