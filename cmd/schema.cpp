// `llmops schema KIND`: the JSON Schema of a file llmops reads, for editors and CI checks.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"

#include <llmops/eval/suite_schema.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::cmd {

namespace {

// The kinds of file with a schema (one today; prompt files could follow).
const std::vector<std::string> k_schema_kinds = {"suite"};

} // namespace

void register_schema(CLI::App& app, Context& ctx) {
    auto kind = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(
        "schema", "Print the JSON Schema of a suite file (editor completion, CI checks)");
    // The type name carries the choices to the completions; the action checks them, with a
    // message of our own.
    sub->add_option("kind", *kind, "What the schema describes: " + util::join(k_schema_kinds, ", "))
        ->required()
        ->type_name("{" + util::join(k_schema_kinds, ",") + "}");
    sub->callback([&ctx, kind] {
        ctx.action = [kind]() -> Expected<int> {
            if (std::find(k_schema_kinds.begin(), k_schema_kinds.end(), *kind) ==
                k_schema_kinds.end()) {
                return fail(ErrorCode::invalid_input, "unknown schema '{}' (expected {}){}", *kind,
                            util::join(k_schema_kinds, ", "),
                            util::did_you_mean(*kind, k_schema_kinds));
            }
            return print_ok(eval::suite_schema_text());
        };
    });
}

} // namespace llmops::cmd
