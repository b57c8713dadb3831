#include <llmops/store/schema.hpp>

#include <array>
#include <string_view>

#include <llmops/store/prompts.hpp>

namespace llmops::store {

namespace {

// Migration N takes the store from user_version N-1 to N. Never edit a migration that has
// shipped: add a new one. Every table and column carries a comment (fossil's habit), because the
// schema is the documentation of what the store keeps.
//
// A migration is SQL, optionally followed by a C++ step (for what SQL cannot compute, such as
// SHA-256) and more SQL; all three run in one transaction.
struct Migration {
    std::string_view sql;
    Expected<void> (*step)(Database&) = nullptr;
    std::string_view after = {};
};

Expected<void> chain_label_history(Database& db);

constexpr std::array<Migration, 11> k_migrations = {{
    {R"sql(
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
)sql"},
    // 2: eval runs and their results (SPEC §10).
    {R"sql(
CREATE TABLE runs (                    -- one row per `llmops eval` (or `runs merge`)
  id INTEGER PRIMARY KEY,              -- the run number users type: 1, 2, ...
  suite_path TEXT NOT NULL,            -- the suite file as given, relative to the project root when inside it
  suite_hash TEXT NOT NULL,            -- SHA-256 of the suite file's bytes
  dataset_hash TEXT NOT NULL,          -- SHA-256 of the canonical JSON of every case
  description TEXT NOT NULL,           -- the suite's description (may be empty)
  provenance TEXT NOT NULL,            -- JSON: llmops version, git commit, command line, filters, prices used, providers without secrets
  status TEXT NOT NULL                 -- running, complete, interrupted or failed
    CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
  started_at TEXT NOT NULL,            -- ISO 8601 UTC
  ended_at TEXT,                       -- ISO 8601 UTC; NULL while running (or after a crash)
  summary TEXT                         -- JSON per-variant summary, written when the run ends
);

CREATE TABLE run_variants (            -- the (prompt version, provider config) pairs of a run
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, -- which run
  idx INTEGER NOT NULL,                -- 0-based position: prompts outer, providers inner
  label TEXT NOT NULL,                 -- stable label, e.g. 'triage@3 | openai:gpt-4o-mini'
  prompt_label TEXT NOT NULL,          -- the prompt as the suite names it
  prompt_version_id TEXT NOT NULL,     -- SHA-256 version id of the prompt content used
  provider_id TEXT NOT NULL,           -- e.g. 'openai:gpt-4o-mini'
  provider_label TEXT NOT NULL,        -- the provider's label (its id unless given)
  provider_config TEXT NOT NULL,       -- JSON config without secrets
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;

CREATE TABLE results (                 -- one row per (variant, case, repeat): written as calls finish
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, -- which run
  variant INTEGER NOT NULL,            -- run_variants.idx
  case_id TEXT NOT NULL,               -- the case's id within the suite
  repeat INTEGER NOT NULL,             -- 0-based repeat index
  case_index INTEGER NOT NULL,         -- the case's position in the suite (for stable ordering)
  status TEXT NOT NULL                 -- pass, fail or error (errors are never passes or fails)
    CHECK (status IN ('pass', 'fail', 'error')),
  score REAL,                          -- weighted assertion score 0..1; NULL for errors
  reason TEXT NOT NULL,                -- why it failed or errored ('' for a pass)
  output TEXT,                         -- the model's output; NULL when the call failed
  assertions TEXT NOT NULL,            -- JSON list of assertion results
  vars TEXT NOT NULL,                  -- JSON object of the case's variables
  prompt TEXT NOT NULL,                -- the rendered prompt (messages as JSON)
  description TEXT NOT NULL,           -- the case's description
  input_tokens INTEGER NOT NULL,       -- prompt tokens, including cached ones
  output_tokens INTEGER NOT NULL,      -- generated tokens, including reasoning ones
  cached_input_tokens INTEGER NOT NULL, -- prompt tokens read from the provider's prompt cache
  reasoning_tokens INTEGER NOT NULL,   -- reasoning tokens (already in output_tokens)
  tokens_estimated INTEGER NOT NULL,   -- 1 when the provider reported no usage and these are estimates
  cost_usd REAL,                       -- the call's cost; NULL when the model is unpriced
  latency_ms REAL NOT NULL,            -- wall time of the call (0 for a cache hit)
  first_token_ms REAL,                 -- time to first token when streamed
  cached INTEGER NOT NULL,             -- 1 when answered from the response cache
  finish_reason TEXT NOT NULL,         -- stop, length, refusal, ... ('' for errors)
  created_at TEXT NOT NULL,            -- ISO 8601 UTC time the result was stored
  PRIMARY KEY (run_id, variant, case_id, repeat)
) WITHOUT ROWID;

CREATE TABLE run_tags (                -- names for runs: `llmops runs tag 12 baseline`
  name TEXT PRIMARY KEY NOT NULL,      -- the tag; unique, so moving it re-points it
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE -- the run it names
) WITHOUT ROWID;
)sql"},
    // 3: the judge's own calls (SPEC §9), kept apart from the model under test's.
    {R"sql(
ALTER TABLE results ADD COLUMN judge_calls INTEGER NOT NULL DEFAULT 0;        -- calls made to the judge model for this result (cache hits included)
ALTER TABLE results ADD COLUMN judge_input_tokens INTEGER NOT NULL DEFAULT 0; -- the judge's prompt tokens
ALTER TABLE results ADD COLUMN judge_output_tokens INTEGER NOT NULL DEFAULT 0; -- the judge's generated tokens
ALTER TABLE results ADD COLUMN judge_cost_usd REAL DEFAULT 0;                  -- what the judge's answers cost; NULL when the judge model is unpriced
ALTER TABLE results ADD COLUMN judge_spent_usd REAL NOT NULL DEFAULT 0;        -- the part of it spent now (not from the cache or a replay)
)sql"},
    // 4: label history rows chained by hash, so that fsck sees a row edited, inserted or deleted
    // behind llmops's back even when the append-only triggers were dropped first. The chain runs
    // through the whole table in id order (not per prompt or label): one chain, so a deleted row
    // anywhere but at the end breaks it. Existing rows are sealed as they are found here.
    {R"sql(
DROP TRIGGER IF EXISTS label_history_append_only_update; -- re-created below, once the rows are sealed
ALTER TABLE label_history ADD COLUMN hash TEXT NOT NULL DEFAULT ''; -- SHA-256 (lowercase hex) of the canonical JSON array [previous hash, prompt name, label, from_number, to_number, author, message, created_at], where the previous hash is that of the row with the next lower id in the whole table ('' for the first row); '' only in a row written by hand, which fsck reports
)sql",
     chain_label_history,
     R"sql(
CREATE TRIGGER label_history_append_only_update BEFORE UPDATE ON label_history
  BEGIN SELECT RAISE(ABORT, 'label history is append-only'); END;
)sql"},
    // 5: one writer per run. A running run's lease names the process writing it, so a second
    // `eval --resume` or a `runs rm` refuses, and a run whose writer died reads as interrupted.
    {R"sql(
CREATE TABLE run_leases (              -- who writes a running run: one row while a process holds it
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, -- the run being written
  pid INTEGER NOT NULL,                -- the writer's process id
  start_ticks INTEGER NOT NULL,        -- its start time in clock ticks since boot (a reused pid is another process)
  host TEXT NOT NULL,                  -- its host name (a pid means nothing on another host)
  boot_id TEXT NOT NULL,               -- its host's boot id (nor after a reboot)
  started_at TEXT NOT NULL,            -- ISO 8601 UTC: when it took the lease
  heartbeat_ms INTEGER NOT NULL        -- Unix time in ms of its last heartbeat (between rounds of calls)
);
)sql"},
    // 6: results become a rowid table with a unique key. As WITHOUT ROWID, the key's b-tree held
    // whole rows, so every insert or lookup beside a row with a huge output or vars read that
    // row back whole to compare keys (a 150 MB row cost another 150 MB of memory); now the key
    // lives in a small index. Same columns, same order; the rows are copied as they are.
    {R"sql(
CREATE TABLE results_v6 (              -- one row per (variant, case, repeat): written as calls finish
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, -- which run
  variant INTEGER NOT NULL,            -- run_variants.idx
  case_id TEXT NOT NULL,               -- the case's id within the suite
  repeat INTEGER NOT NULL,             -- 0-based repeat index
  case_index INTEGER NOT NULL,         -- the case's position in the suite (for stable ordering)
  status TEXT NOT NULL                 -- pass, fail or error (errors are never passes or fails)
    CHECK (status IN ('pass', 'fail', 'error')),
  score REAL,                          -- weighted assertion score 0..1; NULL for errors
  reason TEXT NOT NULL,                -- why it failed or errored ('' for a pass)
  output TEXT,                         -- the model's output; NULL when the call failed
  assertions TEXT NOT NULL,            -- JSON list of assertion results
  vars TEXT NOT NULL,                  -- JSON object of the case's variables
  prompt TEXT NOT NULL,                -- the rendered prompt (messages as JSON)
  description TEXT NOT NULL,           -- the case's description
  input_tokens INTEGER NOT NULL,       -- prompt tokens, including cached ones
  output_tokens INTEGER NOT NULL,      -- generated tokens, including reasoning ones
  cached_input_tokens INTEGER NOT NULL, -- prompt tokens read from the provider's prompt cache
  reasoning_tokens INTEGER NOT NULL,   -- reasoning tokens (already in output_tokens)
  tokens_estimated INTEGER NOT NULL,   -- 1 when the provider reported no usage and these are estimates
  cost_usd REAL,                       -- the call's cost; NULL when the model is unpriced
  latency_ms REAL NOT NULL,            -- wall time of the call (0 for a cache hit)
  first_token_ms REAL,                 -- time to first token when streamed
  cached INTEGER NOT NULL,             -- 1 when answered from the response cache
  finish_reason TEXT NOT NULL,         -- stop, length, refusal, ... ('' for errors)
  created_at TEXT NOT NULL,            -- ISO 8601 UTC time the result was stored
  judge_calls INTEGER NOT NULL DEFAULT 0,        -- calls made to the judge model for this result (cache hits included)
  judge_input_tokens INTEGER NOT NULL DEFAULT 0, -- the judge's prompt tokens
  judge_output_tokens INTEGER NOT NULL DEFAULT 0, -- the judge's generated tokens
  judge_cost_usd REAL DEFAULT 0,                 -- what the judge's answers cost; NULL when the judge model is unpriced
  judge_spent_usd REAL NOT NULL DEFAULT 0,       -- the part of it spent now (not from the cache or a replay)
  UNIQUE (run_id, variant, case_id, repeat)      -- the result's key (its index serves every lookup by run)
);
INSERT INTO results_v6 SELECT run_id, variant, case_id, repeat, case_index, status, score, reason,
  output, assertions, vars, prompt, description, input_tokens, output_tokens, cached_input_tokens,
  reasoning_tokens, tokens_estimated, cost_usd, latency_ms, first_token_ms, cached, finish_reason,
  created_at, judge_calls, judge_input_tokens, judge_output_tokens, judge_cost_usd, judge_spent_usd
  FROM results ORDER BY run_id, variant, case_id, repeat;
DROP TABLE results;
ALTER TABLE results_v6 RENAME TO results;
)sql"},
    // 7: the committed file's own text beside each version, so `prompt checkout` writes back the
    // bytes that were committed (comments, quoting, key order) instead of a canonical rendering.
    {R"sql(
CREATE TABLE version_sources (         -- the prompt file as committed, for checkout; never part of the version id
  prompt_id INTEGER NOT NULL,          -- versions.prompt_id
  number INTEGER NOT NULL,             -- versions.number
  format TEXT NOT NULL                 -- the file kind the text is: yaml or markdown
    CHECK (format IN ('yaml', 'markdown')),
  text TEXT NOT NULL,                  -- the file's bytes (UTF-8), as read at commit time
  path TEXT NOT NULL,                  -- where it was, relative to the project root ('/' between folders)
  PRIMARY KEY (prompt_id, number),
  FOREIGN KEY (prompt_id, number) REFERENCES versions(prompt_id, number)
) WITHOUT ROWID;
)sql"},
    // 8: LLM calls imported from production traces (SPEC §14), one row per call, keyed by the
    // span id so that importing a file twice adds nothing.
    {R"sql(
CREATE TABLE calls (                   -- one row per LLM call seen in production (`llmops traces import`)
  id INTEGER PRIMARY KEY,              -- internal key, in import order
  span_id TEXT NOT NULL UNIQUE,        -- the OpenTelemetry span id (hex), or 'jsonl:' + SHA-256 of a JSONL line without one: import is idempotent
  trace_id TEXT NOT NULL,              -- the OpenTelemetry trace id (hex); '' when unknown
  time_unix_ns INTEGER NOT NULL,       -- when the call started, Unix time in nanoseconds
  time TEXT NOT NULL,                  -- the same as ISO 8601 UTC with milliseconds, for reading and range filters
  prompt TEXT NOT NULL,                -- the prompt name (llmops.prompt.name, or the JSONL prompt ref's name); '' when unknown
  prompt_version TEXT NOT NULL,        -- the version as given: a number ('3') or a version id; '' when unknown
  model TEXT NOT NULL,                 -- the model that answered (gen_ai.response.model, else gen_ai.request.model); '' when unknown
  provider TEXT NOT NULL,              -- gen_ai.provider.name or gen_ai.system (openai, anthropic, ...); '' when unknown
  operation TEXT NOT NULL,             -- gen_ai.operation.name (chat, text_completion, ...); '' when unknown
  vars TEXT NOT NULL,                  -- JSON object of the prompt's variables (llmops.vars.*); '{}' when none
  messages TEXT NOT NULL,              -- JSON array of the input messages; '[]' when none were recorded
  output TEXT,                         -- the answer's text; NULL when none was recorded
  input_tokens INTEGER,                -- gen_ai.usage.input_tokens; NULL when not reported
  output_tokens INTEGER,               -- gen_ai.usage.output_tokens; NULL when not reported
  latency_ms REAL,                     -- end minus start of the span (or the JSONL latency_ms); NULL when unknown
  cost_usd REAL,                       -- the call's cost at the price table when imported; NULL when unpriced or without token counts
  error INTEGER NOT NULL DEFAULT 0,    -- 1 when the call failed (span status code 2, or a JSONL error)
  error_message TEXT NOT NULL DEFAULT '', -- the status message or error.type; '' without an error
  user_id TEXT NOT NULL DEFAULT '',    -- the end user (user.id, enduser.id or JSONL user); '' when unknown
  session_id TEXT NOT NULL DEFAULT '', -- the conversation (session.id, gen_ai.conversation.id or JSONL session); '' when unknown
  feedback REAL,                       -- a user's feedback score (llmops.feedback or JSONL feedback); NULL when none
  source TEXT NOT NULL,                -- what it was read from: otlp or jsonl
  attributes TEXT NOT NULL,            -- JSON object of the span's attributes (the JSONL record for jsonl), secrets redacted
  imported_at TEXT NOT NULL            -- ISO 8601 UTC time of the import
);
CREATE INDEX calls_by_time ON calls(time_unix_ns);
CREATE INDEX calls_by_prompt ON calls(prompt, prompt_version, model, time_unix_ns);
)sql"},
    // 9: label weights for A/B tests (SPEC §14). A label may split its traffic between versions;
    // the split is kept beside the label, and every change of it is a label history event whose
    // hash covers the split (appended to the hashed array only when present, so the hashes of
    // older rows stay as they are).
    {R"sql(
ALTER TABLE label_history ADD COLUMN split TEXT; -- the label's traffic split after the event: canonical JSON object {"<version number>": weight in percent, ...} of two or more arms summing to 100; NULL when the label sends all its traffic to to_number (every event before schema 9, every plain move and removal); when present, this text is the ninth element of the array `hash` seals
CREATE TABLE label_splits (            -- the arms of each split label (an A/B test); a label with no rows here sends all traffic to labels.version_number
  prompt_id INTEGER NOT NULL,          -- labels.prompt_id
  label TEXT NOT NULL,                 -- labels.name
  version_number INTEGER NOT NULL,     -- the arm: a version of the prompt; labels.version_number (the control) is always one of the arms
  weight INTEGER NOT NULL              -- percent of the traffic (units by `llmops prompt render --unit`'s rule); a label's arms sum to 100, which fsck checks
    CHECK (weight BETWEEN 1 AND 99),
  PRIMARY KEY (prompt_id, label, version_number),
  FOREIGN KEY (prompt_id, label) REFERENCES labels(prompt_id, name),
  FOREIGN KEY (prompt_id, version_number) REFERENCES versions(prompt_id, number)
) WITHOUT ROWID;
)sql"},
    // 10: the checks `llmops drift` makes, so the last statistics of each prompt can be read
    // later (`llmops metrics`) without computing them again. Insert-only.
    {R"sql(
CREATE TABLE drift_checks (            -- one row per `llmops drift` comparison (none with --no-record)
  id INTEGER PRIMARY KEY,              -- order of the checks
  prompt TEXT NOT NULL,                -- the prompt whose calls were compared
  version TEXT NOT NULL,               -- --version: only calls of this prompt version; '' for all
  model TEXT NOT NULL,                 -- --model: only calls answered by this model; '' for all
  reference_since_unix_ns INTEGER,     -- the reference window's start, Unix time in ns; NULL when open
  reference_until_unix_ns INTEGER,     -- the reference window's end (excluded), Unix ns; NULL when open
  current_since_unix_ns INTEGER,       -- the current window's start, Unix ns; NULL when open
  current_until_unix_ns INTEGER,       -- the current window's end (excluded), Unix ns; NULL when open
  reference_calls INTEGER NOT NULL,    -- calls of the prompt in the reference window
  current_calls INTEGER NOT NULL,      -- calls of the prompt in the current window
  checked_at_unix_ns INTEGER NOT NULL, -- when the check ran, Unix ns (LLMOPS_NOW when set)
  checked_at TEXT NOT NULL,            -- the same as ISO 8601 UTC with milliseconds
  statistics TEXT NOT NULL,            -- JSON array of the report's rows, as `llmops drift --json` prints `rows` (feature, statistic, value, p_value, status, ...)
  alarm INTEGER NOT NULL               -- 1 when a row alarmed (drift exited 1), else 0
    CHECK (alarm IN (0, 1))
);
CREATE INDEX drift_checks_by_prompt ON drift_checks(prompt, id);
)sql"},
    // 11: indexes for the read commands, no table changes. `prompt log` across all prompts reads
    // the newest versions first instead of sorting every version of the store (10,000 versions:
    // 18 ms of SQLite before, under 2 ms with the index); `prompt status` finds the file each
    // prompt was last committed from in a small index instead of the pages holding every
    // committed file's text. IF NOT EXISTS, so a store whose version was set back by hand migrates.
    {R"sql(
CREATE INDEX IF NOT EXISTS versions_by_time ON versions(created_at); -- `prompt log`: newest first
CREATE INDEX IF NOT EXISTS version_sources_paths ON version_sources(prompt_id, number, path); -- `prompt status`: each prompt's last committed path
)sql"},
}};

// Migration 4's step: computes the hash of every existing label history row, oldest first.
Expected<void> chain_label_history(Database& db) {
    auto rows = db.prepare(
        "SELECT h.id, coalesce(p.name, ''), h.label, h.from_number, h.to_number, h.author, "
        "h.message, h.created_at FROM label_history h LEFT JOIN prompts p ON p.id = h.prompt_id "
        "ORDER BY h.id");
    auto seal = db.prepare("UPDATE label_history SET hash = ?1 WHERE id = ?2");
    if (!rows || !seal) {
        return fail(!rows ? rows.error() : seal.error());
    }
    std::string previous;
    while (true) {
        auto row = LLMOPS_TRY(rows->step());
        if (!row) {
            return {};
        }
        const LabelEvent event{
            rows->integer(0),          rows->text(1), rows->text(2), rows->optional_integer(3),
            rows->optional_integer(4), rows->text(5), rows->text(6), rows->text(7)};
        previous = label_event_hash(previous, event);
        seal->reset();
        seal->bind(1, previous).bind(2, event.seq);
        LLMOPS_TRY(seal->run());
    }
}

} // namespace

Expected<int64_t> check_version(Database& db) {
    auto version = LLMOPS_TRY(db.user_version());
    if (version > k_schema_version) {
        return fail(ErrorCode::conflict,
                    "store '{}' has schema version {}, newer than this llmops understands ({}); "
                    "upgrade llmops",
                    db.path().string(), version, k_schema_version);
    }
    return version;
}

Expected<std::vector<std::string>> missing_tables(Database& db) {
    // Every table the migrations create (a new migration's tables are added here too).
    static constexpr std::array<std::string_view, 15> k_tables = {
        "objects", "prompts",      "versions",    "labels",   "label_history", "worktree_cache",
        "runs",    "run_variants", "results",     "run_tags", "run_leases",    "version_sources",
        "calls",   "label_splits", "drift_checks"};
    auto stmt =
        LLMOPS_TRY(db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1"));
    std::vector<std::string> missing;
    for (const auto table : k_tables) {
        stmt.reset();
        stmt.bind(1, table);
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            missing.emplace_back(table);
        }
    }
    return missing;
}

Expected<void> check_not_empty(Database& db) {
    auto version = LLMOPS_TRY(db.user_version());
    if (version == 0) {
        return fail(ErrorCode::io,
                    "store '{}' is damaged: it is empty or not an llmops store (schema version 0; "
                    "was it truncated?); restore it from a backup, or move it away and run "
                    "'llmops init'",
                    db.path().string());
    }
    return {};
}

Expected<void> check_tables(Database& db) {
    auto missing = LLMOPS_TRY(missing_tables(db));
    if (missing.empty()) {
        return {};
    }
    std::string names;
    for (const auto& table : missing) {
        names += (names.empty() ? "'" : ", '") + table + "'";
    }
    return fail(ErrorCode::io, "store '{}' is damaged: table{} {} {} missing (run 'llmops fsck')",
                db.path().string(), missing.size() == 1 ? "" : "s", names,
                missing.size() == 1 ? "is" : "are");
}

Expected<void> migrate(Database& db) {
    auto version = LLMOPS_TRY(check_version(db));
    for (int64_t v = version; v < k_schema_version; ++v) {
        auto tx = LLMOPS_TRY(Transaction::begin(db));
        // Re-read inside the write lock: another process may have migrated meanwhile.
        auto current = LLMOPS_TRY(db.user_version());
        if (current > v) {
            continue;
        }
        const Migration& migration = k_migrations[static_cast<size_t>(v)];
        LLMOPS_TRY(db.exec(migration.sql));
        if (migration.step != nullptr) {
            LLMOPS_TRY(migration.step(db));
        }
        if (!migration.after.empty()) {
            LLMOPS_TRY(db.exec(migration.after));
        }
        LLMOPS_TRY(db.exec(fmt::format("PRAGMA user_version = {}", v + 1)));
        LLMOPS_TRY(tx.commit());
    }
    return {};
}

} // namespace llmops::store
