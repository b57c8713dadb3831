// `llmops prompt ...`: the git-like prompt store (SPEC §3).

#include <filesystem>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli.hpp"

#include <llmops/prompt/operations.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/prompt/stat_index.hpp>
#include <llmops/prompt/workspace.hpp>
#include <llmops/remote/remotes.hpp>
#include <llmops/remote/sync.hpp>
#include <llmops/report/prompt_report.hpp>
#include <llmops/store/bundle.hpp>
#include <llmops/util/diff.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/identity.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/term.hpp>
#include <llmops/util/time.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::cmd {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void add_commit(CLI::App& group, Context& ctx) {
    struct Options {
        std::vector<std::string> paths;
        std::string message;
        std::optional<std::string> author;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "commit", "Commit prompt files as new versions (default: every changed file)");
    sub->add_option("paths", o->paths, "Prompt files or folders (default: all of prompts/)");
    sub->add_option("-m,--message", o->message, "Commit message")->required();
    sub->add_option("--author", o->author, "Author (default: LLMOPS_AUTHOR, git, OS user)");
    sub->add_flag("--json", o->json, "Print the result as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        std::vector<prompt::PromptFile> files;
        if (o->paths.empty()) {
            files = LLMOPS_TRY(prompt::tracked_prompt_files(open.db, open.project));
        }
        for (const auto& path : o->paths) {
            auto some = LLMOPS_TRY(prompt::prompt_files_for(path, open.project));
            files.insert(files.end(), some.begin(), some.end());
        }
        auto commits = LLMOPS_TRY(
            prompt::commit_files(open.db, files, o->message, util::resolve_author(o->author)));
        if (o->paths.empty()) {
            // Committing "everything changed": unchanged files are not news.
            std::erase_if(commits, [](const auto& fc) { return !fc.outcome.created; });
        }
        return print_ok(o->json ? report::commit_json(commits) : report::commit_text(commits));
    });
}

void add_status(CLI::App& group, Context& ctx) {
    auto json_flag = std::make_shared<bool>(false);
    auto* sub = group.add_subcommand("status", "Show prompt files that differ from the store");
    sub->add_flag("--json", *json_flag, "Print the status as JSON");
    on_run(sub, ctx, [json_flag](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        auto files = LLMOPS_TRY(prompt::tracked_prompt_files(open.db, open.project));
        auto status = LLMOPS_TRY(
            prompt::workspace_status(open.db, files, prompt::stat_index_path(open.project)));
        LLMOPS_TRY(print(*json_flag ? report::status_json(status)
                                    : report::status_text(status, stdout_colour())));
        // An invalid prompt file is a configuration error, like a malformed suite.
        const bool invalid = std::any_of(status.files.begin(), status.files.end(), [](auto& e) {
            return e.state == prompt::FileState::invalid;
        });
        return invalid ? k_exit_usage : k_exit_ok;
    });
}

void add_log(CLI::App& group, Context& ctx) {
    struct Options {
        std::optional<std::string> name;
        std::optional<size_t> limit;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub =
        group.add_subcommand("log", "Show the versions of a prompt (or of all), newest first");
    sub->add_option("name", o->name, "Prompt name")->type_name(k_value_prompt);
    sub->add_option("-n,--max-count", o->limit, "Show at most this many versions");
    sub->add_flag("--json", o->json, "Print the versions as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        store::PromptStore prompts(open.db);
        // `log name@ref` is read as the name: the log is of the whole prompt.
        std::optional<std::string> name;
        if (o->name) {
            name = store::split_ref(*o->name).first;
        }
        std::optional<int64_t> limit;
        if (o->limit) {
            limit = static_cast<int64_t>(*o->limit);
        }
        auto versions = LLMOPS_TRY(prompts.log(name, limit));
        auto labels = LLMOPS_TRY(prompts.labels(name));
        return print_ok(o->json ? report::log_json(versions, labels)
                                : report::log_text(versions, labels, stdout_colour()));
    });
}

void add_show(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("show", "Show one version: its commit and its content");
    sub->add_option("ref", o->ref, "name, name@3, name@v3, name@<hash>, name@<label>")
        ->required()
        ->type_name(k_value_ref);
    sub->add_flag("--json", o->json, "Print the version as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        store::PromptStore prompts(open.db);
        auto loaded = LLMOPS_TRY(prompt::load_version(prompts, o->ref));
        auto labels = LLMOPS_TRY(prompts.labels(loaded.version.name));
        return print_ok(
            o->json ? report::show_json(loaded.version, loaded.content, labels)
                    : report::show_text(loaded.version, loaded.def, labels, stdout_colour()));
    });
}

