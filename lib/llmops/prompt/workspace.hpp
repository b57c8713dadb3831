#pragma once
// The working tree: prompt files under `prompts/` compared with the store, like `git status`.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <llmops/prompt/definition.hpp>
#include <llmops/store/project.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::prompt {

// A prompt file in the working tree.
struct PromptFile {
    std::filesystem::path path; // absolute
    std::string display;        // relative to the project root, for messages
    std::string default_name;   // path under prompts/ without extension (or the file's stem)
    FileFormat format = FileFormat::yaml;
};

// Lists every prompt file under the project's `prompts/` (recursively, skipping hidden entries
// and files of other extensions), sorted by path. No `prompts/` folder is an empty list.
Expected<std::vector<PromptFile>> list_prompt_files(const store::Project& project);

// list_prompt_files, and the files outside the prompts folder that prompts were last committed
// from (kept by the store), when they still exist: every file `status`, `commit` and `checkout`
// track, sorted by path.
Expected<std::vector<PromptFile>> tracked_prompt_files(store::Database& db,
                                                       const store::Project& project);

// Describes a file or folder named on the command line (relative to the working directory):
// a folder gives every prompt file in it. Fails with `not_found` or `invalid_input` for a file
// whose extension is not a prompt file's.
Expected<std::vector<PromptFile>> prompt_files_for(const std::filesystem::path& path,
                                                   const store::Project& project);

// Reads and parses one prompt file. Errors name the file (and line when known).
Expected<PromptDefinition> load_prompt_file(const PromptFile& file);

enum class FileState { added, modified, unchanged, invalid };

// One file's state against the store.
struct StatusEntry {
    PromptFile file;
    std::string name; // the prompt name the file declares
    FileState state = FileState::invalid;
    std::string id;                       // the version id of the file's content
    std::optional<int64_t> latest_number; // the prompt's newest version, when committed
    std::string error;                    // why the file is invalid
};

// The whole working tree against the store.
struct WorkspaceStatus {
    std::vector<StatusEntry> files;
    std::vector<std::string> without_file; // committed prompts that no file declares
};

// Compares `files` with the store. With an `index_path` (`stat_index_path(project)`), a
// file whose stat data the stat index (stat_index.hpp) trusts is neither read nor hashed, and
// the index is rewritten (atomically) when it learnt something; other files are read, and their
// parse results cached in the store (keyed by content) so a large tree is fast to re-check.
// Neither cache is written on a read-only store. Fails only when the store cannot be read.
Expected<WorkspaceStatus> workspace_status(store::Database& db,
                                           const std::vector<PromptFile>& files,
                                           const std::filesystem::path& index_path = {});

// Finds the working file that declares prompt `name` among `files`, parsing as needed (through
// the stat index at `index_path` when given, as `workspace_status`).
Expected<std::optional<PromptFile>> find_file_for(store::Database& db,
                                                  const std::vector<PromptFile>& files,
                                                  std::string_view name,
                                                  const std::filesystem::path& index_path = {});

} // namespace llmops::prompt
