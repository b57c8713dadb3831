#pragma once
// What the command files share: the global options, the chosen action, and output helpers.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include <llmops/report/command_tree.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/project.hpp>
#include <llmops/traces/spans.hpp>
#include <llmops/util/error.hpp>

// Declared, not included: prompt_report.hpp and run_report.hpp pull most of the library (the
// runner, the store, nlohmann::json) into every command file, which took 10 s of compiling for a
// 20-line man.cpp. A command file that uses these types includes their header itself.
namespace llmops::report {
enum class Colour;       // report/prompt_report.hpp
enum class ExportFormat; // report/run_report.hpp
} // namespace llmops::report

namespace llmops::cmd {

// Exit codes (SPEC §12).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_gate = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_runtime = 3;
inline constexpr int k_exit_interrupted = 130;

// Type names of values that shell completion fills in (`->type_name(k_value_run)`); --help
// shows them too. See value_kind() in completion.cpp.
inline constexpr const char* k_value_prompt = "PROMPT"; // a prompt name
inline constexpr const char* k_value_ref = "REF";       // a prompt ref: name, name@3, name@label
inline constexpr const char* k_value_run = "RUN";       // a run ref: 12, latest, latest~1, a tag
inline constexpr const char* k_value_label = "LABEL";   // a label name
inline constexpr const char* k_value_dir = "DIR";       // a directory

// Global options and the action that parsing selected. Each command registers a callback that
// stores its action here; main() runs it and turns its result into an exit code.
struct Context {
    std::optional<std::string> dir; // --dir (or LLMOPS_DIR)
    std::string command_line;       // the arguments as typed, for run provenance
    std::function<Expected<int>()> action;

    // Finds the project from --dir / LLMOPS_DIR or by walking up from the working directory.
    Expected<store::Project> project() const;
};

// An open project: where it is and its store.
struct OpenProject {
    store::Project project;
    store::Database db;
};
Expected<OpenProject> open_project(const Context& ctx);

// The project when there is one (nullopt when none is found), for commands that also work
// without one. Fails when a project is found but its store cannot be opened.
Expected<std::optional<OpenProject>> open_project_if_any(const Context& ctx);

// Opens the project for a command that stores runs (eval, judge calibrate), creating one in the
// working directory (with a note on stderr) when none is found and --dir is not given.
Expected<OpenProject> open_or_create_project(const Context& ctx);

// Opens the project for a command that changes the store. Fails with `io` and a message saying
// so when this user cannot write to the store (read commands still work there).
Expected<OpenProject> open_project_for_writing(const Context& ctx);

// Writes `text` to stdout. A closed pipe ends the program quietly (exit 0); any other failure
// is an `io` error.
Expected<void> print(std::string_view text);

// Prints `text` and returns `code`: the tail of most commands.
inline Expected<int> print_ok(std::string_view text, int code = k_exit_ok) {
    if (auto ok = print(text); !ok) {
        return fail(ok.error());
    }
    return code;
}

// The report format of each `-o` (`format`: the --format of `-o -`, standard output, which may
// appear once). Fails with `invalid_input` as report::export_format_for does.
Expected<std::vector<report::ExportFormat>>
export_formats(const std::vector<std::string>& outputs, const std::optional<std::string>& format);

// The concurrency that fits the open-file limit: raises `ulimit -n` toward its hard limit for
// `concurrency` calls, and when even that is too low, returns a lower concurrency and prints a
// warning naming the limit (each call in flight may hold a socket or a program's pipes).
int fit_concurrency(int concurrency);

// Writes run `run_id` to every output in `outputs` (in `formats`), all of them even when one
// fails (a full disk for one report still leaves the others), and returns the failures.
// `content`: whether OTLP exports carry prompts, outputs and variables.
std::vector<Error> export_reports(store::Database& db, int64_t run_id,
                                  const std::vector<report::ExportFormat>& formats,
                                  const std::vector<std::string>& outputs,
                                  traces::Content content = traces::Content::off);

// Prints each of `failures` on stderr as main() prints an error, and returns k_exit_runtime when
// there was one, else `code`: reports are reported after the summary they follow.
int report_failures(const std::vector<Error>& failures, int code);

// Runs `body` as the command's action once parsing chose this subcommand.
template <typename Body>
void on_run(CLI::App* sub, Context& ctx, Body body) {
    sub->callback([&ctx, body] { ctx.action = [&ctx, body] { return body(ctx); }; });
}

// Whether stdout gets colour (a terminal and no NO_COLOR).
report::Colour stdout_colour();

// Ctrl-C handling for commands that call providers (SPEC §4): while an InterruptGuard lives,
// the first SIGINT (or SIGTERM, or SIGHUP when the terminal closes) sets a flag that
// `interrupted()` reports, so the command stops starting calls and keeps every finished result;
// a second one exits at once with 130 (SQLite's transactions keep the store consistent, and the
// run, whose writer is then gone, reads as interrupted).
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard(); // restores the previous handlers
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
    static bool interrupted();
};

// The command tree of `app` as data, for completions and the man page: every command that is
// not hidden, its options (-h/--help included) and positional arguments.
report::CommandInfo command_tree(const CLI::App& app);

// Registration functions, one per command file; main.cpp's table lists them.
void register_init(CLI::App& app, Context& ctx);
void register_fsck(CLI::App& app, Context& ctx);
void register_prompt(CLI::App& app, Context& ctx);
void register_prices(CLI::App& app, Context& ctx);
void register_ask(CLI::App& app, Context& ctx);
void register_cache(CLI::App& app, Context& ctx);
void register_eval(CLI::App& app, Context& ctx);
void register_runs(CLI::App& app, Context& ctx);
void register_diff(CLI::App& app, Context& ctx);
void register_stats(CLI::App& app, Context& ctx);
void register_judge(CLI::App& app, Context& ctx);
void register_completion(CLI::App& app, Context& ctx); // and the hidden __complete
void register_man(CLI::App& app, Context& ctx);
void register_schema(CLI::App& app, Context& ctx);
void register_traces(CLI::App& app, Context& ctx);
void register_advise(CLI::App& app, Context& ctx);
void register_ab(CLI::App& app, Context& ctx);
void register_usage(CLI::App& app, Context& ctx);
void register_metrics(CLI::App& app, Context& ctx);
void register_remote(CLI::App& app, Context& ctx);
void register_push(CLI::App& app, Context& ctx);
void register_pull(CLI::App& app, Context& ctx);

// Sets every command's --help footer to its examples (cmd/examples.cpp).
void add_help_examples(CLI::App& app);

} // namespace llmops::cmd