void add_diff(CLI::App& group, Context& ctx) {
    struct Options {
        std::string from;
        std::optional<std::string> to;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "diff", "Unified diff of two versions, or of a version and its working file");
    sub->add_option("from", o->from, "The old side: a ref")->required()->type_name(k_value_ref);
    sub->add_option("to", o->to, "The new side: a ref (default: the working file)")
        ->type_name(k_value_ref);
    sub->add_flag("--json", o->json, "Print the diff as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        const auto [a, b] = LLMOPS_TRY(prompt::diff_sides(open.db, open.project, o->from, o->to));
        const bool colour = !o->json && stdout_colour() == report::Colour::on;
        const std::string diff = util::unified_diff(a.text, b.text, a.label, b.label, colour);
        return print_ok(o->json
                            ? report::diff_json(
                                  a, b, util::unified_diff(a.text, b.text, a.label, b.label, false))
                            : diff);
    });
}

// `prompt label set ... --remote NAME`: the move on the remote by compare-and-set, then pulled
// here (a fast-forward: this store saw the label where the remote had it).
Expected<int> set_remote_label(OpenProject& open, store::PromptStore& prompts,
                               const store::VersionInfo& version, const std::string& label,
                               const std::string& author, const std::string& message,
                               const std::string& remote_name) {
    const auto r = LLMOPS_TRY(remote::find_remote(open.project, remote_name));
    remote::LabelMove move{version.name, label,   version.id,         std::nullopt,
                           author,       message, util::now_iso8601()};
    for (const auto& l : LLMOPS_TRY(prompts.labels(version.name))) {
        if (l.label == label) {
            move.expected_id = l.id;
        }
    }
    auto conn = LLMOPS_TRY(remote::connect(r));
    const auto moved = LLMOPS_TRY(remote::move_remote_label(conn, move));
    const auto at = [](const std::optional<int64_t>& n) {
        return n ? fmt::format("@{}", *n) : std::string("none");
    };
    if (moved.concurrent) {
        const auto& c = *moved.concurrent;
        return print_ok(
            fmt::format("rejected: {}:{} on '{}' was moved to {}{} by {} at {} since "
                        "this store last saw it; `llmops pull {}`, then set it again\n",
                        version.name, label, r.name, at(c.to),
                        c.version_id.empty() ? "" : " (" + c.version_id.substr(0, 12) + ")",
                        c.author, c.created_at, r.name),
            k_exit_gate);
    }
    if (!moved.moved) {
        return print_ok(fmt::format("{}:{} on '{}' already at {}\n", version.name, label, r.name,
                                    at(moved.to)));
    }
    LLMOPS_TRY(remote::pull_prompts(open.db, conn));
    return print_ok(fmt::format("{}:{} on '{}': {} -> {}\n", version.name, label, r.name,
                                at(moved.from), at(moved.to)));
}

