#pragma once
// The `exec:` provider's protocol (SPEC §4): the user's program gets the request as JSON on
// stdin and answers on stdout, either plain text (the whole stdout is the output) or a JSON
// object {"output": "...", "tokenUsage"|"usage": {...}, "cost": 0.001, "finish_reason": "...",
// "context": "..." or ["chunk", ...]} (context: what a RAG app retrieved, for the RAG assertions)
// (promptfoo's ProviderResponse names are accepted: tokenUsage.prompt/completion/total).
// Pure functions; util/subprocess.hpp runs the program.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/provider/outcome.hpp>
#include <llmops/util/error.hpp>
#include <llmops/util/subprocess.hpp>

namespace llmops::provider {

// Parses an `exec:` provider id, or the part of it after the prefix, into argv
// ("exec:python3 app.py --mode 'a b'" → {"python3", "app.py", "--mode", "a b"}; shell quoting,
// no expansion: util::split_command_line). Fails with `invalid_input` naming the id for an empty
// command or an unterminated quote ("provider 'exec:app 'x': unterminated single quote").
Expected<std::vector<std::string>> parse_exec_argv(std::string_view id);

// The JSON written to the program's stdin: {"prompt": the messages' contents joined by blank
// lines, "messages": [{"role", "content"}], "model": request.model (may be empty), "params":
// the set parameters only (temperature, top_p, max_tokens, seed, stop, response_format, tools;
// the last two as JSON when they parse), "vars": `vars`, "config": `config` (the provider
// entry's config, secrets already removed); a null `vars` or `config` is sent as {}},
// serialised on one line followed by a newline. Invalid UTF-8 in the request becomes U+FFFD.
std::string exec_request_json(const CompletionRequest& request, const nlohmann::json& vars,
                              const nlohmann::json& config);

// Turns the finished process into a result. Fails with ErrorCode::provider and a one-line
// message naming `id`: "exec:./app.sh: exited with status 2: <last stderr line>" (the last
// non-blank line, at most 200 bytes; a failure with an empty stderr has no ": ..." part),
// "timed out after 5000 ms", "killed by signal 9 (SIGKILL)", "stdout is not valid UTF-8",
// "printed a JSON object without a string 'output'", "printed nothing" (an empty stdout is an
// error, a JSON {"output": ""} is not), "printed more than N bytes" (the capture cap), "reported
// an error: <text>" (a JSON object with a non-empty string 'error', as promptfoo's programs
// answer), "printed a JSON object whose 'cost' is not a non-negative number" (likewise for a
// mistyped tokenUsage/usage, a count in it, or finish_reason). A stdout starting with '{' that
// is not a valid JSON object is plain text. Plain text loses one trailing newline ("\n" or
// "\r\n"), as `print` adds it; a JSON output is taken as it is. Usage counts are read from
// tokenUsage or usage under any of the names input/prompt/prompt_tokens/input_tokens and
// output/completion/completion_tokens/output_tokens (plus cached_input, reasoning and total,
// which gives a missing input or output); usage missing from the answer is estimated
// (detail::estimate_usage) and marked so. finish_reason (or finishReason) defaults to "stop";
// `cost` (USD) becomes the outcome's cost, which is otherwise left unset for the caller to price;
// latency is the process's elapsed time.
Expected<CallOutcome> parse_exec_result(std::string_view id, const CompletionRequest& request,
                                        const util::ProcessResult& process, int64_t timeout_ms);

} // namespace llmops::provider
