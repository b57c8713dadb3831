// `llmops remote`, `push` and `pull` (SPEC §16): a PostgreSQL database shared by a team, git-style.

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"

#include <llmops/remote/remotes.hpp>
#include <llmops/remote/runs_sync.hpp>
#include <llmops/remote/schema.hpp>
#include <llmops/remote/sync.hpp>
#include <llmops/report/prompt_report.hpp>

namespace llmops::cmd {

namespace {

// The remote a push or pull names, or the project's only one, or `origin`.
Expected<remote::Remote> chosen_remote(const store::Project& project,
                                       const std::optional<std::string>& name) {
    if (name) {
        return remote::find_remote(project, *name);
    }
    const auto remotes = LLMOPS_TRY(remote::read_remotes(project));
    if (remotes.size() == 1) {
        return remotes.front();
    }
    return remote::find_remote(project, "origin");
}

void add_remote_add(CLI::App& group, Context& ctx) {
    struct Options {
        std::string name;
        std::string url;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("add", "Name a PostgreSQL database as a remote");
    sub->add_option("name", o->name, "The remote's name (origin, ...)")->required();
    sub->add_option("url", o->url,
                    "postgresql://user@host:port/db (no password: PGPASSWORD, ~/.pgpass, or "
                    "?password_env=VAR)")
        ->required();
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        const auto project = LLMOPS_TRY(c.project());
        const auto added = LLMOPS_TRY(remote::add_remote(project, o->name, o->url));
        return print_ok(fmt::format("added {}\n", remote::describe(added)));
    });
}

void add_remote_list(CLI::App& group, Context& ctx) {
    auto json_out = std::make_shared<bool>(false);
    auto* sub = group.add_subcommand("list", "List the remotes");
    sub->add_flag("--json", *json_out, "Print the remotes as JSON");
    on_run(sub, ctx, [json_out](Context& c) -> Expected<int> {
        const auto project = LLMOPS_TRY(c.project());
        const auto remotes = LLMOPS_TRY(remote::read_remotes(project));
        std::string out;
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : remotes) {
            out += fmt::format("{}\t{}\n", r.name, remote::display_url(r.url));
            list.push_back({{"name", r.name}, {"url", remote::display_url(r.url)}});
        }
        return print_ok(*json_out ? list.dump(2) + "\n" : out);
    });
}

void add_remote_rm(CLI::App& group, Context& ctx) {
    auto name = std::make_shared<std::string>();
    auto* sub = group.add_subcommand("rm", "Forget a remote (its database is not touched)");
    sub->add_option("name", *name, "The remote's name")->required();
    on_run(sub, ctx, [name](Context& c) -> Expected<int> {
        const auto project = LLMOPS_TRY(c.project());
        LLMOPS_TRY(remote::remove_remote(project, *name));
        return print_ok(fmt::format("removed remote '{}'\n", *name));
    });
}

void add_remote_init(CLI::App& group, Context& ctx) {
    auto name = std::make_shared<std::string>();
    auto* sub = group.add_subcommand(
        "init", "Create (or migrate) llmops's schema in the remote's database");
    sub->add_option("name", *name, "The remote's name")->required();
    on_run(sub, ctx, [name](Context& c) -> Expected<int> {
        const auto project = LLMOPS_TRY(c.project());
        const auto r = LLMOPS_TRY(remote::find_remote(project, *name));
        auto conn = LLMOPS_TRY(remote::connect(r));
        const int found = LLMOPS_TRY(remote::init_schema(conn));
        if (found == remote::k_remote_schema_version) {
            return print_ok(
                fmt::format("{} already holds llmops schema {}\n", remote::describe(r), found));
        }
        return print_ok(fmt::format("{}: llmops schema {} {}\n", remote::describe(r),
                                    remote::k_remote_schema_version,
                                    found == 0 ? "created" : fmt::format("(from {})", found)));
    });
}

struct SyncOptions {
    std::optional<std::string> remote;
    std::string runs = "all";
    bool json = false;
};

void add_sync_options(CLI::App& sub, SyncOptions& o) {
    sub.add_option("remote", o.remote, "The remote (default: the only one, or origin)");
    sub.add_option("--runs", o.runs,
                   "Which finished runs travel with their results: none, latest or all (default)");
    sub.add_flag("--json", o.json, "Print what changed as JSON");
}

// The runs' line of a push or pull, and its JSON.
std::string runs_text(const remote::RunSyncReport& r, std::string_view verb) {
    if (r.sent + r.already == 0) {
        return "";
    }
    return fmt::format("runs: {} {} ({} results), {} already there\n", verb, r.sent, r.results,
                       r.already);
}

std::string with_runs_json(const std::string& prompts_json, const remote::RunSyncReport& r) {
    auto doc = nlohmann::json::parse(prompts_json);
    doc["runs"] = {{"sent", r.sent}, {"results", r.results}, {"already", r.already}};
    return doc.dump(2) + "\n";
}

} // namespace

void register_remote(CLI::App& app, Context& ctx) {
    auto* group =
        app.add_subcommand("remote", "Name PostgreSQL databases that share this store (a team)");
    group->require_subcommand(1);
    add_remote_add(*group, ctx);
    add_remote_list(*group, ctx);
    add_remote_rm(*group, ctx);
    add_remote_init(*group, ctx);
}

void register_push(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<SyncOptions>();
    auto* sub = app.add_subcommand(
        "push", "Send prompt versions and label moves the remote lacks (conflicts are named)");
    add_sync_options(*sub, *o);
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        const auto r = LLMOPS_TRY(chosen_remote(open.project, o->remote));
        const auto selection = LLMOPS_TRY(remote::parse_run_selection(o->runs));
        auto conn = LLMOPS_TRY(remote::connect(r));
        const auto report = LLMOPS_TRY(remote::push_prompts(open.db, conn));
        const auto runs = LLMOPS_TRY(remote::push_runs(open.db, conn, selection));
        const report::MergeWords words{
            "your", fmt::format("on '{}'", r.name), "here", fmt::format("pushed to '{}'", r.name),
            fmt::format("pull first (llmops pull {}), settle the label, then push", r.name)};
        return print_ok(o->json ? with_runs_json(report::import_json(report, r.name), runs)
                                : report::merge_text(report, words) + runs_text(runs, "sent"),
                        report.conflicts.empty() ? k_exit_ok : k_exit_gate);
    });
}

void register_pull(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<SyncOptions>();
    auto* sub = app.add_subcommand(
        "pull", "Bring the remote's prompt versions and label moves here (conflicts are named)");
    add_sync_options(*sub, *o);
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        const auto r = LLMOPS_TRY(chosen_remote(open.project, o->remote));
        const auto selection = LLMOPS_TRY(remote::parse_run_selection(o->runs));
        auto conn = LLMOPS_TRY(remote::connect(r));
        const auto report = LLMOPS_TRY(remote::pull_prompts(open.db, conn));
        const auto runs = LLMOPS_TRY(remote::pull_runs(open.db, conn, selection));
        const std::string theirs = fmt::format("{}'s", r.name);
        const report::MergeWords words{theirs, "here", fmt::format("on '{}'", r.name),
                                       fmt::format("pulled from '{}'", r.name), ""};
        return print_ok(o->json ? with_runs_json(report::import_json(report, r.name), runs)
                                : report::merge_text(report, words) + runs_text(runs, "brought"),
                        report.conflicts.empty() ? k_exit_ok : k_exit_gate);
    });
}

} // namespace llmops::cmd
