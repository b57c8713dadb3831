#pragma once
// Eval runs in the store (SPEC §10): a run's provenance and variants, its results written in
// batches as they arrive (a killed run keeps everything committed), run refs (12, latest,
// latest~1, a tag), tags, removal, and streaming reads for reports and exports.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>
#include <llmops/util/process_info.hpp>

namespace llmops::store {

// One variant: a (prompt version, provider config) pair.
struct VariantRecord {
    int index = 0;
    std::string label;             // "summarize@2 | openai:gpt-4o-mini"
    std::string prompt_label;      // the prompt as the suite names it
    std::string prompt_version_id; // the content's version id
    std::string provider_id;
    std::string provider_label;
    nlohmann::json provider_config = nlohmann::json::object(); // without secrets
};

// Who writes a running run: one process at a time holds its lease (`run_leases`), taken when
// the run starts or resumes, renewed between rounds of calls, dropped when it ends.
struct Lease {
    util::ProcessIdentity holder;
    std::string started_at;   // ISO 8601 UTC
    int64_t heartbeat_ms = 0; // Unix time in ms of the last heartbeat
};

// How long a lease taken on another host (or before a reboot), where its process cannot be
// looked at, stays valid without a heartbeat. A lease on this host is valid exactly while its
// process runs.
inline constexpr int64_t k_lease_stale_ms = 10 * 60 * 1000;

// Whether `lease` is held by a live writer at Unix time `now_ms`.
bool lease_is_live(const Lease& lease, int64_t now_ms);

// Names the holder of `lease` for messages: "process 4242 on host 'ci-7' (since
// 2026-12-07T10:00:00Z, last heartbeat 3 s ago)".
std::string describe_lease(const Lease& lease, int64_t now_ms);

// One run's header.
struct RunRecord {
    int64_t id = 0;
    std::string suite_path;
    std::string suite_hash;
    std::string dataset_hash;
    std::string description;
    nlohmann::json provenance = nlohmann::json::object();
    std::string status = "running"; // running, complete, interrupted, failed; a run stored as
                                    // running whose writer is gone reads as interrupted
    std::optional<Lease> lease;     // its writer, while one holds it
    std::string started_at;
    std::optional<std::string> ended_at;
    nlohmann::json summary; // null until the run ends
    std::vector<std::string> tags;
    std::vector<VariantRecord> variants;
};

// One (variant, case, repeat) result.
struct ResultRecord {
    int variant = 0;
    std::string case_id;
    int case_index = 0;
    int repeat = 0;
    std::string status;          // pass, fail, error
    std::optional<double> score; // null for errors
    std::string reason;
    std::optional<std::string> output;
    nlohmann::json assertions = nlohmann::json::array();
    nlohmann::json vars = nlohmann::json::object();
    std::string prompt; // the rendered messages as JSON text
    std::string description;
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    int64_t cached_input_tokens = 0;
    int64_t reasoning_tokens = 0;
    bool tokens_estimated = false;
    std::optional<double> cost_usd;
    double latency_ms = 0;
    std::optional<double> first_token_ms;
    bool cached = false;
    std::string finish_reason;
    // The judge's calls for the model-graded assertions (SPEC §9), apart from the model's:
    int64_t judge_calls = 0;
    int64_t judge_input_tokens = 0;
    int64_t judge_output_tokens = 0;
    std::optional<double> judge_cost_usd = 0.0; // nullopt: some judge call was unpriced
    double judge_spent_usd = 0;                 // the part not answered from cache or replay
    // ISO 8601 UTC time the result was stored: read back from the store; the runner sets it
    // before handing the result to listeners, and the writer stores it (now when empty).
    std::string created_at = {};
};

// Creates a run (status running) with its variants; returns its number. With a `writer`, the
// run's lease is taken for it in the same transaction. Fails with `io`.
Expected<int64_t> create_run(Database& db, const RunRecord& run,
                             const util::ProcessIdentity* writer = nullptr);

// Sets a run's status (and end time when not running) and its summary, and drops its lease.
// Fails with `io`.
Expected<void> finish_run(Database& db, int64_t run_id, std::string_view status,
                          const nlohmann::json& summary);

// Marks a run running again for `writer` (--resume): clears its end time and takes its lease.
// Returns the lease it took over from a writer that is gone, if any. Fails with `conflict` when a
// live writer holds it: "run 3 is being written by process 4242 on host 'ci-7' (since ...)".
Expected<std::optional<Lease>> reopen_run(Database& db, int64_t run_id,
                                          const util::ProcessIdentity& writer);

// Renews `writer`'s lease on run `run_id`. Fails with `conflict` when it no longer holds it
// (another process took the run over, believing this one dead), `io` otherwise.
Expected<void> renew_lease(Database& db, int64_t run_id, const util::ProcessIdentity& writer);

// Writes results in batches: `add` buffers, and commits when `k_batch` results are waiting or
// `k_max_delay_ms` passed since the first of them; `flush` commits now. A crash loses at most
// the uncommitted batch, which `--resume` recomputes. Results already stored for the same
// (variant, case, repeat) are replaced (a resumed error retried).
class ResultWriter {
public:
    static constexpr size_t k_batch = 200;
    static constexpr int64_t k_max_delay_ms = 250;

    ResultWriter(Database& db, int64_t run_id) : m_db(&db), m_run_id(run_id) {}
    ~ResultWriter(); // flushes, ignoring errors (call flush to see them)
    ResultWriter(const ResultWriter&) = delete;
    ResultWriter& operator=(const ResultWriter&) = delete;

