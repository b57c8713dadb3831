// `llmops init` and `llmops fsck`: creating and checking a project's store.

#include <filesystem>

#include "cli.hpp"

#include <llmops/report/prompt_report.hpp>
#include <llmops/store/fsck.hpp>

namespace llmops::cmd {

namespace fs = std::filesystem;

void register_init(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("init", "Create an llmops project (.llmops/ and prompts/)");
    auto path = std::make_shared<std::string>(".");
    sub->add_option("path", *path, "Project root (default: the working directory)");
    sub->callback([&ctx, sub, path] {
        ctx.action = [&ctx, sub, path]() -> Expected<int> {
            const bool path_given = sub->count("path") > 0;
            std::error_code ec;
            fs::path root =
                fs::absolute(!path_given && ctx.dir ? fs::path(*ctx.dir) : fs::path(*path), ec)
                    .lexically_normal();
            if (root.has_parent_path() && root.filename().empty()) {
                root = root.parent_path(); // "a/.llmops/" names the same folder as "a/.llmops"
            }
            const auto [project, created] = LLMOPS_TRY(store::init_project(
                root.filename() == store::k_store_dir_name ? root.parent_path() : root));
            fs::create_directories(project.prompts_dir(), ec);
            if (ec) {
                return fail(ErrorCode::io, "cannot create '{}': {}", project.prompts_dir().string(),
                            ec.message());
            }
            std::string text = fmt::format("{} llmops project in {}\n",
                                           created ? "initialized empty" : "reinitialized existing",
                                           project.dir.string());
            if (created) {
                text += fmt::format(
                    "commit {}/ (your prompt files), suites and datasets; {}/ is the local store "
                    "and cache, ignored by git (its own .gitignore)\n",
                    fs::relative(project.prompts_dir(), fs::current_path(), ec).string(),
                    fs::relative(project.dir, fs::current_path(), ec).string());
            }
            return print_ok(text);
        };
    });
}

void register_fsck(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand(
        "fsck", "Verify the store: re-hash every version, check every ref and label history");
    auto json = std::make_shared<bool>(false);
    sub->add_flag("--json", *json, "Print the report as JSON");
    sub->callback([&ctx, json] {
        ctx.action = [&ctx, json]() -> Expected<int> {
            auto project = LLMOPS_TRY(ctx.project());
            // fsck reports a missing table as a fault (exit 1) instead of refusing the store.
            auto db = LLMOPS_TRY(store::open_store(project, store::StoreCheck::version));
            auto report = LLMOPS_TRY(store::fsck(db));
            return print_ok(*json ? report::fsck_json(report) : report::fsck_text(report),
                            report.problems.empty() ? k_exit_ok : k_exit_gate);
        };
    });
}

} // namespace llmops::cmd
