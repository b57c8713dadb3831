#pragma once
// The project directory: `.llmops/` found by walking up from the working directory, like `.git`.

#include <filesystem>
#include <optional>

#include <llmops/store/database.hpp>

namespace llmops::store {

// A located project: `root` holds `prompts/` and `.llmops/`.
struct Project {
    std::filesystem::path root; // the project root
    std::filesystem::path dir;  // root/.llmops
    std::filesystem::path db_path() const { return dir / "llmops.db"; }
    std::filesystem::path prompts_dir() const { return root / "prompts"; }
};

// The name of the store folder.
inline constexpr const char* k_store_dir_name = ".llmops";

// Finds the project: `override_dir` (from --dir or LLMOPS_DIR: either a project root or its
// `.llmops` folder) when given, else the nearest ancestor of `start` holding `.llmops/`.
// Fails with `not_found` naming where it looked.
Expected<Project> find_project(const std::filesystem::path& start,
                               const std::optional<std::filesystem::path>& override_dir);

// Creates `root/.llmops/` with an empty, current store. Returns the project and whether it was
// created (false when one was already there; the store is then migrated if old). Fails with `io`.
Expected<std::pair<Project, bool>> init_project(const std::filesystem::path& root);

// How much `open_store` checks: `full` refuses a store that lacks a table; `version` only the
// version checks, for fsck, which reports missing tables itself.
enum class StoreCheck { full, version };

// Opens the project's store for reading and writing, migrating an older schema; falls back to a
// read-only connection when the folder is not writable, so read commands still work. Fails with
// `not_found` when the store file is missing, `conflict` when it is newer than this build, `io`
// when it is damaged: empty (schema version 0, as a truncated file is) or, with `check` full,
// missing a table.
Expected<Database> open_store(const Project& project, StoreCheck check = StoreCheck::full);

} // namespace llmops::store
