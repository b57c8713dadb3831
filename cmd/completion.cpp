// `llmops completion bash|zsh|fish` (SPEC §12), the hidden `llmops __complete KIND` the scripts
// call at completion time, and the command tree they and `llmops man` are generated from.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include "cli.hpp"

#include <llmops/report/completion_script.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::cmd {

namespace {

using report::ArgumentInfo;
using report::CommandInfo;
using report::ValueKind;

// What a value of CLI11 type `type` completes to (`choices` from an IsMember check or a type
// name such as "{bash,zsh,fish}").
ValueKind value_kind(std::string_view type, const std::vector<std::string>& choices) {
    if (!choices.empty()) {
        return ValueKind::choice;
    }
    static constexpr std::pair<std::string_view, ValueKind> k_kinds[] = {
        {k_value_prompt, ValueKind::prompt}, {k_value_ref, ValueKind::ref},
        {k_value_run, ValueKind::run},       {k_value_label, ValueKind::label},
        {k_value_dir, ValueKind::dir},       {"INT", ValueKind::number},
        {"UINT", ValueKind::number},         {"FLOAT", ValueKind::number},
        {"NUMBER", ValueKind::number},
    };
    for (const auto& [name, kind] : k_kinds) {
        if (type == name) {
            return kind;
        }
    }
    return ValueKind::text;
}

ArgumentInfo argument_info(const CLI::Option& option) {
    ArgumentInfo arg;
    for (const auto& name : option.get_snames()) {
        arg.short_names.push_back("-" + name);
    }
    for (const auto& name : option.get_lnames()) {
        arg.long_names.push_back("--" + name);
    }
    if (arg.positional()) {
        arg.name = option.get_name(true);
    } else {
        arg.name = arg.long_names.empty() ? arg.short_names.front() : arg.long_names.front();
    }
    arg.description = option.get_description();
    if (const std::string env = option.get_envname(); !env.empty()) {
        arg.description += " (environment: " + env + ")";
    }
    arg.required = option.get_required();
    arg.repeatable = option.get_items_expected_max() > 1;
    if (option.get_items_expected_max() == 0) {
        return arg; // a flag
    }
    // CLI11 spells the type and then each check: "TEXT:{text,json,md}", "INT:POSITIVE".
    std::string type;
    for (const auto& part : util::split(option.get_type_name(), ':')) {
        if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
            arg.choices = util::split(part.substr(1, part.size() - 2), ',');
        } else if (type.empty()) {
            type = part;
        }
    }
    arg.kind = value_kind(type, arg.choices);
    arg.value_name = type == "INT" || type == "UINT" ? "N" : type == "FLOAT" ? "X" : type;
    if (arg.value_name.empty()) {
        arg.value_name = "VALUE";
    }
    return arg;
}

CommandInfo command_info(const CLI::App& app) {
    CommandInfo command;
    command.name = app.get_name();
    command.description = app.get_description();
    for (const CLI::Option* option : app.get_options()) {
        if (option->get_group().empty()) {
            continue; // hidden
        }
        auto arg = argument_info(*option);
        (arg.positional() ? command.positionals : command.options).push_back(std::move(arg));
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) {
             return !a->get_group().empty(); // hidden commands have no group
         })) {
        command.subcommands.push_back(command_info(*sub));
    }
    return command;
}

// The values `llmops __complete KIND` prints, one a line; none when there is no current store.
std::vector<std::string> store_values(const Context& ctx, std::string_view kind) {
    // Completion must never write to the store or get in the way: the store is opened read-only
    // (no migration), and anything unexpected yields no values.
    auto project = ctx.project();
    std::error_code ec;
    if (!project || !std::filesystem::exists(project->db_path(), ec)) {
        return {};
    }
    auto db = store::Database::open(project->db_path(), store::OpenMode::read_only);
    if (!db) {
        return {};
    }
    auto version = store::check_version(*db);
    if (!version || *version != store::k_schema_version) {
        return {};
    }
    std::vector<std::string> values;
    store::PromptStore prompts(*db);
    if (kind == "prompts" || kind == "refs") {
        auto list = prompts.list();
        for (const auto& prompt : list.value_or(std::vector<store::PromptSummary>{})) {
            values.push_back(prompt.name);
        }
    }
    if (kind == "refs" || kind == "labels") {
        auto labels = prompts.labels(std::nullopt);
        std::set<std::string> names;
        for (const auto& label : labels.value_or(std::vector<store::LabelInfo>{})) {
            if (kind == "refs") {
                values.push_back(label.prompt + "@" + label.label);
            } else {
                names.insert(label.label);
            }
        }
        values.insert(values.end(), names.begin(), names.end());
    }
    if (kind == "runs") {
        auto runs = store::list_runs(*db, 0);
        std::set<std::string> tags;
        for (const auto& run : runs.value_or(std::vector<store::RunRecord>{})) {
            values.push_back(std::to_string(run.id));
            tags.insert(run.tags.begin(), run.tags.end());
        }
        if (!values.empty()) {
            values.insert(values.end(), tags.begin(), tags.end());
            values.push_back("latest");
        }
    }
    return values;
}

constexpr std::string_view k_store_kinds[] = {"prompts", "refs", "runs", "labels"};

void register_complete(CLI::App& app, Context& ctx) {
    auto kind = std::make_shared<std::string>();
    auto* sub =
        app.add_subcommand("__complete", "Values for shell completion, read from the store");
    sub->group(""); // hidden: for the completion scripts, not for people
    sub->add_option("kind", *kind, "prompts, refs, runs or labels")->required();
    sub->callback([&ctx, kind] {
        ctx.action = [&ctx, kind]() -> Expected<int> {
            const std::vector<std::string> kinds(std::begin(k_store_kinds),
                                                 std::end(k_store_kinds));
            if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
                return fail(ErrorCode::invalid_input, "unknown kind '{}' (expected {}){}", *kind,
                            util::join(kinds, ", "), util::did_you_mean(*kind, kinds));
            }
            std::string text;
            for (const auto& value : store_values(ctx, *kind)) {
                text += value + "\n";
            }
            return print_ok(text);
        };
    });
}

} // namespace

CommandInfo command_tree(const CLI::App& app) {
    return command_info(app);
}

void register_completion(CLI::App& app, Context& ctx) {
    auto shell = std::make_shared<std::string>();
    std::vector<std::string> shells(std::begin(report::k_completion_shells),
                                    std::end(report::k_completion_shells));
    auto* sub = app.add_subcommand(
        "completion", "Print a shell completion script (commands, options, prompt names, runs)");
    // The type name carries the choices to the completions; the action checks them, with a
    // message of our own.
    sub->add_option("shell", *shell, "The shell: " + util::join(shells, ", "))
        ->required()
        ->type_name("{" + util::join(shells, ",") + "}");
    sub->callback([&app, &ctx, shell, shells] {
        ctx.action = [&app, shell, shells]() -> Expected<int> {
            if (std::find(shells.begin(), shells.end(), *shell) == shells.end()) {
                return fail(ErrorCode::invalid_input, "unknown shell '{}' (expected {}){}", *shell,
                            util::join(shells, ", "), util::did_you_mean(*shell, shells));
            }
            return print_ok(report::completion_script(*shell, command_tree(app)));
        };
    });
    register_complete(app, ctx);
}

} // namespace llmops::cmd
