#include "cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <unistd.h>

#include <llmops/util/term.hpp>

namespace llmops::cmd {

Expected<store::Project> Context::project() const {
    std::optional<std::filesystem::path> override_dir;
    if (dir) {
        override_dir = *dir;
    }
    return store::find_project(std::filesystem::current_path(), override_dir);
}

Expected<OpenProject> open_project(const Context& ctx) {
    auto project = ctx.project();
    if (!project) {
        return fail(project.error());
    }
    auto db = store::open_store(*project);
    if (!db) {
        return fail(db.error());
    }
    return OpenProject{std::move(*project), std::move(*db)};
}

Expected<OpenProject> open_project_for_writing(const Context& ctx) {
    auto project = ctx.project();
    if (!project) {
        return fail(project.error());
    }
    // SQLite would say "attempt to write a readonly database" half-way through; say it plainly
    // up front. SQLite needs the folder writable too, for its -wal and -shm files. A missing
    // store file is left to open_store, which names it.
    std::error_code ec;
    for (const auto& path : {project->dir, project->db_path()}) {
        if (std::filesystem::exists(path, ec) && ::access(path.c_str(), W_OK) != 0) {
            return fail(ErrorCode::io,
                        "cannot change the store: '{}' is not writable ({}); read commands "
                        "still work",
                        path.string(), std::strerror(errno));
        }
    }
    auto db = store::open_store(*project);
    if (!db) {
        return fail(db.error());
    }
    return OpenProject{std::move(*project), std::move(*db)};
}

Expected<void> print(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
        if (errno == EPIPE) {
            std::exit(0);
        }
        return fail(ErrorCode::io, "cannot write to standard output: {}", std::strerror(errno));
    }
    return {};
}

report::Colour stdout_colour() {
    return util::use_colour(stdout) ? report::Colour::on : report::Colour::off;
}

} // namespace llmops::cmd
