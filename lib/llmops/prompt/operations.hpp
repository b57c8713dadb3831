#pragma once
// The prompt store's commands as library calls: commit files, load a ref, check out, diff and
// export. cmd/prompt.cpp is glue around these.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/prompt/definition.hpp>
#include <llmops/prompt/workspace.hpp>
#include <llmops/store/project.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::prompt {

// One file's commit: the version it became (or was already).
struct FileCommit {
    PromptFile file;
    store::CommitOutcome outcome;
};

// Parses every file in `files` (a file listed twice counts once) and commits them in one
// transaction; returns one entry per file, in order. Fails, writing nothing, when any file is
// invalid or two files declare the same prompt name.
Expected<std::vector<FileCommit>> commit_files(store::Database& db,
                                               const std::vector<PromptFile>& files,
                                               std::string_view message, std::string_view author);

// A version with its content and parsed definition.
struct LoadedVersion {
    store::VersionInfo version;
    std::string content;
    PromptDefinition def;
};

// Resolves `ref` and loads its content, checked against the version id. Fails as
// `PromptStore::resolve` and `PromptStore::content` do (`io` naming the prompt and version when
// the stored content does not match its hash).
Expected<LoadedVersion> load_version(store::PromptStore& prompts, std::string_view ref);

// Whether checkout may overwrite a working file whose content was never committed.
enum class Force { no, yes };

// What checkout wrote (or would write, for `-`).
struct Checkout {
    LoadedVersion loaded;
    std::optional<std::filesystem::path> path; // nothing when printing to stdout
    std::string text;
};

// Writes the version `ref` names as a prompt file: to `output` when given ("-" writes nothing
// and returns the text), else over the working file that declares the prompt, else to
// prompts/<name>.yaml. Refuses (`conflict`) to overwrite a working file holding content that no
// version of the prompt has, unless `force`: that text would be lost. Fails with `invalid_input`
// when `output` is a folder or has no prompt file extension, or when the target is Markdown and
// the version cannot be written there (a chat prompt, or a template that starts or ends with a
// line break).
Expected<Checkout> checkout(store::Database& db, const store::Project& project,
                            std::string_view ref, const std::optional<std::string>& output,
                            Force force);

// One side of a prompt diff: a stored version or a working file, written as a prompt file.
struct DiffSide {
    std::string label;
    std::optional<store::VersionInfo> version;
    std::string text;
};

// The two sides of `prompt diff`: `from` and `to` refs, or `from` against the working file that
// declares the same prompt when `to` is absent. Fails as `load_version` does, with the parse
// error of the file at the prompt's implied path when that file is invalid, or with `not_found`
// when no working file declares the prompt.
Expected<std::pair<DiffSide, DiffSide>> diff_sides(store::Database& db,
                                                   const store::Project& project,
                                                   std::string_view from,
                                                   const std::optional<std::string>& to);

// The versions `prompt export` ships: per prompt, the one `label` points at (latest when
// absent). Prompts without the label are left out and named in `skipped`.
Expected<std::vector<LoadedVersion>> export_versions(store::PromptStore& prompts,
                                                     const std::optional<std::string>& label,
                                                     std::vector<std::string>& skipped);

// One arm of a label as apps are given it: its version, id and weight (percent), and the
// version's canonical content.
struct WeightedVersion {
    store::LabelArm arm;
    std::string content;
};

// The arms of `label` of prompt `name`: a split label's arms by version number, or its one version
// at weight 100; contents checked against their ids. Fails with `not_found` when the prompt has
// no such label (naming the labels it has), as `PromptStore::content` does otherwise.
Expected<std::vector<WeightedVersion>> label_weights(store::PromptStore& prompts,
                                                     std::string_view name, std::string_view label);

// Which arm a unit got (`prompt render --unit`).
struct Assignment {
    std::string unit;
    std::string label;
    uint64_t bucket = 0;
    store::LabelArm arm;
    std::vector<store::LabelArm> weights; // every arm of the label (one at 100 when not split)
};

// Resolves `ref` (`name@label`) for `unit` by the assignment rule (assign.hpp) and loads the
// version of the arm it falls in. Fails with `invalid_input` when `ref` names no label (a number,
// a hash or latest: nothing to assign), `not_found` for an unknown prompt or label.
Expected<std::pair<LoadedVersion, Assignment>>
load_for_unit(store::PromptStore& prompts, std::string_view ref, std::string_view unit);

} // namespace llmops::prompt
