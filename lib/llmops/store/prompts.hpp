#pragma once
// The prompt store: immutable content-addressed versions, per-prompt version numbers, movable
// labels with an append-only history, and ref resolution. Content is opaque canonical JSON here;
// the prompt module gives it meaning.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/store/database.hpp>

namespace llmops::store {

// One commit of one prompt.
struct VersionInfo {
    std::string name;                     // prompt name
    int64_t number = 0;                   // per-prompt version number, from 1
    std::string id;                       // SHA-256 of the content: the version id
    std::optional<std::string> parent_id; // id of version number-1
    std::string message;
    std::string author;
    std::string created_at; // ISO 8601 UTC
};

// One arm of a split label (an A/B test): a version and its share of the label's traffic.
struct LabelArm {
    int64_t number = 0;  // the version number
    int64_t weight = 0;  // percent of the traffic: 1..99 in a split
    std::string id = {}; // the version id, where the read knows it ('' otherwise)

    bool operator==(const LabelArm&) const = default;
};

// Where a label points now.
struct LabelInfo {
    std::string prompt;
    std::string label;
    int64_t number = 0;
    std::string id;
    std::string updated_at;
    // The arms when the label splits its traffic (by version number, `number` among them, ids
    // filled); empty when it sends everything to `number`.
    std::vector<LabelArm> split = {};
};

// One entry of the label history: a creation, a move, a removal or a change of weights.
struct LabelEvent {
    int64_t seq = 0; // order of events across the store
    std::string prompt;
    std::string label;
    std::optional<int64_t> from; // absent when the label was created
    std::optional<int64_t> to;   // absent when the label was removed
    std::string author;
    std::string message;
    std::string created_at;
    // The label's split after the event (arms by version number, ids not filled); empty when it
    // sends all traffic to `to`. A weight change that keeps the label's own version has
    // from == to.
    std::vector<LabelArm> split = {};
};

// A prompt and its newest version.
struct PromptSummary {
    std::string name;
    int64_t versions = 0;
    std::string latest_id;
    std::string updated_at;
    std::vector<std::pair<std::string, int64_t>> labels;      // label -> version number
    std::map<std::string, std::vector<LabelArm>> splits = {}; // label -> arms, for split labels
};

// A request to commit `content` (canonical JSON whose SHA-256 is `id`) as the next version of
// `name`.
struct CommitRequest {
    std::string name;
    std::string id;
    std::string content;
    std::string message;
    std::string author;
    // The file the content was read from, byte for byte, and its kind ("yaml" or "markdown"):
    // kept beside the version for checkout (empty format: none).
    std::string source_text = {};
    std::string source_format = {};
    std::string source_path = {}; // relative to the project root
};

// The committed file of a version (CommitRequest::source_text).
struct VersionSource {
    std::string format; // "yaml" or "markdown"
    std::string text;
    std::string path; // relative to the project root
};

// What a commit did: `created` is false when the content equals the latest version (a no-op).
struct CommitOutcome {
    VersionInfo version;
    bool created = false;
};

// True when `name` is a valid prompt name: segments of [a-z0-9._-] joined by '/', no empty
// segment, no segment made only of dots, at most 200 characters.
bool is_valid_prompt_name(std::string_view name);

// True when `label` may be set by a user: [a-z0-9._-]+, at most 100 characters, not `latest`
// (reserved), and not shaped like a version number (`3`, `v3`).
bool is_valid_label(std::string_view label);

// Splits `ref` at its last '@' into a prompt name and a version spec (empty when absent).
std::pair<std::string, std::string> split_ref(std::string_view ref);

// A split as the store keeps it (label_history.split): the canonical JSON object
// {"<version number>": weight, ...}, e.g. {"2":90,"3":10}. Ids are not part of it.
std::string split_json(const std::vector<LabelArm>& arms);

// Reads `split_json`'s text back, arms by version number; nullopt when it is not such an object
// (non-integer or duplicate keys, weights outside 1..99, fewer than two arms, a sum other than
// 100).
std::optional<std::vector<LabelArm>> parse_split(std::string_view text);

// The hash that seals one label history row to the row before it: the SHA-256 (lowercase hex)
// of the canonical JSON array [`previous`, prompt, label, from, to, author, message, created_at]
// of `event` (from and to are numbers or null; `seq` is not part of it), with `split_json` of its
// split appended as a ninth element (a string) when the event has one (schema 9; rows without a
// split hash as they always did). `previous` is the hash of the row with the next lower id in
// the whole table, '' for the first row. fsck recomputes the chain, so an edited, inserted or
// deleted row shows.
std::string label_event_hash(std::string_view previous, const LabelEvent& event);

// Appends `event` to the label history of prompt `prompt_id` (its internal id), chained to the
// newest row, and sets `event.seq` to the new row's id. The caller holds a write transaction, so
// the end of the chain cannot move meanwhile. Every writer of label history goes through this.
// Fails with `io`.
Expected<void> append_label_event(Database& db, int64_t prompt_id, LabelEvent& event);

class PromptStore {
public:
    explicit PromptStore(Database& db) : m_db(&db) {}

    // Commits every request in one transaction, in order. A request whose content equals its
    // prompt's latest version is a no-op (`created` false). Fails with `invalid_input` for a bad
    // name or an id that is not the SHA-256 of the content, `io` on database failure; nothing is
    // written on failure.
    Expected<std::vector<CommitOutcome>> commit(const std::vector<CommitRequest>& requests);

