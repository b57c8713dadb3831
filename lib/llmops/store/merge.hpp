#pragma once
// Merging one store's prompt history into another's, as a plan (pure: no database). The rules
// are the bundle's (bundle.hpp): versions merge by content hash, labels fast-forward or conflict.
// `import_bundle` applies a plan to this SQLite store; a remote store (remote/) applies the same
// plan to its own database, so both ends of a push or pull merge by one algorithm.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <llmops/store/bundle.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::store {

// A label the merge moves, in the destination's numbers.
struct LabelMerge {
    std::string label;
    std::optional<int64_t> before;  // where it pointed (absent: it did not exist)
    std::vector<LabelEvent> events; // to append to its history, oldest first (seq 0)
    std::optional<int64_t> after;   // where it points after them (absent: removed)
    std::vector<LabelArm> split;    // its split after them (empty: whole)
    std::string updated_at;         // the last event's time
};

// What merging one prompt writes to the destination.
struct PromptMerge {
    PromptImport report;                   // name, created, diverged, added, labels
    std::vector<VersionInfo> new_versions; // to insert, numbered and parented in the destination
    std::vector<LabelMerge> labels;
};

struct MergePlan {
    std::vector<PromptMerge> prompts;
    std::vector<LabelConflict> conflicts;
};

// Plans merging prompt `theirs` into the destination, which holds `ours` of the same name (null
// when it has no such prompt). `ours` lists the destination's versions 1..n, history and labels
// as `make_bundle` reads them (object contents are not needed). Conflicts are appended to
// `conflicts`.
PromptMerge plan_prompt_merge(const BundlePrompt* ours, const BundlePrompt& theirs,
                              std::vector<LabelConflict>& conflicts);

// Plans merging every prompt of `theirs` into a destination holding `ours` (by name).
MergePlan plan_merge(const std::vector<BundlePrompt>& ours, const Bundle& theirs);

} // namespace llmops::store
