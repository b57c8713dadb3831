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

// Moving a label on the remote by compare-and-set (`prompt label set --remote`).
struct LabelMove {
    std::string prompt;
    std::string label;
    std::string version_id;                 // where to point it: a version the remote has
    std::optional<std::string> expected_id; // where the mover believes it points (none: absent)
    std::string author;
    std::string message;
    std::string created_at; // ISO 8601 UTC
};

// A move of the label the mover did not know of: the remote's last event of it.
struct ConcurrentMove {
    std::optional<int64_t> to; // where it left the label, in the remote's numbers
    std::string version_id;    // that version's id ('' when removed)
    std::string author;
    std::string created_at;
};

struct LabelMoveResult {
    bool moved = false;          // false: already there, or a concurrent move
    std::optional<int64_t> from; // the remote's numbers
    std::optional<int64_t> to;
    std::optional<ConcurrentMove> concurrent; // set when refused
};

// Points the remote's label at `move.version_id` in one transaction with its history row, if it
// still points where `move.expected_id` says; otherwise changes nothing and names the move that
// came between (a rejected non-fast-forward push). Fails with `not_found` when the remote lacks
// the prompt or version ("push first"), `conflict` when the role may not write.
Expected<LabelMoveResult> move_remote_label(PgConnection& conn, const LabelMove& move);

// A store in memory holding the remote's prompt history, read in one snapshot: what `prompt
// render --remote` and `prompt export --remote` read, through the same code as a local store.
// With `names`, only those prompts and the prompts their versions use as partials (so rendering
// one prompt reads one prompt); every prompt when null. Every object is checked against its id.
// Fails as `pull_prompts` does.
Expected<store::Database> snapshot_prompts(PgConnection& conn,
                                           const std::vector<std::string>* names = nullptr);

// The remote's prompt history as bundle prompts (objects not read), by name.
Expected<std::vector<store::BundlePrompt>>
read_remote_history(PgConnection& conn, const std::vector<std::string>* names = nullptr);

} // namespace llmops::remote