void add_label(CLI::App& group, Context& ctx) {
    auto* label = group.add_subcommand("label", "Move, remove and audit labels such as production");
    label->require_subcommand(1);

    struct SetOptions {
        std::string ref;
        std::string label;
        std::string message;
        std::optional<std::string> author;
        std::optional<int64_t> weight;
        std::optional<std::string> remote;
    };
    auto s = std::make_shared<SetOptions>();
    auto* set = label->add_subcommand("set", "Point LABEL at the version REF names (a rollback "
                                             "is a set to an older version)");
    set->add_option("ref", s->ref, "The version: name@3, name@<hash>, name@<label>")
        ->required()
        ->type_name(k_value_ref);
    set->add_option("label", s->label, "The label, e.g. production")
        ->required()
        ->type_name(k_value_label);
    set->add_option("-m,--message", s->message, "Why (kept in the label history)");
    set->add_option("--author", s->author, "Author (default: LLMOPS_AUTHOR, git, OS user)");
    set->add_option("--weight", s->weight,
                    "A/B test: send this percent of the label's traffic to REF (the label's own "
                    "version takes the rest; 0 removes the arm, 100 promotes)");
    set->add_option("--remote", s->remote,
                    "Move the label on this remote (compare-and-set: refused when it moved there "
                    "since this store last saw it), then here");
    on_run(set, ctx, [s](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        store::PromptStore prompts(open.db);
        auto version = LLMOPS_TRY(prompts.resolve(s->ref));
        const auto author = util::resolve_author(s->author);
        if (s->remote) {
            if (s->weight) {
                return fail(ErrorCode::invalid_input,
                            "--weight cannot be set on a remote yet: set it here and `llmops "
                            "push`");
            }
            return set_remote_label(open, prompts, version, s->label, author, s->message,
                                    *s->remote);
        }
        auto event = LLMOPS_TRY(
            s->weight ? prompts.set_label_weight(version, s->label, *s->weight, author, s->message)
                      : prompts.set_label(version, s->label, author, s->message));
        if (!event && s->weight) {
            return print_ok(fmt::format("{}:{} already gives @{} that weight\n", version.name,
                                        s->label, version.number));
        }
        if (!event) {
            return print_ok(
                fmt::format("{}:{} already at @{}\n", version.name, s->label, version.number));
        }
        return print_ok(report::label_event_text(*event));
    });

    struct RmOptions {
        std::string name;
        std::string label;
        std::string message;
        std::optional<std::string> author;
    };
    auto r = std::make_shared<RmOptions>();
    auto* rm = label->add_subcommand("rm", "Remove a label (the removal is kept in the history)");
    rm->add_option("name", r->name, "Prompt name")->required()->type_name(k_value_prompt);
    rm->add_option("label", r->label, "The label to remove")->required()->type_name(k_value_label);
    rm->add_option("-m,--message", r->message, "Why (kept in the label history)");
    rm->add_option("--author", r->author, "Author (default: LLMOPS_AUTHOR, git, OS user)");
    on_run(rm, ctx, [r](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        store::PromptStore prompts(open.db);
        auto event = LLMOPS_TRY(prompts.remove_label(store::split_ref(r->name).first, r->label,
                                                     util::resolve_author(r->author), r->message));
        return print_ok(report::label_event_text(event));
    });

    auto l = std::make_shared<std::pair<std::optional<std::string>, bool>>();
    auto* list = label->add_subcommand("list", "Show where each label points, and its weights "
                                               "when it splits traffic (an A/B test)");
    list->add_option("name", l->first, "Prompt name (default: all)")->type_name(k_value_prompt);
    list->add_flag("--json", l->second, "Print the labels as JSON");
    on_run(list, ctx, [l](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        store::PromptStore prompts(open.db);
        std::optional<std::string> name;
        if (l->first) {
            name = store::split_ref(*l->first).first;
            LLMOPS_TRY(prompts.resolve(*name)); // an unknown prompt is an error, not "no labels"
        }
        auto labels = LLMOPS_TRY(prompts.labels(name));
        return print_ok(l->second ? report::labels_json(labels) : report::labels_text(labels));
    });

    struct HistoryOptions {
        std::optional<std::string> name;
        bool json = false;
    };
    auto h = std::make_shared<HistoryOptions>();
    auto* history = label->add_subcommand("history", "Show every label move, oldest first");
    history->add_option("name", h->name, "Prompt name (default: all)")->type_name(k_value_prompt);
    history->add_flag("--json", h->json, "Print the history as JSON");
    on_run(history, ctx, [h](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        store::PromptStore prompts(open.db);
        std::optional<std::string> name;
        if (h->name) {
            name = store::split_ref(*h->name).first;
        }
        auto events = LLMOPS_TRY(prompts.label_history(name));
        return print_ok(h->json ? report::label_history_json(events)
                                : report::label_history_text(events));
    });
}

void add_checkout(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        std::optional<std::string> output;
        bool force = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "checkout", "Write a version to its working file (or to -o PATH, '-' for stdout)");
    sub->add_option("ref", o->ref, "The version to check out")->required()->type_name(k_value_ref);
    sub->add_option("-o,--output", o->output, "Where to write it ('-' for standard output)");
    sub->add_flag("-f,--force", o->force, "Overwrite a working file with uncommitted content");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        auto done = LLMOPS_TRY(prompt::checkout(open.db, open.project, o->ref, o->output,
                                                o->force ? prompt::Force::yes : prompt::Force::no));
        if (!done.path) {
            return print_ok(done.text);
        }
        return print_ok(fmt::format("checked out {}@{} to {}\n", done.loaded.version.name,
                                    done.loaded.version.number,
                                    util::relative_display(*done.path, fs::current_path())));
    });
}

