#include <llmops/store/schema.hpp>

#include <array>
#include <string_view>

namespace llmops::store {

namespace {

// Migration N takes the store from user_version N-1 to N. Never edit a migration that has
// shipped: add a new one. Every table and column carries a comment (fossil's habit), because the
// schema is the documentation of what the store keeps.
constexpr std::array<std::string_view, 1> k_migrations = {
    R"sql(
CREATE TABLE objects (                 -- content-addressed prompt versions, immutable
  id TEXT PRIMARY KEY NOT NULL,        -- SHA-256 (lowercase hex) of `content`: the version id
  content TEXT NOT NULL                -- canonical JSON of {template|messages, config, variables, description}
) WITHOUT ROWID;

CREATE TABLE prompts (                 -- one row per prompt name
  id INTEGER PRIMARY KEY,              -- internal key used by the other tables
  name TEXT NOT NULL UNIQUE,           -- e.g. 'support/triage': [a-z0-9._-] segments joined by '/'
  created_at TEXT NOT NULL             -- ISO 8601 UTC time of the first commit
);

CREATE TABLE versions (                -- the commits: the numbered history of each prompt
  prompt_id INTEGER NOT NULL REFERENCES prompts(id), -- which prompt
  number INTEGER NOT NULL CHECK (number >= 1),       -- per-prompt version number: 1, 2, ...
  object_id TEXT NOT NULL REFERENCES objects(id),    -- the content of this version
  parent_id TEXT REFERENCES objects(id),             -- content of version number-1; NULL for 1
  message TEXT NOT NULL,               -- the commit message
  author TEXT NOT NULL,                -- who committed: 'Name <email>' or an OS user name
  created_at TEXT NOT NULL,            -- ISO 8601 UTC commit time
  PRIMARY KEY (prompt_id, number)
) WITHOUT ROWID;
CREATE INDEX versions_by_object ON versions(object_id);

CREATE TABLE labels (                  -- the current position of each movable label
  prompt_id INTEGER NOT NULL REFERENCES prompts(id), -- which prompt
  name TEXT NOT NULL,                  -- the label, e.g. 'production'
  version_number INTEGER NOT NULL,     -- the version it points at
  updated_at TEXT NOT NULL,            -- ISO 8601 UTC time of the last move
  PRIMARY KEY (prompt_id, name),
  FOREIGN KEY (prompt_id, version_number) REFERENCES versions(prompt_id, number)
) WITHOUT ROWID;

CREATE TABLE label_history (           -- append-only audit trail of every label move and removal
  id INTEGER PRIMARY KEY,              -- order of events
  prompt_id INTEGER NOT NULL REFERENCES prompts(id), -- which prompt
  label TEXT NOT NULL,                 -- which label
  from_number INTEGER,                 -- version before the event; NULL when the label was created
  to_number INTEGER,                   -- version after the event; NULL when the label was removed
  author TEXT NOT NULL,                -- who moved it
  message TEXT NOT NULL,               -- why (may be empty)
  created_at TEXT NOT NULL             -- ISO 8601 UTC time of the event
);
CREATE INDEX label_history_by_prompt ON label_history(prompt_id, label, id);

CREATE TABLE worktree_cache (          -- parse results of prompt files seen by status/commit; safe to empty
  key TEXT PRIMARY KEY NOT NULL,       -- SHA-256 of (default name, NUL, file bytes)
  name TEXT NOT NULL,                  -- the prompt name the file declares
  object_id TEXT NOT NULL              -- the version id its content hashes to (may be uncommitted)
) WITHOUT ROWID;

-- Immutability is enforced by the schema, not by convention.
CREATE TRIGGER objects_immutable_update BEFORE UPDATE ON objects
  BEGIN SELECT RAISE(ABORT, 'prompt versions are immutable'); END;
CREATE TRIGGER objects_immutable_delete BEFORE DELETE ON objects
  BEGIN SELECT RAISE(ABORT, 'prompt versions are immutable'); END;
CREATE TRIGGER versions_immutable_update BEFORE UPDATE ON versions
  BEGIN SELECT RAISE(ABORT, 'prompt versions are immutable'); END;
CREATE TRIGGER versions_immutable_delete BEFORE DELETE ON versions
  BEGIN SELECT RAISE(ABORT, 'prompt versions are immutable'); END;
CREATE TRIGGER label_history_append_only_update BEFORE UPDATE ON label_history
  BEGIN SELECT RAISE(ABORT, 'label history is append-only'); END;
CREATE TRIGGER label_history_append_only_delete BEFORE DELETE ON label_history
  BEGIN SELECT RAISE(ABORT, 'label history is append-only'); END;
)sql",
};

} // namespace

Expected<int64_t> check_version(Database& db) {
    auto version = db.user_version();
    if (!version) {
        return fail(version.error());
    }
    if (*version > k_schema_version) {
        return fail(ErrorCode::conflict,
                    "store '{}' has schema version {}, newer than this llmops understands ({}); "
                    "upgrade llmops",
                    db.path().string(), *version, k_schema_version);
    }
    return *version;
}

Expected<void> migrate(Database& db) {
    auto version = check_version(db);
    if (!version) {
        return fail(version.error());
    }
    for (int64_t v = *version; v < k_schema_version; ++v) {
        auto tx = Transaction::begin(db);
        if (!tx) {
            return fail(tx.error());
        }
        // Re-read inside the write lock: another process may have migrated meanwhile.
        auto current = db.user_version();
        if (!current) {
            return fail(current.error());
        }
        if (*current > v) {
            continue;
        }
        if (auto ok = db.exec(k_migrations[static_cast<size_t>(v)]); !ok) {
            return fail(ok.error());
        }
        if (auto ok = db.exec(fmt::format("PRAGMA user_version = {}", v + 1)); !ok) {
            return fail(ok.error());
        }
        if (auto ok = tx->commit(); !ok) {
            return fail(ok.error());
        }
    }
    return {};
}

} // namespace llmops::store
