#pragma once
// The store's schema and its forward migrations (`PRAGMA user_version`).

#include <cstdint>

#include <llmops/store/database.hpp>

namespace llmops::store {

// The schema version this build writes and understands.
inline constexpr int64_t k_schema_version = 4;

// Brings `db` up to `k_schema_version`, one migration per transaction. Fails with `conflict` when
// the store was written by a newer llmops (its user_version is higher), `io` otherwise.
Expected<void> migrate(Database& db);

// Fails with `conflict` when `db` is newer than this build; `io` when unreadable. Returns the
// version found, which may be older (a read-only store is read as it is when it is current).
Expected<int64_t> check_version(Database& db);

} // namespace llmops::store