    Expected<void> add(ResultRecord result);
    Expected<void> flush();
    // Forgets what is not committed yet (the run now belongs to another writer).
    void discard() { m_pending.clear(); }

private:
    // A result waiting for its batch, its JSON columns already serialized (and the JSON values
    // emptied): a huge variable is held once, as the text that will be stored.
    struct Pending {
        ResultRecord record;
        std::string assertions;
        std::string vars;
    };

    Database* m_db;
    int64_t m_run_id;
    std::vector<Pending> m_pending;
    int64_t m_first_pending_ms = 0;
    // The INSERT, compiled at the first flush and kept: an eval flushes after every round of
    // answers, thousands of times, and compiling it cost as much as the rows it wrote.
    std::optional<Statement> m_insert;
};

// Resolves a run ref: a number ("12"), "latest", "latest~N", or a tag. Fails with `not_found`:
// "no run 12", "no runs yet", "no run 'baseline' (not a number, 'latest' or a tag)".
Expected<int64_t> resolve_run(Database& db, std::string_view ref);

// A run's identity across stores (SPEC §16): 32 hex digits of the SHA-256 of its start time,
// suite path and provenance, which a push or pull copies verbatim, so a run keeps it in every
// store (its number does not).
std::string run_uid(const RunRecord& run);

// How many results a run holds. Fails with `io`.
Expected<int64_t> count_run_results(Database& db, int64_t run_id);

// Sets a run's outcome as another store recorded it (a pulled run): its status, end time and
// summary, and drops its lease. Fails with `io`.
Expected<void> set_run_outcome(Database& db, int64_t run_id, std::string_view status,
                               const std::optional<std::string>& ended_at,
                               const nlohmann::json& summary);

// Reads a run's header, variants and tags. Fails with `not_found` / `io`.
Expected<RunRecord> load_run(Database& db, int64_t run_id);

// Lists runs, newest first (at most `limit`, 0 for all), without their variants.
Expected<std::vector<RunRecord>> list_runs(Database& db, int64_t limit);

// How latest_finished_runs groups runs.
enum class RunGrouping {
    suite,         // by suite_path: a suite's latest run, as `runs list` shows them
    traces_prompt, // online-eval runs (a suite over traces) by the prompt they graded
};

// The newest finished run (one with its summary stored) of each group, without variants or
// tags, oldest first: what `llmops metrics` exports. Runs without a traces prompt are left out
// of `traces_prompt`. Fails with `io`.
Expected<std::vector<RunRecord>> latest_finished_runs(Database& db, RunGrouping by);

// Which results for_each_result reads.
enum class ResultSelection { all, not_passed /* fail and error */ };

// Calls `visit` for each result of a run, ordered by variant, case position and repeat,
// reading row by row (memory stays flat: one row at a time, which `visit` may take apart).
// Stops and returns the first error `visit` returns.
Expected<void> for_each_result(Database& db, int64_t run_id,
                               const std::function<Expected<void>(ResultRecord&)>& visit,
                               ResultSelection selection = ResultSelection::all);

// The (variant, case id, repeat) keys stored for a run with a non-error status, or any status
// when `include_errors`: what --resume skips.
Expected<std::set<std::tuple<int, std::string, int>>> result_keys(Database& db, int64_t run_id,
                                                                  bool include_errors);

// The ids of the cases with a result that is not a pass (a fail or an error) in a run: what
// `eval --failing RUN` selects. Fails with `io`.
Expected<std::set<std::string>> failing_case_ids(Database& db, int64_t run_id);

// A mean over the results of the latest finished run that has any, for `eval --estimate`.
struct RunMean {
    int64_t run_id = 0;
    double mean = 0;
};

// The mean output tokens per call of variant `label` in the latest finished run of the suite at
// `suite_path` (answers not from the cache, errors left out); nullopt when there is none.
Expected<std::optional<RunMean>> mean_output_tokens(Database& db, std::string_view suite_path,
                                                    std::string_view label);

// The mean output tokens per judge call in the latest finished run of the suite that called a
// judge; nullopt when there is none.
Expected<std::optional<RunMean>> mean_judge_output_tokens(Database& db,
                                                          std::string_view suite_path);

// Points tag `name` at a run (moving it when it named another). Fails with `invalid_input` for
// a tag that looks like a run ref (a number or latest...).
Expected<void> tag_run(Database& db, int64_t run_id, std::string_view name);

// Joins runs (the shards of one suite, `llmops runs merge`) into a new run, in one transaction
// (a refused merge leaves nothing behind). Its provenance is the first run's with what differs
// across them joined: `merged_from`, `cases` summed, `filters` listed per run
// (`filters.merged`), the earliest start; its status is the worst of theirs. Returns its
// number. Fails with `conflict` when their suite, dataset or variants differ ("run 4 ran another
// suite than run 3"), two of them hold the same (variant, case, repeat), or one is still being
// written; `invalid_input` for fewer than two runs. Its summary is left null:
// eval::summarize_run computes it from the results.
Expected<int64_t> merge_runs(Database& db, const std::vector<int64_t>& run_ids);

// Deletes a run with its results and tags. Fails with `conflict` while a live writer holds it.
Expected<void> remove_run(Database& db, int64_t run_id);

} // namespace llmops::store
