// The llmops binary: one table of command groups, and the one place that prints errors and
// picks exit codes.

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "cli.hpp"

#include <llmops/util/build_info.hpp>

namespace {

using namespace llmops;

struct CommandGroup {
    const char* name;
    void (*add)(CLI::App&, cmd::Context&);
};

// The command table. Help text lives with each registration, in the command's own file.
constexpr CommandGroup k_commands[] = {
    {"init", cmd::register_init},
    {"prompt", cmd::register_prompt},
    {"fsck", cmd::register_fsck},
};

std::string version_text() {
    return fmt::format("llmops {} (commit {})", util::version(), util::git_commit());
}

int exit_code_for(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_input:
    case ErrorCode::not_found:
    case ErrorCode::conflict:
        return cmd::k_exit_usage;
    case ErrorCode::io:
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::rate_limited:
    case ErrorCode::provider:
    case ErrorCode::internal:
        return cmd::k_exit_runtime;
    }
    return cmd::k_exit_runtime;
}

void print_error(std::string_view message) {
    std::fflush(stdout);
    std::fprintf(stderr, "llmops: error: %.*s\n", static_cast<int>(message.size()),
                 message.data());
}

int run(int argc, char** argv) {
    CLI::App app{"llmops: version prompts like code, run evals, diff cost and quality", "llmops"};
    app.set_version_flag("--version", version_text());
    app.require_subcommand(1);
    app.fallthrough();
    cmd::Context ctx;
    app.add_option("--dir", ctx.dir,
                   "Project root or its .llmops folder (default: found by walking up)")
        ->envname("LLMOPS_DIR");
    for (const auto& group : k_commands) {
        group.add(app, ctx);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        if (message.empty()) {
            message = "invalid command line";
        }
        print_error(fmt::format("{} (see 'llmops --help')", message));
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
