#pragma once
// The store's schema and its forward migrations (`PRAGMA user_version`).

#include <cstdint>
#include <string>
#include <vector>

#include <llmops/store/database.hpp>

namespace llmops::store {

// The schema version this build writes and understands.
inline constexpr int64_t k_schema_version = 11;

// Brings `db` up to `k_schema_version`, one migration per transaction. Fails with `conflict` when
// the store was written by a newer llmops (its user_version is higher), `io` otherwise.
Expected<void> migrate(Database& db);

// Fails with `conflict` when `db` is newer than this build; `io` when unreadable. Returns the
// version found, which may be older (a read-only store is read as it is when it is current).
Expected<int64_t> check_version(Database& db);

// Returns the tables of the current schema that `db` lacks (none in a sound store), for fsck
// and `open_store`. Fails with `io`.
Expected<std::vector<std::string>> missing_tables(Database& db);

// Refuses an existing store file that cannot be an llmops store: schema version 0 is an empty
// file (truncated, or `llmops init` never finished) or another program's database, in which
// `migrate` would otherwise build a new, empty store and every read would say "no prompts".
// Call it before `migrate` on a store that should already exist. Fails with `io`.
Expected<void> check_not_empty(Database& db);

// Fails with `io` naming the tables of the current schema that `db` (already migrated) lacks:
// a store damaged outside llmops, whose reads would otherwise fail half-way or come back empty.
Expected<void> check_tables(Database& db);

} // namespace llmops::store
