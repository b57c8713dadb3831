#include <llmops/remote/schema.hpp>

#include <string>

#include <fmt/format.h>

namespace llmops::remote {

namespace {

// Migration N takes the schema from version N-1 to N. Every column is commented, as the SQLite
// store's are; the tables mirror it (store/schema.cpp) without the worktree cache.
constexpr const char* k_migrations[] = {
    // 1: the prompt history: objects, prompts, versions, labels and their history and splits, and
    // the view apps read.
    R"sql(
CREATE TABLE llmops.objects (           -- content-addressed prompt versions, immutable
  id text PRIMARY KEY,                  -- SHA-256 of content (the version id)
  content text NOT NULL                 -- canonical JSON of the version
);
CREATE TABLE llmops.prompts (           -- one row per prompt name
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,            -- support/triage
  created_at text NOT NULL              -- ISO 8601 UTC of its first version
);
CREATE TABLE llmops.versions (          -- the numbered history of each prompt, as the remote numbers it
  prompt_id bigint NOT NULL REFERENCES llmops.prompts(id),
  number integer NOT NULL,              -- 1, 2, ... per prompt
  object_id text NOT NULL REFERENCES llmops.objects(id), -- the content
  parent_id text,                       -- the version id of number-1
  message text NOT NULL,                -- the commit message
  author text NOT NULL,                 -- who committed it
  created_at text NOT NULL,             -- ISO 8601 UTC
  PRIMARY KEY (prompt_id, number)
);
CREATE TABLE llmops.labels (            -- where each label points now
  prompt_id bigint NOT NULL REFERENCES llmops.prompts(id),
  name text NOT NULL,                   -- production, staging, ...
  version_number integer NOT NULL,      -- versions.number
  updated_at text NOT NULL,             -- ISO 8601 UTC of the last move
  PRIMARY KEY (prompt_id, name),
  FOREIGN KEY (prompt_id, version_number) REFERENCES llmops.versions(prompt_id, number)
);
CREATE TABLE llmops.label_history (     -- append-only audit trail of label moves and removals
  id bigserial PRIMARY KEY,             -- order of events across the remote
  prompt_id bigint NOT NULL REFERENCES llmops.prompts(id),
  label text NOT NULL,
  from_number integer,                  -- NULL when the label was created
  to_number integer,                    -- NULL when the label was removed
  author text NOT NULL,
  message text NOT NULL,
  created_at text NOT NULL,             -- ISO 8601 UTC
  split text                            -- the split after the event as {"number": weight}; NULL when whole
);
CREATE TABLE llmops.label_splits (      -- the arms of split labels (A/B tests)
  prompt_id bigint NOT NULL,
  label text NOT NULL,
  version_number integer NOT NULL,      -- an arm's version
  weight integer NOT NULL,              -- its percent of the traffic
  PRIMARY KEY (prompt_id, label, version_number),
  FOREIGN KEY (prompt_id, label) REFERENCES llmops.labels(prompt_id, name) ON DELETE CASCADE
);
-- Objects, versions and the label history are immutable, as in the SQLite store.
CREATE FUNCTION llmops.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'llmops: % rows are immutable', TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
CREATE TRIGGER objects_immutable BEFORE UPDATE OR DELETE ON llmops.objects
  FOR EACH ROW EXECUTE FUNCTION llmops.refuse_change();
CREATE TRIGGER versions_immutable BEFORE UPDATE OR DELETE ON llmops.versions
  FOR EACH ROW EXECUTE FUNCTION llmops.refuse_change();
CREATE TRIGGER label_history_immutable BEFORE UPDATE OR DELETE ON llmops.label_history
  FOR EACH ROW EXECUTE FUNCTION llmops.refuse_change();
-- What apps read (docs/teams.md): each label of each prompt with its version's content.
CREATE VIEW llmops.current_prompts AS
  SELECT p.name, l.name AS label, l.version_number AS version, v.object_id AS version_id,
         o.content::json AS content, l.updated_at
  FROM llmops.labels l
  JOIN llmops.prompts p ON p.id = l.prompt_id
  JOIN llmops.versions v ON v.prompt_id = l.prompt_id AND v.number = l.version_number
  JOIN llmops.objects o ON o.id = v.object_id;
)sql",
    // 2: runs and their results, pushed whole (a run and its results in one transaction).
    R"sql(
CREATE TABLE llmops.runs (              -- eval runs pushed from the team's stores
  id bigserial PRIMARY KEY,             -- the remote's run number (origin/12)
  uid text NOT NULL UNIQUE,             -- the run's identity in every store (store::run_uid)
  suite_path text NOT NULL,             -- the suite file as given
  suite_hash text NOT NULL,             -- SHA-256 of the suite file's bytes
  dataset_hash text NOT NULL,           -- SHA-256 of the canonical JSON of every case
  description text NOT NULL,            -- the suite's description
  provenance text NOT NULL,             -- JSON: llmops version, git commit, command line, ...
  status text NOT NULL,                 -- complete, interrupted or failed (running runs are not pushed)
  started_at text NOT NULL,             -- ISO 8601 UTC
  ended_at text,                        -- ISO 8601 UTC
  summary text,                         -- JSON per-variant summary
  pushed_at timestamptz NOT NULL DEFAULT now() -- when it arrived here
);
CREATE TABLE llmops.run_variants (      -- the (prompt version, provider config) pairs of a run
  run_id bigint NOT NULL REFERENCES llmops.runs(id) ON DELETE CASCADE,
  idx integer NOT NULL,                 -- 0-based position
  label text NOT NULL,                  -- 'triage@3 | openai:gpt-4o-mini'
  prompt_label text NOT NULL,           -- the prompt as the suite names it
  prompt_version_id text NOT NULL,      -- the content's version id
  provider_id text NOT NULL,            -- 'openai:gpt-4o-mini'
  provider_label text NOT NULL,         -- the provider's label
  provider_config text NOT NULL,        -- JSON config without secrets
  PRIMARY KEY (run_id, idx)
);
CREATE TABLE llmops.results (           -- one row per (variant, case, repeat), as in the SQLite store
  run_id bigint NOT NULL REFERENCES llmops.runs(id) ON DELETE CASCADE,
  variant integer NOT NULL,
  case_id text NOT NULL,
  repeat integer NOT NULL,
  case_index integer NOT NULL,
  status text NOT NULL,                 -- pass, fail or error
  score double precision,               -- NULL for errors
  reason text NOT NULL,
  output text,                          -- NULL when the call failed
  assertions text NOT NULL,             -- JSON list of assertion results
  vars text NOT NULL,                   -- JSON object of the case's variables
  prompt text NOT NULL,                 -- the rendered messages as JSON
  description text NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cached_input_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  tokens_estimated boolean NOT NULL,
  cost_usd double precision,            -- NULL when unpriced
  latency_ms double precision NOT NULL,
  first_token_ms double precision,
  cached boolean NOT NULL,
  finish_reason text NOT NULL,
  created_at text NOT NULL,             -- ISO 8601 UTC time it was stored
  judge_calls bigint NOT NULL,
  judge_input_tokens bigint NOT NULL,
  judge_output_tokens bigint NOT NULL,
  judge_cost_usd double precision,      -- NULL when the judge model is unpriced
  judge_spent_usd double precision NOT NULL,
  PRIMARY KEY (run_id, variant, case_id, repeat)
);
)sql",
};