// Reads --vars FILE (JSON or YAML, an object) and applies --var k=v on top.
Expected<json> collect_vars(const std::optional<std::string>& file,
                            const std::vector<std::string>& pairs) {
    json vars = json::object();
    if (file) {
        auto text = LLMOPS_TRY(util::read_file(*file));
        auto parsed = LLMOPS_TRY(util::parse_yaml(text, *file)); // JSON is YAML too
        if (!parsed.is_object()) {
            return fail(ErrorCode::invalid_input, "{}: variables file must hold a mapping", *file);
        }
        vars = std::move(parsed);
    }
    for (const auto& pair : pairs) {
        const size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) {
            return fail(ErrorCode::invalid_input, "invalid --var '{}' (expected name=value)", pair);
        }
        vars[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    return vars;
}

// Says on stderr which arm a unit got, so the text on stdout stays the prompt alone.
void note_assignment(const prompt::Assignment& a, const store::VersionInfo& version) {
    const std::string note =
        fmt::format("llmops: note: unit '{}' is in bucket {} of {}@{}: version {} ({}% of the "
                    "traffic)\n",
                    a.unit, a.bucket, version.name, a.label, version.number, a.arm.weight);
    std::fputs(note.c_str(), stderr);
}

void add_remote_option(CLI::App& sub, std::optional<std::string>& remote) {
    sub.add_option("--remote", remote,
                   "Read the remote's prompt history (PostgreSQL, docs/teams.md) instead of this "
                   "store's: what the team's labels point at now");
}

// The store a read command reads: the project's, or with `remote` a snapshot of that remote's
// prompt history in memory: of the prompts `names` (and their partials) when given.
Expected<OpenProject> open_for_reading(const Context& c, const std::optional<std::string>& remote,
                                       const std::vector<std::string>* names = nullptr) {
    if (!remote) {
        return open_project(c);
    }
    auto project = LLMOPS_TRY(c.project());
    const auto r = LLMOPS_TRY(remote::find_remote(project, *remote));
    auto conn = LLMOPS_TRY(remote::connect(r));
    auto db = LLMOPS_TRY(remote::snapshot_prompts(conn, names));
    return OpenProject{std::move(project), std::move(db)};
}

void add_render(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        std::vector<std::string> vars;
        std::optional<std::string> vars_file;
        std::string format = "text";
        bool allow_missing = false;
        std::optional<std::string> unit;
        std::optional<std::string> remote;
    };
    auto o = std::make_shared<Options>();
    auto* sub =
        group.add_subcommand("render", "Render a version (or a prompt file) with variables");
    sub->add_option("ref", o->ref, "A ref, or the path of a prompt file")
        ->required()
        ->type_name(k_value_ref);
    sub->add_option("--var", o->vars, "A variable: name=value (repeatable)");
    sub->add_option("--vars", o->vars_file, "A JSON or YAML file of variables");
    sub->add_option("--format", o->format, "text, json or openai (a Chat Completions body)")
        ->check(CLI::IsMember({"text", "json", "openai"}));
    sub->add_flag("--allow-missing", o->allow_missing, "Render missing variables as empty");
    sub->add_option("--unit", o->unit,
                    "A/B test: render the version a split label serves this unit (a user or "
                    "session id), by the documented assignment rule");
    add_remote_option(*sub, o->remote);
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        const std::vector<std::string> names{store::split_ref(o->ref).first};
        auto open = LLMOPS_TRY(open_for_reading(c, o->remote, &names));
        auto vars = LLMOPS_TRY(collect_vars(o->vars_file, o->vars));
        store::PromptStore prompts(open.db);
        prompt::LoadedVersion loaded;
        std::optional<prompt::Assignment> assignment;
        std::error_code ec;
        if (o->unit) {
            auto [version, assigned] = LLMOPS_TRY(prompt::load_for_unit(prompts, o->ref, *o->unit));
            loaded = std::move(version);
            assignment = std::move(assigned);
            note_assignment(*assignment, loaded.version);
        } else if (prompt::format_for_path(o->ref) && fs::is_regular_file(o->ref, ec)) {
            auto files = LLMOPS_TRY(prompt::prompt_files_for(o->ref, open.project));
            auto def = LLMOPS_TRY(prompt::load_prompt_file(files.front()));
            loaded.version =
                store::VersionInfo{def.name, 0, prompt::version_id(def), std::nullopt, "", "", ""};
            loaded.def = std::move(def);
        } else {
            loaded = LLMOPS_TRY(prompt::load_version(prompts, o->ref));
        }
        prompt::RenderOptions options;
        options.missing =
            o->allow_missing ? prompt::MissingVariables::allow : prompt::MissingVariables::error;
        auto rendered = LLMOPS_TRY(prompt::render_prompt(
            loaded.def, vars, prompt::store_partial_loader(prompts), options));
        const auto format = o->format == "json"     ? report::RenderFormat::json
                            : o->format == "openai" ? report::RenderFormat::openai
                                                    : report::RenderFormat::text;
        return print_ok(report::render_output(loaded.version, loaded.def, rendered, format,
                                              assignment ? &*assignment : nullptr));
    });
}