    // Resolves `ref` (`name`, `name@latest`, `name@3`, `name@v3`, `name@<label>`,
    // `name@<6+ hex of the id>`). Fails with `not_found` for an unknown prompt or version (with
    // the candidates or a did-you-mean), `conflict` for an ambiguous hash prefix (listing them).
    Expected<VersionInfo> resolve(std::string_view ref);

    // Returns the canonical JSON content of `version`, checked against its id (hashing only this
    // object, so reads stay cheap). Fails with `not_found` when the object is missing, and with
    // `io` naming the prompt and version when the stored content does not hash to its id (the
    // store was edited outside llmops).
    Expected<std::string> content(const VersionInfo& version);

    // The file `version` was committed from, when it was kept (versions committed before the
    // store kept them, imported from bundles or committed by llmops itself have none).
    Expected<std::optional<VersionSource>> source(const VersionInfo& version);

    // For every prompt with a kept file, the path of its newest one: (prompt name, path), by name.
    Expected<std::vector<std::pair<std::string, std::string>>> latest_source_paths();

    // Returns the latest version of `name`, or nothing when the prompt does not exist.
    Expected<std::optional<VersionInfo>> latest(std::string_view name);

    // Returns the versions of `name` (every prompt when absent), newest first.
    Expected<std::vector<VersionInfo>> log(const std::optional<std::string>& name,
                                           std::optional<int64_t> limit = std::nullopt);

    // Returns every prompt with its newest version and labels, by name. Fails with `io` when
    // the store is damaged in a way that would make the list lie: a prompt without versions, or
    // versions without prompts (an empty list always means an empty store).
    Expected<std::vector<PromptSummary>> list();

    // Returns the labels of `name` (every prompt when absent), by prompt then label.
    Expected<std::vector<LabelInfo>> labels(const std::optional<std::string>& name);

    // Points `label` of `version.name` at `version`, recording the move in the history; a split
    // label stops being split (all traffic to `version`). Fails with `invalid_input` for a bad or
    // reserved label name. Returns the recorded event, or nothing when the label already pointed
    // there, unsplit.
    Expected<std::optional<LabelEvent>> set_label(const VersionInfo& version,
                                                  std::string_view label, std::string_view author,
                                                  std::string_view message);

    // Changes the weight of `version` in `label`'s traffic split (SPEC §14), recording the new
    // split in the history. The label's own version (the control) takes what the other arms
    // leave: `weight` 10 for a new version makes the label 90/10. On the control itself, a weight
    // sets the one other arm to the rest. `weight` 0 removes an arm (removing the control hands
    // the label to the one other arm); 100 moves the label wholly to `version`, as `set_label`.
    // A split with one arm left is no split. Fails with `invalid_input` for a weight outside
    // 0..100, a label that does not exist yet (set it first), an arm that is not one, or weights
    // that would leave the control nothing. Returns the event, or nothing when nothing changed.
    Expected<std::optional<LabelEvent>> set_label_weight(const VersionInfo& version,
                                                         std::string_view label, int64_t weight,
                                                         std::string_view author,
                                                         std::string_view message);

    // Removes `label` from prompt `name`, recording the removal. Fails with `not_found` when the
    // prompt or the label does not exist (listing the labels it has).
    Expected<LabelEvent> remove_label(std::string_view name, std::string_view label,
                                      std::string_view author, std::string_view message);

    // Returns the label history of `name` (every prompt when absent), oldest first.
    Expected<std::vector<LabelEvent>> label_history(const std::optional<std::string>& name);

    // Returns every prompt name, sorted.
    Expected<std::vector<std::string>> names();

    // The worktree cache: the (name, version id) a file's bytes parsed to before, keyed by the
    // SHA-256 of its default name and bytes. Lookups that miss return nothing.
    Expected<std::optional<std::pair<std::string, std::string>>> cached_parse(std::string_view key);
    Expected<void> remember_parse(std::string_view key, std::string_view name, std::string_view id);

private:
    // Writes the label's new position and split and appends its event (in the caller's
    // transaction).
    Expected<LabelEvent> write_label(int64_t prompt_id, const VersionInfo& version,
                                     std::string_view label, std::optional<int64_t> from,
                                     std::vector<LabelArm> split, std::string_view author,
                                     std::string_view message);
    // The arms of a split label (by version number, ids not filled), empty when not split.
    Expected<std::vector<LabelArm>> split_of(int64_t prompt_id, std::string_view label);
    // An `io` error saying the store is damaged (`what`), pointing at fsck.
    Error damaged(std::string_view what) const;
    Expected<int64_t> prompt_id(std::string_view name);
    // `spec` is the version as the user wrote it (`v3`), for the error message.
    Expected<VersionInfo> version_by_number(std::string_view name, int64_t number,
                                            std::string_view spec = {});
    Expected<VersionInfo> resolve_spec(std::string_view name, std::string_view spec);
    Expected<std::string> describe_candidates(std::string_view name);

    Database* m_db;
    // Prepared once: status looks up one cache row per prompt file.
    std::optional<Statement> m_cache_get;
    std::optional<Statement> m_cache_put;
};

} // namespace llmops::store
