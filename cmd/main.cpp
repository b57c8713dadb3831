// The llmops binary: one table of command groups, and the one place that prints errors and
// picks exit codes.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "cli.hpp"

#include <llmops/util/redact.hpp>

#include <llmops/util/build_info.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::cmd {
void register_drift(CLI::App& app, Context& ctx); // cmd/drift.cpp
} // namespace llmops::cmd

namespace {

using namespace llmops;

struct CommandGroup {
    const char* name;
    void (*add)(CLI::App&, cmd::Context&);
    // Whether the command reads the whole command tree (shell completion, the man page): then
    // every group is registered even when the command line names this one.
    bool whole_tree = false;
};

// The command table. Help text lives with each registration, in the command's own file.
// One command a line: with 15 entries clang-format would pack them in rows.
// clang-format off
constexpr CommandGroup k_commands[] = {
    {"init", cmd::register_init},
    {"prompt", cmd::register_prompt},
    {"fsck", cmd::register_fsck},
    {"prices", cmd::register_prices},
    {"ask", cmd::register_ask},
    {"cache", cmd::register_cache},
    {"eval", cmd::register_eval},
    {"runs", cmd::register_runs},
    {"diff", cmd::register_diff},
    {"stats", cmd::register_stats},
    {"judge", cmd::register_judge},
    {"traces", cmd::register_traces},
    {"advise", cmd::register_advise},
    {"drift", cmd::register_drift},
    {"ab", cmd::register_ab},
    {"usage", cmd::register_usage},
    {"metrics", cmd::register_metrics},
    {"remote", cmd::register_remote},
    {"push", cmd::register_push},
    {"pull", cmd::register_pull},
    {"schema", cmd::register_schema},
    {"completion", cmd::register_completion, true},
    {"man", cmd::register_man, true},
};
// clang-format on

// The group that the command line names (`prompt` in `llmops --dir x prompt log`), or null when
// its first word is no command (`help`, `--help`, a typo, `__complete`) or the command reads the
// whole tree. Only that group is registered: building the other 22 groups' options (hundreds of
// CLI11 objects) would be most of the start-up of a quick command such as `prompt status`.
const CommandGroup* named_group(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--dir") {
            ++i;
            continue;
        }
        if (arg.starts_with("--dir=")) {
            continue;
        }
        const auto* found = std::find_if(std::begin(k_commands), std::end(k_commands),
                                         [&](const CommandGroup& g) { return arg == g.name; });
        return found == std::end(k_commands) || found->whole_tree ? nullptr : found;
    }
    return nullptr;
}

std::string version_text() {
    return fmt::format("llmops {} (commit {})", util::version(), util::git_commit());
}

int exit_code_for(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_input:
    case ErrorCode::not_found:
    case ErrorCode::conflict: return cmd::k_exit_usage;
    case ErrorCode::io:
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::rate_limited:
    case ErrorCode::provider:
    case ErrorCode::internal: return cmd::k_exit_runtime;
    case ErrorCode::interrupted: return cmd::k_exit_interrupted;
    }
    return cmd::k_exit_runtime;
}

// The deepest command that parsing reached: `llmops prompt label` for `llmops prompt label x`.
const CLI::App& deepest_command(const CLI::App& app) {
    const CLI::App* current = &app;
    while (!current->get_subcommands().empty()) {
        current = current->get_subcommands().front();
    }
    return *current;
}

// "llmops prompt label"
std::string command_path(const CLI::App& command) {
    std::string path = command.get_name();
    for (const CLI::App* a = command.get_parent(); a != nullptr; a = a->get_parent()) {
        path = a->get_name() + " " + path;
    }
    return path;
}

// The commands under `command`, hidden ones (no group, such as __complete) left out.
std::vector<std::string> subcommand_names(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* sub :
         command.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); })) {
        names.push_back(sub->get_name());
    }
    return names;
}

// The long options of `command` and of the commands above it (`--dir`), as typed: "--first-n".
std::vector<std::string> option_names(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* a = &command; a != nullptr; a = a->get_parent()) {
        for (const CLI::Option* opt : a->get_options()) {
            for (const auto& name : opt->get_lnames()) {
                names.push_back("--" + name);
            }
        }
    }
    return names;
}

