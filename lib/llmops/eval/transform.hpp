#pragma once
// promptfoo's transforms (src/util/transform.ts): JavaScript run on an answer's output, a test's
// `options.transform` (also in defaultTest: the output the assertions and the store see) or an
// assertion's `transform` (the output that assertion alone sees). Inline code (an expression, or
// a function body with `return` when it has several lines) or `file://x.js[:function]`, called
// with `output` and `context` {vars, prompt}, in the run's node worker (node_worker.hpp).

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <llmops/util/error.hpp>

namespace llmops::eval {

struct AssertionContext;

// The message for a transform without node, word for word.
inline constexpr std::string_view k_transform_node_missing =
    "'transform' needs node (apt-get install nodejs)";

// Checks a transform as written at `where`: a non-empty string, node on PATH, and for
// `file://x.js[:function]` a JavaScript file that exists under `base_dir`. Fails with
// `invalid_input` naming `where`. No side effects.
Expected<void> validate_transform(const nlohmann::json& value, std::string_view where,
                                  const std::filesystem::path& base_dir);

// What a transform returned: a string as it is, anything else as JSON.stringify writes it
// (`json` set: user code later gets the value back, as promptfoo hands it on).
struct TransformedOutput {
    std::string text;
    bool json = false;
};

// Runs `code` on `context.output` (the value, when `context.output_json`) with `arguments` as
// its `context` argument, in `context.node` (or a worker of its own), within
// `context.script_timeout_ms`. Fails with promptfoo's reason when it throws ("Error: Transform
// failed ([inline transform]: JSON.parse(output)): Unexpected token..."), returns null or
// undefined, or cannot be loaded; with `timeout`, `interrupted` or `io` as NodeWorker::call.
Expected<TransformedOutput> run_transform(const std::string& code, const nlohmann::json& arguments,
                                          const AssertionContext& context);

} // namespace llmops::eval