void add_list(CLI::App& group, Context& ctx) {
    auto json_flag = std::make_shared<bool>(false);
    auto* sub = group.add_subcommand("list", "List prompts with their latest version and labels");
    sub->add_flag("--json", *json_flag, "Print the list as JSON");
    on_run(sub, ctx, [json_flag](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        store::PromptStore prompts(open.db);
        auto list = LLMOPS_TRY(prompts.list());
        return print_ok(*json_flag ? report::list_json(list) : report::list_text(list));
    });
}

void add_export(CLI::App& group, Context& ctx) {
    struct Options {
        std::optional<std::string> label;
        std::string format = "json";
        std::optional<std::string> output;
        std::optional<std::string> remote;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "export", "Export the prompts a label selects (default: latest) as JSON for apps");
    sub->add_option("-l,--label", o->label, "Export the versions this label points at")
        ->type_name(k_value_label);
    sub->add_option("--format", o->format, "Output format (json)")->check(CLI::IsMember({"json"}));
    sub->add_option("-o,--output", o->output, "Write to this file instead of standard output");
    add_remote_option(*sub, o->remote);
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_for_reading(c, o->remote));
        store::PromptStore prompts(open.db);
        std::vector<std::string> skipped;
        auto versions = LLMOPS_TRY(prompt::export_versions(prompts, o->label, skipped));
        if (!skipped.empty()) {
            const std::string note = fmt::format(
                "llmops: note: {} prompt{} without label '{}' left out: {}\n", skipped.size(),
                skipped.size() == 1 ? "" : "s", *o->label, util::join(skipped, ", "));
            std::fputs(note.c_str(), stderr);
        }
        std::map<std::string, std::vector<prompt::WeightedVersion>> weights;
        if (o->label && *o->label != "latest") {
            for (const auto& v : versions) {
                weights[v.version.name] =
                    LLMOPS_TRY(prompt::label_weights(prompts, v.version.name, *o->label));
            }
        }
        const std::string text = report::export_json(versions, o->label, weights);
        if (o->output) {
            LLMOPS_TRY(util::write_file_atomic(*o->output, text));
            return k_exit_ok;
        }
        return print_ok(text);
    });
}

void add_bundle(CLI::App& group, Context& ctx) {
    struct Options {
        std::vector<std::string> names;
        std::string output = "-";
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "bundle", "Write prompts with their history and labels to one JSON file, for sharing");
    sub->add_option("names", o->names, "Prompts to bundle (default: all)")
        ->type_name(k_value_prompt);
    sub->add_option("-o,--output", o->output, "Write to this file ('-': standard output)");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        store::PromptStore prompts(open.db);
        auto bundle = LLMOPS_TRY(store::make_bundle(prompts, o->names));
        const std::string text = store::bundle_json(bundle);
        if (o->output != "-") {
            LLMOPS_TRY(util::write_file_atomic(o->output, text));
            return k_exit_ok;
        }
        return print_ok(text);
    });
}

void add_import(CLI::App& group, Context& ctx) {
    struct Options {
        std::string file;
        bool dry_run = false;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "import", "Merge a bundle into this store (labels moved on both sides are conflicts)");
    sub->add_option("file", o->file, "A bundle written by `llmops prompt bundle`")->required();
    sub->add_flag("-n,--dry-run", o->dry_run, "Report what would change; write nothing");
    sub->add_flag("--json", o->json, "Print the result as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto text = LLMOPS_TRY(util::read_file(o->file));
        auto bundle = LLMOPS_TRY(store::parse_bundle(text, o->file));
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        auto report = LLMOPS_TRY(store::import_bundle(open.db, bundle, o->dry_run));
        // Like a merge that stopped on a conflict: the rest is in, the conflicts are the user's.
        return print_ok(o->json ? report::import_json(report, o->file)
                                : report::import_text(report, o->file),
                        report.conflicts.empty() ? k_exit_ok : k_exit_gate);
    });
}

} // namespace

void register_prompt(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("prompt", "Version prompts like code: commit, log, diff, "
                                               "label, render, export, bundle");
    group->require_subcommand(1);
    add_commit(*group, ctx);
    add_status(*group, ctx);
    add_log(*group, ctx);
    add_show(*group, ctx);
    add_diff(*group, ctx);
    add_label(*group, ctx);
    add_checkout(*group, ctx);
    add_render(*group, ctx);
    add_list(*group, ctx);
    add_export(*group, ctx);
    add_bundle(*group, ctx);
    add_import(*group, ctx);
}

} // namespace llmops::cmd
