#pragma once
// Push and pull of prompt history between this store and a remote (SPEC §16). Both merge by the
// bundle's rules (store/merge.hpp: versions by content hash, labels fast-forwarded or reported as
// conflicts, never overwritten), one plan applied to whichever side receives. A push is one
// transaction on the remote under an advisory lock, so a push killed half-way leaves nothing and
// is simply repeated; a pull is one transaction here.

#include <llmops/remote/pg.hpp>
#include <llmops/store/bundle.hpp>
#include <llmops/store/database.hpp>

namespace llmops::remote {

// The advisory lock every writer of a remote takes for its transaction (pushes, label moves,
// `remote init`): writers queue instead of interleaving.
inline constexpr int64_t k_write_lock = 7135001;

// Rows per INSERT statement: one JSON parameter each, so one round trip per batch.
inline constexpr size_t k_batch_rows = 1000;

// Sends the prompt history the remote lacks. Returns what the remote merged, conflicts included
// (labels moved on both sides: left as they are, listed). Fails with `network` when the remote
// drops (nothing is written), `conflict` when the role may not write.
Expected<store::ImportReport> push_prompts(store::Database& db, PgConnection& conn);

// Brings the remote's prompt history here; every object read is checked against its id.
// Returns what this store merged. Fails with `network` (nothing is written), `io` when an object
// does not match its id.
Expected<store::ImportReport> pull_prompts(store::Database& db, PgConnection& conn);

// The remote's prompt history as bundle prompts (objects not read), by name.
Expected<std::vector<store::BundlePrompt>> read_remote_history(PgConnection& conn);

} // namespace llmops::remote
