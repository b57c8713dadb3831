#pragma once
// Prompt bundles (SPEC §3): sharing a prompt store without a server. A bundle is one JSON file
// holding objects, versions, labels and label history; importing one merges it into this store.
//
// Merging, per prompt:
// - Versions merge by content hash. When this store's history is a prefix of the bundle's, the
//   bundle's newer versions are appended with their own numbers, messages, authors and times.
//   When the histories diverged, bundle versions whose content this store lacks are appended
//   after this store's newest version (new numbers; the report says so).
// - A label's history is compared event by event (versions by id, so renumbering does not
//   matter). When this store's history of the label is a prefix of the bundle's, the bundle's
//   later events are appended and the label moves (a fast-forward). When the bundle's is a prefix
//   of ours, nothing changes. When both moved the label since they shared a history and the
//   label now points at different content, that is a conflict: reported by name, never
//   overwritten. When both point at the same content, there is nothing to merge. Once one side
//   took the other's version (a conflict settled), the bundle's later moves fast-forward again:
//   they are replayed from its last event that left the label where ours is (store/merge.hpp).
// Importing the same bundle twice changes nothing the second time.
//
// Label weights (A/B splits) travel with the history: an event that changed them carries the
// split it left, compared like the rest of the event (by version id), and a fast-forward leaves
// the label split as the bundle's last event says.
//
// A bundle carries no label history hashes: the chain (see `label_event_hash`) is each store's
// own seal, and imported events are chained to the end of this store's history as they are
// appended.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/store/database.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::store {

struct BundleEvent {
    std::string label;
    std::optional<int64_t> from; // version numbers as numbered in the bundle
    std::optional<int64_t> to;
    std::string author;
    std::string message;
    std::string created_at;
    // The label's traffic split after the event (LabelEvent::split), in the bundle's numbers;
    // empty when the label is whole. Written as `"split": {"2": 90, "3": 10}` only when present.
    std::vector<LabelArm> split = {};
};

struct BundlePrompt {
    std::string name;
    std::vector<VersionInfo> versions;     // numbers 1..n in order
    std::vector<BundleEvent> history;      // oldest first
    std::map<std::string, int64_t> labels; // where each label points (the history's end)
};

struct Bundle {
    std::map<std::string, std::string> objects; // version id -> canonical JSON content
    std::vector<BundlePrompt> prompts;          // by name
};

// Reads `names` (every prompt when empty) from the store. Fails with `not_found` for an unknown
// name, `io` on database failure or when a version's stored content does not match its hash.
Expected<Bundle> make_bundle(PromptStore& prompts, const std::vector<std::string>& names);

// The bundle as JSON text: deterministic (no time stamp, keys sorted), so a bundle committed to a
// repository changes only when the store did.
std::string bundle_json(const Bundle& bundle);

// Parses and checks a bundle read from `name`: every object's id is the SHA-256 of its content,
// names and labels are valid, versions are numbered 1..n with their parents, labels and events
// point at existing versions, and each label's history ends where the label points. Fails with
// `invalid_input` naming the file and the place (`prompts[2].versions[0].id`).
Expected<Bundle> parse_bundle(std::string_view text, std::string_view name);

// Checks one prompt of a bundle against itself (versions numbered 1..n with their parents, label
// history replaying to its labels) and, when `bundle` is given, against its objects. Fails with
// `invalid_input` naming `origin` and `path` (`prompts[2].versions[0].number`). A remote's history
// is checked with it before it is merged.
Expected<void> check_bundle_prompt(const BundlePrompt& p, const Bundle* bundle,
                                   std::string_view origin, const std::string& path);

// A version the import added: its number in the bundle and here.
struct ImportedVersion {
    int64_t bundle_number = 0;
    int64_t number = 0;
    std::string id;
};

// A label the import moved (created, moved or removed), in this store's numbers.
struct ImportedLabel {
    std::string label;
    std::optional<int64_t> from;
    std::optional<int64_t> to;
};

// A label that moved on both sides to different content.
struct LabelConflict {
    std::string prompt;
    std::string label;
    std::optional<VersionInfo> here;   // where it points in this store (absent: removed)
    std::optional<VersionInfo> bundle; // where the bundle has it, as a version of this store
};

struct PromptImport {
    std::string name;
    bool created = false;  // the prompt did not exist here
    bool diverged = false; // both sides committed since they shared a history
    std::vector<ImportedVersion> added;
    std::vector<ImportedLabel> labels;
};

struct ImportReport {
    std::vector<PromptImport> prompts;
    std::vector<LabelConflict> conflicts;
    bool dry_run = false;
};

// Merges `bundle` into the store in one transaction (none is committed when `dry_run`).
// Conflicting labels are left as they are and listed in the report; everything else is merged.
// Fails with `io` on database failure, with nothing written.
Expected<ImportReport> import_bundle(Database& db, const Bundle& bundle, bool dry_run);

} // namespace llmops::store
