// `llmops init` and `llmops fsck`: creating a project's store (with a starter eval from a
// template) and checking it.

#include <filesystem>
#include <optional>

#include "cli.hpp"

#include <llmops/eval/starter.hpp>
#include <llmops/report/prompt_report.hpp>
#include <llmops/store/fsck.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::cmd {

namespace fs = std::filesystem;

namespace {

// The project root `init` works in: `path` when given (a `.llmops` folder names its parent), else
// --dir, else the working directory.
fs::path init_root(const Context& ctx, bool path_given, const std::string& path) {
    std::error_code ec;
    fs::path root = fs::absolute(!path_given && ctx.dir ? fs::path(*ctx.dir) : fs::path(path), ec)
                        .lexically_normal();
    if (root.has_parent_path() && root.filename().empty()) {
        root = root.parent_path(); // "a/.llmops/" names the same folder as "a/.llmops"
    }
    return root.filename() == store::k_store_dir_name ? root.parent_path() : root;
}

// `init --template list`: a template a line, with what it needs.
std::string starter_list() {
    std::string text;
    for (const auto& starter : eval::starters()) {
        text += fmt::format("{:<6}{}{}\n", starter.name, starter.summary,
                            starter.needs.empty() ? "" : fmt::format(" (needs {})", starter.needs));
    }
    return text;
}

// What a template wrote and the commands to run next (from the project root: a `cd` first when
// that is not the working directory).
std::string starter_report(const eval::Starter& starter, const fs::path& root) {
    std::vector<std::string> paths;
    for (const auto& file : starter.files) {
        paths.emplace_back(file.path);
    }
    std::string text =
        fmt::format("wrote {} (template '{}')", util::join(paths, ", "), starter.name);
    text += fmt::format("\nnext{}:\n", starter.needs.empty()
                                           ? std::string()
                                           : fmt::format(" (needs {} on PATH)", starter.needs));
    std::error_code ec;
    if (!fs::equivalent(root, fs::current_path(), ec)) {
        text += fmt::format("  cd {}\n", util::relative_display(root, fs::current_path()));
    }
    for (const auto& command : starter.next) {
        text += fmt::format("  {}\n", command);
    }
    return text;
}

// Creates the project at `root` (or finds it there) and prompts/; returns what init says.
Expected<std::string> init_project_at(const fs::path& root) {
    const auto [project, created] = LLMOPS_TRY(store::init_project(root));
    std::error_code ec;
    fs::create_directories(project.prompts_dir(), ec);
    if (ec) {
        return fail(ErrorCode::io, "cannot create '{}': {}", project.prompts_dir().string(),
                    ec.message());
    }
    std::string text =
        fmt::format("{} llmops project in {}\n",
                    created ? "initialized empty" : "reinitialized existing", project.dir.string());
    if (created) {
        text += fmt::format(
            "commit {}/ (your prompt files), suites and datasets; {}/ is the local store "
            "and cache, ignored by git but for its config.yaml (its own .gitignore)\n",
            fs::relative(project.prompts_dir(), fs::current_path(), ec).string(),
            fs::relative(project.dir, fs::current_path(), ec).string());
    }
    return text;
}

Expected<int> run_init(const Context& ctx, bool path_given, const std::string& path,
                       const std::optional<std::string>& template_name) {
    if (template_name == "list") {
        return print_ok(starter_list());
    }
    const eval::Starter* starter = nullptr;
    const fs::path root = init_root(ctx, path_given, path);
    if (template_name) {
        starter = LLMOPS_TRY(eval::find_starter(*template_name));
        // Before the project is made: a refused template leaves everything as it was.
        LLMOPS_TRY(eval::check_starter_free(*starter, root));
    }
    std::string text = LLMOPS_TRY(init_project_at(root));
    if (starter != nullptr) {
        LLMOPS_TRY(eval::write_starter(*starter, root));
        text += starter_report(*starter, root);
    }
    return print_ok(text);
}

} // namespace

void register_init(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("init", "Create an llmops project (.llmops/ and prompts/)");
    auto path = std::make_shared<std::string>(".");
    auto template_name = std::make_shared<std::optional<std::string>>();
    sub->add_option("path", *path, "Project root (default: the working directory)");
    std::vector<std::string> names = eval::starter_names();
    sub->add_option("--template", *template_name,
                    "Also write a starter eval that runs offline: " + util::join(names, ", ") +
                        " ('list' describes them)")
        ->type_name("{" + util::join(names, ",") + ",list}");
    sub->callback([&ctx, sub, path, template_name] {
        ctx.action = [&ctx, sub, path, template_name]() -> Expected<int> {
            return run_init(ctx, sub->count("path") > 0, *path, *template_name);
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
