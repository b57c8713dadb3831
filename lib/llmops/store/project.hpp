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
    // The prompts folder: root/prompts, or `prompts_dir` of the project's config.
    std::filesystem::path prompts = {};
    // The project config's `model`: `llmops ask`'s default model after LLMOPS_MODEL.
    std::string model = {};
    std::filesystem::path db_path() const { return dir / "llmops.db"; }
    std::filesystem::path prompts_dir() const {
        return prompts.empty() ? root / "prompts" : prompts;
    }
    // The project's config, committed with the project (`.llmops/.gitignore` keeps it).
    std::filesystem::path config_path() const { return dir / "config.yaml"; }
};

// The name of the store folder.
inline constexpr const char* k_store_dir_name = ".llmops";

// Finds the project: `override_dir` (from --dir or LLMOPS_DIR: either a project root or its
// `.llmops` folder) when given, else the nearest ancestor of `start` holding `.llmops/`, and
// reads its config (`.llmops/config.yaml`: `prompts_dir`, a folder inside the project; `model`).
// Fails with `not_found` naming where it looked, `invalid_input` for a bad config (its file and
// key named).
Expected<Project> find_project(const std::filesystem::path& start,
                               const std::optional<std::filesystem::path>& override_dir);

// Creates `root/.llmops/` with an empty, current store. Returns the project and whether it was
// created (false when one was already there; the store is then migrated if old). Fails with `io`.
Expected<std::pair<Project, bool>> init_project(const std::filesystem::path& root);

// How much `open_store` checks: `full` refuses a store that lacks a table; `version` only the
// version checks, for fsck, which reports missing tables itself.
enum class StoreCheck { full, version };

// Whether `open_store` may write: `read_only` opens a read-only connection even when the store
// is writable (`metrics serve` never writes, not even a migration).
enum class StoreAccess { read_write, read_only };

// Opens the project's store for reading and writing, migrating an older schema; falls back to a
// read-only connection when the folder is not writable (or `access` is read_only), so read
// commands still work; a read-only store must then be current. Fails with `not_found` when the
// store file is missing, `conflict` when it is newer than this build, `io` when it is damaged:
// empty (schema version 0, as a truncated file is) or, with `check` full, missing a table; or
// read-only and older than this build.
Expected<Database> open_store(const Project& project, StoreCheck check = StoreCheck::full,
                              StoreAccess access = StoreAccess::read_write);

} // namespace llmops::store
