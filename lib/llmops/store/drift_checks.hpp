#pragma once
// The checks `llmops drift` made (schema 10, `drift_checks`): each comparison of a prompt's two
// windows, its statistics as JSON and whether it alarmed, so the last one of each prompt can be
// exported later (`llmops metrics`) without recomputing it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::store {

// One recorded check.
struct DriftCheck {
    int64_t id = 0; // set by record_drift_check and the reads
    std::string prompt;
    std::string version; // '' for all versions
    std::string model;   // '' for all models
    std::optional<int64_t> reference_since_unix_ns;
    std::optional<int64_t> reference_until_unix_ns;
    std::optional<int64_t> current_since_unix_ns;
    std::optional<int64_t> current_until_unix_ns;
    int64_t reference_calls = 0;
    int64_t current_calls = 0;
    int64_t checked_at_unix_ns = 0;
    std::string statistics = "[]"; // JSON array of rows, as `llmops drift --json` prints `rows`
    bool alarm = false;
};

// Appends `check` to the store; returns its id. Fails with `io` (a read-only store included).
Expected<int64_t> record_drift_check(Database& db, const DriftCheck& check);

// The latest check of each prompt (highest id), ordered by prompt name. Fails with `io`.
Expected<std::vector<DriftCheck>> latest_drift_checks(Database& db);

} // namespace llmops::store