constexpr int k_migration_count = static_cast<int>(std::size(k_migrations));
static_assert(k_migration_count == k_remote_schema_version);

// The schema version the remote holds: 0 when it has no llmops schema.
Expected<int> read_version(PgConnection& conn) {
    auto exists = LLMOPS_TRY(
        conn.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'llmops' "
                   "AND table_name = 'meta'"));
    if (exists.rows() == 0) {
        return 0;
    }
    auto row = LLMOPS_TRY(conn.query("SELECT value FROM llmops.meta WHERE key = 'schema_version'"));
    if (row.rows() == 0) {
        return 0;
    }
    return static_cast<int>(row.integer(0, 0));
}

Error newer(const PgConnection& conn, int version) {
    return Error(ErrorCode::conflict,
                 fmt::format("{} holds llmops schema {}, newer than this llmops knows ({}): "
                             "upgrade llmops",
                             conn.describe(), version, k_remote_schema_version));
}

} // namespace

Expected<int> init_schema(PgConnection& conn) {
    auto tx = LLMOPS_TRY(PgTransaction::begin(conn));
    // One initializer at a time, and none while a push writes (sync takes the same lock).
    LLMOPS_TRY(conn.execute("SELECT pg_advisory_xact_lock(7135001)"));
    const int found = LLMOPS_TRY(read_version(conn));
    if (found > k_remote_schema_version) {
        return std::unexpected(newer(conn, found));
    }
    if (found == 0) {
        LLMOPS_TRY(conn.execute("CREATE SCHEMA IF NOT EXISTS llmops"));
        LLMOPS_TRY(conn.execute("CREATE TABLE llmops.meta (key text PRIMARY KEY, "
                                "value text NOT NULL)"));
    }
    for (int v = found; v < k_remote_schema_version; ++v) {
        LLMOPS_TRY(conn.execute_script(k_migrations[v]));
    }
    LLMOPS_TRY(conn.execute("INSERT INTO llmops.meta(key, value) VALUES ('schema_version', $1) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            {std::to_string(k_remote_schema_version)}));
    LLMOPS_TRY(tx.commit());
    return found;
}

Expected<void> check_schema(PgConnection& conn) {
    const int version = LLMOPS_TRY(read_version(conn));
    if (version == 0) {
        return fail(ErrorCode::not_found,
                    "{} has no llmops schema: create it with `llmops remote init`",
                    conn.describe());
    }
    if (version > k_remote_schema_version) {
        return std::unexpected(newer(conn, version));
    }
    if (version < k_remote_schema_version) {
        return fail(ErrorCode::conflict,
                    "{} holds llmops schema {}, older than this llmops ({}): migrate it with "
                    "`llmops remote init`",
                    conn.describe(), version, k_remote_schema_version);
    }
    return {};
}

} // namespace llmops::remote
