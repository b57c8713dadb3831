// `llmops man`: the man page, in roff, generated from the command tree.

#include "cli.hpp"

#include <llmops/report/man_page.hpp>
#include <llmops/util/build_info.hpp>

namespace llmops::cmd {

void register_man(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand(
        "man", "Print the man page in roff (read it with: llmops man | man -l -)");
    sub->callback([&app, &ctx] {
        ctx.action = [&app]() -> Expected<int> {
            return print_ok(report::man_page(command_tree(app), util::version()));
        };
    });
}

} // namespace llmops::cmd
