#pragma once
// A run's life in the store, shared by `eval` and `judge calibrate`: the run row created (or a
// stopped one taken over for --resume) under this process's lease, the response cache and the
// --record file, the call engine driven round after round with each round's results committed
// and the lease renewed in between, and the run finished with its status and summary.
//
// What the calls are, and what a result is, is the caller's business: it submits calls from
// `drive`'s start and from the engine's callbacks, and hands results to `add`.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/engine.hpp>
#include <llmops/provider/replay.hpp>
#include <llmops/store/cache.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/error.hpp>
#include <llmops/util/process_info.hpp>

namespace llmops::eval {

struct SessionOptions {
    int concurrency = 4; // -j
    provider::CacheMode cache_mode = provider::CacheMode::use;
    std::optional<std::filesystem::path> record;  // --record FILE
    const provider::PriceTable* prices = nullptr; // nullptr: the built-in table
};

class RunSession {
public:
    // Opens the response cache in `project_dir` (a broken cache is a warning, never fatal) and
    // the --record file (which must open). Fails with `io`.
    static Expected<RunSession> open(store::Database& db, const std::filesystem::path& project_dir,
                                     const SessionOptions& options);

    RunSession(RunSession&&) noexcept = default;
    RunSession& operator=(RunSession&&) = delete;
    RunSession(const RunSession&) = delete;
    RunSession& operator=(const RunSession&) = delete;
    ~RunSession() = default;

    // A new run (status running) under this process's lease.
    Expected<void> create(const store::RunRecord& run);
    // Takes over stopped run `run_id` (a live writer refuses: `conflict`); returns the lease of
    // the process that left it, when one was left behind.
    Expected<std::optional<store::Lease>> resume(int64_t run_id);
    int64_t run_id() const { return m_run_id; }

    // Runs the call engine: `start` submits the first calls, the engine's callbacks submit the
    // rest, until none are left or `stop` returns true. After each round of callbacks the lease
    // is renewed and the round's results committed, so a kill -9 loses only calls in flight.
    void drive(const std::function<void(provider::CallEngine&)>& start,
               const std::function<bool()>& stop);

    // Queues a result for the next commit; ignored once the store cannot be written.
    void add(store::ResultRecord record);

    // The store could not be written, or another process took the run: stop making results.
    bool failed() const { return m_write_error.has_value(); }
    bool lease_lost() const { return m_lease_lost; }
    const std::optional<Error>& write_error() const { return m_write_error; }

    // Commits the results queued so far (a failure is kept in write_error).
    void commit();

    // Commits what is left and sets the run's status and stored summary; fails with the first
    // write error. A run whose lease was lost is left alone (its results are not ours to write).
    Expected<void> finish(std::string_view status, const nlohmann::json& summary);

    // What the session has to say besides errors: a broken cache, answers --record missed.
    const std::vector<std::string>& warnings() const { return m_warnings; }

private:
    RunSession(store::Database& db, SessionOptions options)
        : m_db(&db), m_options(std::move(options)) {}
    void renew_lease();

    store::Database* m_db;
    SessionOptions m_options;
    std::optional<store::ResponseCache> m_cache;
    std::unique_ptr<provider::Recorder> m_recorder;
    std::unique_ptr<store::ResultWriter> m_writer;
    int64_t m_run_id = 0;
    util::ProcessIdentity m_identity = util::self_process(); // the writer named in the lease
    int64_t m_lease_renewed_ms = 0;
    bool m_lease_lost = false;
    std::optional<Error> m_write_error;
    std::vector<std::string> m_warnings;
};

} // namespace llmops::eval
