#pragma once
// The remote store's schema in PostgreSQL (SPEC §16): its own schema `llmops`, versioned in
// `llmops.meta`, migrated forward like the SQLite store's (store/schema.cpp), refused when newer.

#include <llmops/remote/pg.hpp>

namespace llmops::remote {

// The remote schema version this build writes.
inline constexpr int k_remote_schema_version = 2;

// Creates the schema in a database that lacks it, or migrates an older one, in one transaction.
// Returns the version it found (0: none). Fails with `conflict` when the database's schema is
// newer than this build, `conflict` when the role may not create it, `network`/`io` otherwise.
Expected<int> init_schema(PgConnection& conn);

// Checks that the remote holds the current schema: fails with `not_found` when it has none
// ("run `llmops remote init NAME`"), `conflict` when it is older (same advice) or newer (upgrade
// llmops).
Expected<void> check_schema(PgConnection& conn);

} // namespace llmops::remote
