#pragma once
// LLM calls imported from production traces (schema v8's `calls` table, SPEC §14): the batched
// writer `llmops traces import` feeds, and the filtered reads of `traces list`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <llmops/store/database.hpp>

namespace llmops::store {

// One LLM call as the `calls` table keeps it (its columns say what each field means).
struct CallRecord {
    std::string span_id;
    std::string trace_id;
    int64_t time_unix_ns = 0;
    std::string prompt;
    std::string prompt_version;
    std::string model;
    std::string provider;
    std::string operation;
    std::string vars = "{}";     // JSON object
    std::string messages = "[]"; // JSON array
    std::optional<std::string> output;
    std::optional<int64_t> input_tokens;
    std::optional<int64_t> output_tokens;
    std::optional<double> latency_ms;
    std::optional<double> cost_usd;
    bool error = false;
    std::string error_message;
    std::string user_id;
    std::string session_id;
    std::optional<double> feedback;
    std::string source;            // otlp or jsonl
    std::string attributes = "{}"; // JSON object, secrets already redacted
    std::string time;              // ISO 8601 UTC (filled by list_calls; the writer derives it)
};

// Writes calls in batches of `k_batch`, one transaction each; a call whose span id is already
// stored is left as it is and counted as a duplicate. `flush` commits what is waiting.
class CallWriter {
public:
    static constexpr size_t k_batch = 500;

    explicit CallWriter(Database& db) : m_db(&db) {}
    CallWriter(const CallWriter&) = delete;
    CallWriter& operator=(const CallWriter&) = delete;

    // Buffers `call`; commits the batch when it is full. Fails with `io`.
    Expected<void> add(CallRecord call);
    // Commits the waiting calls. Fails with `io` (the batch is then not stored).
    Expected<void> flush();

    int64_t inserted() const { return m_inserted; }
    int64_t duplicates() const { return m_duplicates; }

private:
    Database* m_db;
    std::vector<CallRecord> m_pending;
    int64_t m_inserted = 0;
    int64_t m_duplicates = 0;
};

// Which calls `list_calls` returns; an empty or absent field does not filter.
struct CallFilter {
    std::string prompt;
    std::string version;
    std::string model;
    std::optional<int64_t> since_unix_ns; // inclusive
    std::optional<int64_t> until_unix_ns; // exclusive
    int64_t limit = 0;                    // the newest `limit` calls; 0 for all
};

namespace detail {
// The WHERE clause of a `CallFilter` (its limit aside) over the `calls` table, parameters ?1 to
// ?5: each filter is `?N = ''` (or NULL) or a match, so one statement serves every combination.
// Every read of calls by filter uses it with `bind_call_filter`.
inline constexpr const char* k_call_filter_where =
    "(?1 = '' OR prompt = ?1) AND (?2 = '' OR prompt_version = ?2) "
    "AND (?3 = '' OR model = ?3) AND (?4 IS NULL OR time_unix_ns >= ?4) "
    "AND (?5 IS NULL OR time_unix_ns < ?5)";
void bind_call_filter(Statement& stmt, const CallFilter& filter);
} // namespace detail

// Returns the call with span id `span_id` (a unique prefix of it also finds it). Fails with
// `not_found` when none has it, `invalid_input` when a prefix names several, `io`.
Expected<CallRecord> find_call(Database& db, std::string_view span_id);

// Returns the calls matching `filter`, newest first. Fails with `io`.
Expected<std::vector<CallRecord>> list_calls(Database& db, const CallFilter& filter);

// What `traces stats` counts of a call: the light columns, without its texts.
struct CallFacts {
    std::string prompt;
    std::string prompt_version;
    std::string model;
    std::optional<int64_t> input_tokens;
    std::optional<int64_t> output_tokens;
    std::optional<double> latency_ms;
    std::optional<double> cost_usd;
    std::optional<double> feedback;
    bool error = false;
    int64_t time_unix_ns = 0;
    std::string span_id = {};
};

// Calls `visit` with the facts of every call matching `filter` (its limit ignored), ordered by
// prompt, version, model, then latency; a row at a time. Fails with `io`.
Expected<void> scan_call_facts(Database& db, const CallFilter& filter,
                               const std::function<void(const CallFacts&)>& visit);

// One move of a label (a row of `label_history`): when, and the version it then pointed at
// (nullopt: removed).
struct LabelMove {
    int64_t time_unix_ns = 0;
    std::optional<int64_t> to_number; // none when the label was removed, or split between
                                      // versions (A/B): a call then names no single version
};

// Returns the moves of `label` of the prompt `name`, oldest first; empty when the prompt or the
// label has none. Fails with `io`.
Expected<std::vector<LabelMove>> label_moves(Database& db, std::string_view name,
                                             std::string_view label);

// Returns `unix_ns` as ISO 8601 UTC with milliseconds: `2026-11-23T09:00:00.123Z`.
std::string iso8601_from_unix_ns(int64_t unix_ns);

// Parses an ISO 8601 time (`2026-11-23`, `2026-11-23T09:00:00Z`, fractions, `+02:00` offsets;
// a time without a zone is UTC) into Unix nanoseconds, or nullopt when it is not one.
std::optional<int64_t> parse_iso8601_ns(std::string_view text);

} // namespace llmops::store