// Turns a CLI11 parse error into a message that names the command and the word at fault.
// CLI11 checks required subcommands before leftover words, so `llmops bogus` would otherwise
// read "A subcommand is required".
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
    const CLI::App& command = deepest_command(app);
    const std::string path = command_path(command);
    const std::string help = fmt::format(" (see '{} --help')", path);
    const auto names = subcommand_names(command);
    const auto leftovers = app.remaining(true);
    if (!leftovers.empty()) {
        const std::string& word = leftovers.front();
        if (word.starts_with("-") && word.size() > 1) {
            const std::string option = word.substr(0, word.find('='));
            return fmt::format("unknown option '{}' for '{}'{}{}", option, path,
                               util::did_you_mean(option, option_names(command)), help);
        }
        if (!names.empty()) { // a command group: the word should have been a command
            return fmt::format("unknown command '{}' for '{}'{}{}", word, path,
                               util::did_you_mean(word, names), help);
        }
        return fmt::format("unexpected argument '{}' for '{}'{}", word, path, help);
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && !names.empty() &&
        command.get_require_subcommand_min() > 0) {
        return fmt::format("'{}' needs a command: {}{}", path, util::join(names, ", "), help);
    }
    std::string message = e.what();
    if (message.empty()) {
        message = "invalid command line";
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && names.empty()) {
        // A command missing its arguments: its usage line says what it takes.
        const std::string text = command.help();
        const size_t at = text.find("Usage: ");
        if (at != std::string::npos) {
            // "diff [OPTIONS] A [B]": the command's own name first, the path above it added.
            const std::string usage = text.substr(at + 7, text.find('\n', at) - at - 7);
            message += "; usage: " + path +
                       usage.substr(std::min(usage.size(), command.get_name().size()));
        }
    }
    // CLI11 capitalises some messages; ours are lowercase.
    if (message.size() > 1 && std::isupper(static_cast<unsigned char>(message[0])) &&
        std::islower(static_cast<unsigned char>(message[1]))) {
        message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    }
    return message + help;
}

// Prints `message` on stderr, each of its lines as one error ("llmops: error: ..."): a suite
// with several problems reports them one a line.
void print_error(std::string_view message) {
    std::fflush(stdout);
    for (const auto& line : util::split(message, '\n')) {
        std::fprintf(stderr, "llmops: error: %s\n", line.c_str());
    }
}

int run(int argc, char** argv) {
    CLI::App app{"llmops: version prompts like code, run evals, diff cost and quality", "llmops"};
    app.set_version_flag("--version", version_text());
    app.require_subcommand(1);
    app.fallthrough();
    cmd::Context ctx;
    ctx.command_line = "llmops";
    for (int i = 1; i < argc; ++i) {
        // Quoted when needed, so the line can be pasted back into a shell.
        const std::string_view arg = argv[i];
        const bool plain =
            !arg.empty() &&
            arg.find_first_not_of(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") ==
                std::string_view::npos;
        ctx.command_line += " ";
        if (plain) {
            ctx.command_line += arg;
        } else {
            ctx.command_line += "'";
            for (char c : arg) {
                ctx.command_line += c == '\'' ? std::string("'\\''") : std::string(1, c);
            }
            ctx.command_line += "'";
        }
    }
    // Stored with runs (eval, judge calibrate): a URL given on the command line loses its
    // credentials here, once, for every command.
    ctx.command_line = util::sanitize_urls(ctx.command_line);
    app.add_option("--dir", ctx.dir,
                   "Project root or its .llmops folder (default: found by walking up)")
        ->envname("LLMOPS_DIR")
        ->type_name(cmd::k_value_dir);
    if (const CommandGroup* group = named_group(argc, argv)) {
        group->add(app, ctx);
    } else {
        for (const auto& g : k_commands) {
            g.add(app, ctx);
        }
    }
    cmd::add_help_examples(app);
    // `llmops help [COMMAND...]` is `llmops [COMMAND...] --help`, as in git.
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args.front() == "help") {
        args.erase(args.begin());
        const CLI::App* at = &app;
        for (const auto& word : args) {
            const auto names = subcommand_names(*at);
            if (std::find(names.begin(), names.end(), word) == names.end()) {
                print_error(fmt::format("unknown command '{}' for '{}'{} (see '{} --help')", word,
                                        command_path(*at), util::did_you_mean(word, names),
                                        command_path(*at)));
                return cmd::k_exit_usage;
            }
            at = at->get_subcommand(word);
        }
        args.emplace_back("--help");
    }
    std::reverse(args.begin(), args.end()); // CLI11 takes them last first
    try {
        app.parse(args);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        print_error(parse_error_message(app, e));
        return cmd::k_exit_usage;
    }
    if (!ctx.action) {
        print_error("no command given (see 'llmops --help')");
        return cmd::k_exit_usage;
    }
    auto result = ctx.action();
    if (!result) {
        print_error(result.error().message());
        return exit_code_for(result.error().code());
    }
    if (std::fflush(stdout) != 0 && errno != EPIPE) {
        print_error(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
        return cmd::k_exit_runtime;
    }
    return *result;
}

} // namespace

int main(int argc, char** argv) {
    // The fast path: `llmops --version` builds no command tree.
    if (argc == 2 && std::string_view(argv[1]) == "--version") {
        std::puts(version_text().c_str());
        return 0;
    }
    // A closed pipe (`llmops prompt log | head`) is reported by write() as EPIPE and handled.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "llmops: internal error: %s\n", e.what());
        return cmd::k_exit_runtime;
    }
}
