#include <llmops/store/project.hpp>

#include <unistd.h>

#include <llmops/store/schema.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/yaml.hpp>

#include <nlohmann/json.hpp>

namespace llmops::store {

namespace fs = std::filesystem;

namespace {

// Reads the project's `.llmops/config.yaml`, when there is one, into `project`.
Expected<void> read_config(Project& project) {
    std::error_code ec;
    if (!fs::exists(project.config_path(), ec)) {
        return {};
    }
    const std::string shown = util::relative_display(project.config_path(), project.root);
    const auto text = LLMOPS_TRY(util::read_file(project.config_path()));
    const auto doc = LLMOPS_TRY(util::parse_yaml(text, shown));
    if (doc.is_null()) {
        return {};
    }
    if (!doc.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: must be a map (prompts_dir, model)", shown);
    }
    for (const auto& [key, value] : doc.items()) {
        if (key != "prompts_dir" && key != "model") {
            return fail(ErrorCode::invalid_input,
                        "{}: unknown key '{}' (known: prompts_dir, model)", shown, key);
        }
        if (!value.is_string() || value.get<std::string>().empty()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a non-empty string", shown,
                        key);
        }
    }
    project.model = doc.value("model", "");
    if (doc.contains("prompts_dir")) {
        const fs::path rel = fs::path(doc["prompts_dir"].get<std::string>()).lexically_normal();
        if (rel.is_absolute() || rel.empty() || *rel.begin() == ".." || rel == ".") {
            return fail(ErrorCode::invalid_input,
                        "{}: 'prompts_dir' must be a folder inside the project, relative to its "
                        "root (like 'prompts' or 'app/prompts')",
                        shown);
        }
        project.prompts = (project.root / rel).lexically_normal();
    }
    return {};
}

Expected<Project> project_at(const fs::path& root) {
    Project project{root, root / k_store_dir_name};
    LLMOPS_TRY(read_config(project));
    return project;
}

} // namespace

Expected<Project> find_project(const fs::path& start, const std::optional<fs::path>& override_dir) {
    std::error_code ec;
    if (override_dir) {
        fs::path given = fs::absolute(*override_dir, ec).lexically_normal();
        if (!given.empty() && given.filename().empty()) {
            given = given.parent_path(); // a trailing slash
        }
        if (given.filename() == k_store_dir_name) {
            given = given.parent_path();
        }
        if (!fs::is_directory(given / k_store_dir_name, ec)) {
            return fail(ErrorCode::not_found, "no llmops project at '{}' (run 'llmops init' there)",
                        given.string());
        }
        return project_at(given);
    }
    fs::path dir = fs::absolute(start, ec).lexically_normal();
    if (!dir.empty() && dir.filename().empty()) {
        dir = dir.parent_path();
    }
    const fs::path first = dir;
    while (true) {
        if (fs::is_directory(dir / k_store_dir_name, ec)) {
            return project_at(dir);
        }
        if (!dir.has_parent_path() || dir.parent_path() == dir) {
            break;
        }
        dir = dir.parent_path();
    }
    return fail(ErrorCode::not_found,
                "not in an llmops project (no .llmops/ in '{}' or any parent; run 'llmops init')",
                first.string());
}

Expected<std::pair<Project, bool>> init_project(const fs::path& root) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(root, ec).lexically_normal();
    Project project = LLMOPS_TRY(project_at(absolute));
    const bool existed = fs::is_directory(project.dir, ec);
    fs::create_directories(project.dir, ec);
    if (ec) {
        return fail(ErrorCode::io, "cannot create '{}': {}", project.dir.string(), ec.message());
    }
    auto db = LLMOPS_TRY(Database::open(project.db_path(), OpenMode::read_write));
    LLMOPS_TRY(migrate(db));
    // The store is not source: git ignores it (the prompt files under prompts/ are what is
    // committed; history travels in bundles). Written once; a user's own edit is kept.
    const fs::path ignore = project.dir / ".gitignore";
    if (!fs::exists(ignore, ec)) {
        LLMOPS_TRY(util::write_file_atomic(
            ignore, "# llmops' store and cache are not committed (prompts/ is); its config is.\n"
                    "# See docs/install.md.\n*\n!config.yaml\n"));
    }
    return std::pair{project, !existed};
}

Expected<Database> open_store(const Project& project, StoreCheck check, StoreAccess access) {
    std::error_code ec;
    const fs::path path = project.db_path();
    if (!fs::exists(path, ec)) {
        return fail(ErrorCode::not_found, "no store at '{}' (run 'llmops init')", path.string());
    }
    // SQLite needs to create the -wal and -shm files beside the database to write.
    const bool can_write =
        ::access(project.dir.c_str(), W_OK) == 0 && ::access(path.c_str(), W_OK) == 0;
    const bool writable = can_write && access == StoreAccess::read_write;
    auto db = LLMOPS_TRY(Database::open(path, writable    ? OpenMode::read_write
                                              : can_write ? OpenMode::read_only_live
                                                          : OpenMode::read_only));
    LLMOPS_TRY(check_not_empty(db));
    if (writable) {
        LLMOPS_TRY(migrate(db));
        if (check == StoreCheck::full) {
            LLMOPS_TRY(check_tables(db));
        }
        return db;
    }
    auto version = LLMOPS_TRY(check_version(db));
    if (version < k_schema_version && can_write) {
        return fail(ErrorCode::io,
                    "store '{}' needs an upgrade (schema {} to {}), which a read-only command does "
                    "not make: run 'llmops fsck' once first",
                    path.string(), version, k_schema_version);
    }
    if (version < k_schema_version) {
        return fail(ErrorCode::io, "store '{}' needs an upgrade (schema {} to {}) but is read-only",
                    path.string(), version, k_schema_version);
    }
    if (check == StoreCheck::full) {
        LLMOPS_TRY(check_tables(db));
    }
    return db;
}

} // namespace llmops::store
