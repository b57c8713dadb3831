#pragma once
// Output of the prompt store's commands, as terminal text and as stable JSON (the shapes are
// documented in docs/commands.md; change them only by adding fields).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/prompt/definition.hpp>
#include <llmops/prompt/operations.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/prompt/workspace.hpp>
#include <llmops/store/bundle.hpp>
#include <llmops/store/fsck.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

// Whether terminal text may carry ANSI colour.
enum class Colour { off, on };

// `text` in colour `c` when `colour` is on (util::paint for report::Colour).
std::string paint(std::string_view text, util::Colour c, Colour colour);

// What `prompt commit` did: one outcome per file committed or found unchanged.
std::string commit_text(const std::vector<prompt::FileCommit>& commits);
std::string commit_json(const std::vector<prompt::FileCommit>& commits);

std::string status_text(const prompt::WorkspaceStatus& status, Colour colour);
std::string status_json(const prompt::WorkspaceStatus& status);

std::string list_text(const std::vector<store::PromptSummary>& prompts);
std::string list_json(const std::vector<store::PromptSummary>& prompts);

// `labels` are every label of the prompts in `versions`, to mark the versions they point at.
std::string log_text(const std::vector<store::VersionInfo>& versions,
                     const std::vector<store::LabelInfo>& labels, Colour colour);
std::string log_json(const std::vector<store::VersionInfo>& versions,
                     const std::vector<store::LabelInfo>& labels);

std::string show_text(const store::VersionInfo& version, const prompt::PromptDefinition& def,
                      const std::vector<store::LabelInfo>& labels, Colour colour);
std::string show_json(const store::VersionInfo& version, const std::string& content,
                      const std::vector<store::LabelInfo>& labels);

// `diff` is the unified diff of the two sides' texts.
std::string diff_json(const prompt::DiffSide& from, const prompt::DiffSide& to,
                      const std::string& diff);

// `prompt label list`: each label with its version, or its arms and weights when split.
std::string labels_text(const std::vector<store::LabelInfo>& labels);
std::string labels_json(const std::vector<store::LabelInfo>& labels);

std::string label_history_text(const std::vector<store::LabelEvent>& events);
std::string label_history_json(const std::vector<store::LabelEvent>& events);
std::string label_event_text(const store::LabelEvent& event);

std::string fsck_text(const store::FsckReport& report);
std::string fsck_json(const store::FsckReport& report);

// `label` is the label exported, or nothing for latest. With a label, each prompt carries its
// `weights` (from `weights`, by prompt name: every arm's version, id, weight and content) and
// the document names the assignment rule.
std::string
export_json(const std::vector<prompt::LoadedVersion>& entries,
            const std::optional<std::string>& label,
            const std::map<std::string, std::vector<prompt::WeightedVersion>>& weights = {});

// The words of a merge report: `prompt import`'s name the bundle, `push` and `pull` the remote.
struct MergeWords {
    std::string theirs;  // "the bundle's": the source's versions, what a conflict could take
    std::string here;    // "here": where the destination's side of a conflict is
    std::string there;   // "in the bundle": where the source's side is
    std::string summary; // "imported 'b.json'": the last line's start
    std::string advice;  // what to do about a conflict, instead of taking the source's side
};

// What a merge changed (prompts, versions, labels) and its label conflicts, in `words`.
std::string merge_text(const store::ImportReport& report, const MergeWords& words);

// What `prompt import` merged from the bundle `file`, and its label conflicts.
std::string import_text(const store::ImportReport& report, const std::string& file);
std::string import_json(const store::ImportReport& report, const std::string& file);

// Output formats of `prompt render`.
enum class RenderFormat { text, json, openai };
// With an `assignment` (`--unit`), the JSON says which arm the unit got, and the label's weights.
std::string render_output(const store::VersionInfo& version, const prompt::PromptDefinition& def,
                          const prompt::RenderedPrompt& rendered, RenderFormat format,
                          const prompt::Assignment* assignment = nullptr);

// A label's split for people: "@2 90%, @3 10%".
std::string split_text(const std::vector<store::LabelArm>& arms);

} // namespace llmops::report
