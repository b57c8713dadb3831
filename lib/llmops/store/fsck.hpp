#pragma once
// `llmops fsck`: checks that the store is what it claims to be.

#include <string>
#include <vector>

#include <llmops/store/database.hpp>

namespace llmops::store {

// One fault found by fsck: what kind, which object or ref, and a sentence.
struct FsckProblem {
    std::string kind; // e.g. "hash-mismatch", "missing-object", "label-history", "history-chain",
                      // "label-split"
    std::string subject; // the damaged object id, prompt@version or prompt:label
    std::string message; // what is wrong, lowercase, no full stop
};

// Re-hashes every object, checks that its content is canonical JSON (a damaged object is named
// by its id and by the prompt versions that use it), that every version's object and parent
// exist and the numbering has no gaps, that every label points at a version and agrees with the
// end of its history, that every split label's weights (schema 9) sum to 100 over versions that
// exist, its own version among them, and are where its history ends, that the label history's
// hash chain is whole (naming the first row of each
// break: an edited, inserted or deleted row), that every table exists (when one is missing, only
// SQLite's checks run besides), and SQLite's own integrity and foreign key checks. Returns the
// faults found (empty when the store is sound). Fails with `io` only when the store cannot be
// read at all. Also returns how many objects, versions and labels it checked.
struct FsckReport {
    std::vector<FsckProblem> problems;
    int64_t objects = 0;
    int64_t versions = 0;
    int64_t labels = 0;
    int64_t label_events = 0;
};
Expected<FsckReport> fsck(Database& db);

} // namespace llmops::store
