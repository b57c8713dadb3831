// `llmops eval SUITE`: run a suite's matrix through the providers, store every result, print
// the summary and the failures, write the reports, and exit with a code CI can gate on
// (SPEC §7, §10, §12).

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>

#include "cli.hpp"

#include <llmops/eval/trace_cases.hpp>
#include <llmops/online/window.hpp>

#include <llmops/eval/inputs.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/runner.hpp>
#include <llmops/eval/suite.hpp>
#include <llmops/eval/validate.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/report/estimate_report.hpp>
#include <llmops/report/grid_report.hpp>
#include <llmops/report/run_report.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/traces/exporter.hpp>
#include <llmops/util/dotenv.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/money.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

namespace {

struct EvalOptions {
    std::string suite;
    std::optional<std::string> config; // promptfoo's -c
    bool validate = false;
    int concurrency = 4;
    bool concurrency_given = false; // -j on the command line (else the suite's maxConcurrency)
    std::optional<int> repeat;
    bool no_cache = false;
    std::optional<std::string> record;
    std::optional<std::string> filter_pattern;
    std::optional<int64_t> first_n;
    std::optional<int64_t> sample;
    uint64_t seed = 0;
    std::optional<std::string> failing;
    std::optional<std::string> shard;
    std::optional<std::string> resume;
    std::optional<double> max_cost;
    std::optional<int64_t> max_errors;
    int64_t max_connection_failures = 20;
    std::optional<double> min_pass_rate;
    std::vector<std::string> outputs;
    std::optional<std::string> format; // of `-o -`
    bool json = false;
    bool no_progress = false;
    bool grid = false;
    bool estimate = false;
    std::optional<std::string> judge;
    std::optional<int> judge_samples;
    std::optional<std::string> filter_prompts;   // promptfoo's --filter-prompts
    std::optional<std::string> filter_providers; // promptfoo's --filter-providers/--filter-targets
    std::optional<std::string> env_file;         // promptfoo's --env-file
    std::vector<std::string> vars;               // promptfoo's --var NAME=VALUE
    std::optional<int64_t> delay_ms;             // promptfoo's --delay
    std::optional<std::string> otlp_endpoint;    // export the calls as OTLP spans
    bool otlp_content = false;                   // with prompts, outputs and variables
};

Expected<std::pair<int, int>> parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    int index = 0;
    int count = 0;
    if (slash != std::string::npos) {
        try {
            size_t used = 0;
            index = std::stoi(text.substr(0, slash), &used);
            count = std::stoi(text.substr(slash + 1));
        } catch (const std::exception&) {
            index = 0;
        }
    }
    if (index < 1 || count < 1 || index > count) {
        return fail(ErrorCode::invalid_input, "--shard '{}': expected I/N with 1 <= I <= N", text);
    }
    return std::pair{index, count};
}

// A one-line progress display on stderr, redrawn at most ten times a second.
// What the OTLP export needs of the run beside each result: its number, start and variants,
// read from the store once, when the first result arrives (the run row exists by then).
struct OtlpRun {
    std::optional<store::RunRecord> run;

    void add(traces::SpanExporter& exporter, store::Database& db, int64_t run_id,
             const store::ResultRecord& r) {
        if (!run || run->id != run_id) {
            auto loaded = store::load_run(db, run_id);
            if (!loaded) {
                return; // the run's own write would fail too, and say so
            }
            run = std::move(*loaded);
        }
        for (const auto& v : run->variants) {
            if (v.index == r.variant) {
                exporter.add({run->id, run->started_at}, v, r);
                return;
            }
        }
    }
};

// Where `eval --otlp-endpoint` (or the OpenTelemetry environment variables) sends the calls, when
// an export is asked for. Fails (exit 2) for a bad endpoint or header variable, before any call.
Expected<std::optional<traces::ExportTarget>> otlp_target(const EvalOptions& o) {
    auto target = LLMOPS_TRY(traces::otlp_target(o.otlp_endpoint, [](std::string_view name) {
        const char* value = std::getenv(std::string(name).c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    }));
    if (!target && o.otlp_content) {
        return fail(ErrorCode::invalid_input, "--otlp-content needs an endpoint: --otlp-endpoint "
                                              "URL or OTEL_EXPORTER_OTLP_ENDPOINT");
    }
    return target;
}

// The exporter of `target`, if any: spans carry content with --otlp-content, and never the
// environment's keys.
std::unique_ptr<traces::SpanExporter> start_otlp_export(std::optional<traces::ExportTarget> target,
                                                        const EvalOptions& o) {
    if (!target) {
        return nullptr;
    }
    return std::make_unique<traces::SpanExporter>(
        std::move(*target), o.otlp_content ? traces::Content::on : traces::Content::off,
        provider::environment_secrets(provider::process_env()));
}

// Waits for the export (at most its flush limit); spans it could not send cost one warning
// line, never the run's exit code.
void finish_otlp_export(traces::SpanExporter& exporter) {
    const auto outcome = exporter.finish();
    if (outcome.not_exported > 0) {
        std::fprintf(stderr, "llmops: warning: otlp: %lld spans not exported to %s: %s\n",
                     static_cast<long long>(outcome.not_exported), exporter.display_url().c_str(),
                     outcome.reason.c_str());
    }
}

class Progress {
public:
    Progress(bool enabled, int64_t planned) : m_enabled(enabled), m_planned(planned) {}
    ~Progress() { clear(); }

    void update(const eval::RunSummary& s) {
        if (!m_enabled) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        ++m_done;
        if (now - m_last < std::chrono::milliseconds(100) && m_done < m_planned) {
            return;
        }
        m_last = now;
        const int64_t pass = s.total(&eval::VariantSummary::pass);
        const int64_t fail = s.total(&eval::VariantSummary::fail);
        const int64_t errors = s.total(&eval::VariantSummary::errors);
        double spent = 0;
        for (const auto& v : s.variants) {
            spent += v.spent_usd;
        }
        const double elapsed = std::chrono::duration<double>(now - m_start).count();
        const double rate = elapsed > 0 ? static_cast<double>(m_done) / elapsed : 0;
        const double eta = rate > 0 ? static_cast<double>(m_planned - m_done) / rate : 0;
        const int width = 24;
        const int filled = m_planned > 0 ? static_cast<int>(width * m_done / m_planned) : width;
        std::string bar(static_cast<size_t>(std::clamp(filled, 0, width)), '#');
        bar.resize(width, '-');
        const std::string line = fmt::format(
            "\r[{}] {}/{}  pass {:.1f}%  errors {}  {}  ETA {}:{:02d} ", bar, m_done, m_planned,
            pass + fail > 0 ? 100.0 * static_cast<double>(pass) / static_cast<double>(pass + fail)
                            : 0.0,
            errors, util::format_usd(spent, {4, 4, 4, util::UsdZero::decimals}),
            static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
        std::fputs(line.c_str(), stderr);
        m_drawn = true;
    }

    void clear() {
        if (m_drawn) {
            std::fputs("\r\033[K", stderr);
            m_drawn = false;
        }
    }

private:
    bool m_enabled;
    int64_t m_planned;
    int64_t m_done = 0;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_last{};
};

// One line naming the judge when promptfoo's default grader was chosen from the API keys set,
// as promptfoo picks it, so nobody is surprised by whose model grades.
void note_default_judge(const eval::Suite& suite, const std::optional<std::string>& flag) {
    if (suite.judge_prompts.empty()) {
        return;
    }
    if (const auto chosen = eval::judge::fallback_judge(suite, flag, provider::process_env())) {
        std::fprintf(stderr,
                     "llmops: judge: %s, promptfoo's default grader, as %s is set (--grader "
                     "PROVIDER picks another)\n",
                     chosen->id.c_str(), chosen->because.c_str());
    }
}

// An empty store in memory: what a command reads where there is no project, writing nothing.
Expected<store::Database> empty_store() {
    auto db = LLMOPS_TRY(store::Database::open(":memory:", store::OpenMode::read_write));
    LLMOPS_TRY(store::migrate(db));
    return db;
}

// `--validate`: everything a run checks before its first call, and no call: every case is
// rendered against every prompt, the providers and the judge are created, the prices and the
// filters read. Every problem is printed (up to 20), exit 2. Nothing is written: without a
// project the store is an empty one in memory.
Expected<int> validate(const Context& ctx, const eval::Suite& suite, const eval::RunOptions& run) {
    auto open = LLMOPS_TRY(open_project_if_any(ctx));
    std::optional<store::Database> scratch;
    if (!open) {
        scratch = LLMOPS_TRY(empty_store());
    }
    store::Database& db = open ? open->db : *scratch;
    std::optional<std::filesystem::path> prices;
    if (open) {
        prices = open->project.dir / "prices.yaml";
    }
    auto v = LLMOPS_TRY(eval::validate_suite(db, suite, run, prices, provider::process_env()));
    if (!v.ok()) {
        for (const auto& problem : v.problems) {
            std::fprintf(stderr, "llmops: error: %s\n", problem.message().c_str());
        }
        if (v.more_problems > 0) {
            std::fprintf(stderr, "llmops: error: and %lld more problem(s)\n",
                         static_cast<long long>(v.more_problems));
        }
        return k_exit_usage;
    }
    LLMOPS_TRY(print(
        fmt::format("{}: ok: {} prompt(s) x {} provider(s) x {} case(s) x {} repeat(s) = "
                    "{} call(s)\n",
                    suite.path.string(), v.prompts, v.providers, v.cases, v.repeat, v.calls())));
    return k_exit_ok;
}

// The exit code when cases failed: 1, or PROMPTFOO_FAILED_TEST_EXIT_CODE when set to a number
// from 0 to 255 (promptfoo exits 100 by default; a CI script written for it sets this).
int failed_cases_exit() {
    const char* text = std::getenv("PROMPTFOO_FAILED_TEST_EXIT_CODE");
    if (text == nullptr || *text == '\0') {
        return k_exit_gate;
    }
    int code = 0;
    const char* end = text + std::strlen(text);
    if (auto [at, ec] = std::from_chars(text, end, code);
        ec != std::errc() || at != end || code < 0 || code > 255) {
        std::fprintf(stderr,
                     "llmops: warning: PROMPTFOO_FAILED_TEST_EXIT_CODE='%s' is not an exit code "
                     "(0-255): exiting 1\n",
                     text);
        return k_exit_gate;
    }
    return code;
}

// The exit code of a finished run (SPEC §12): 130 interrupted, 3 errors past --max-errors (or
// any error without it, or nothing judged), 1 a gate failed (or any failing case without an
// explicit gate), 0 otherwise.
int exit_code_for(const eval::RunSummary& s, const EvalOptions& o, const eval::Suite& suite,
                  std::vector<std::string>& notes) {
    if (s.interrupted) {
        // The text summary's notes say it already: the hint is printed once.
        if (o.json) {
            notes.push_back("interrupted: finished results are stored; 'llmops eval --resume " +
                            std::to_string(s.run_id) + "' completes the run");
        }
        return k_exit_interrupted;
    }
    const int64_t errors = s.total(&eval::VariantSummary::errors);
    const int64_t judged =
        s.total(&eval::VariantSummary::pass) + s.total(&eval::VariantSummary::fail);
    if (s.stopped_by_cost) {
        notes.push_back(
            fmt::format("stopped: --max-cost ${} reached; calls not started were skipped "
                        "(finished results are stored)",
                        *o.max_cost));
        return k_exit_runtime;
    }
    if (s.stopped_by_connection) {
        notes.push_back(fmt::format(
            "stopped: {} calls in a row could not reach their provider (is it down?); calls not "
            "started were skipped, finished results are stored; 'llmops eval --resume {}' "
            "completes the run",
            o.max_connection_failures, s.run_id));
        return k_exit_runtime;
    }
    if (judged == 0 && errors > 0) {
        notes.push_back("every result is an error: nothing passed or failed");
        return k_exit_runtime;
    }
    if (errors > o.max_errors.value_or(0)) {
        notes.push_back(fmt::format("{} error(s){}; errors are not passes or failures", errors,
                                    o.max_errors
                                        ? fmt::format(", past --max-errors {}", *o.max_errors)
                                        : std::string(" (allow some with --max-errors N)")));
        return k_exit_runtime;
    }
    const std::optional<double> gate = o.min_pass_rate ? o.min_pass_rate : suite.threshold;
    if (gate) {
        for (const auto& v : s.variants) {
            if (v.pass + v.fail > 0 && v.pass_rate() + 1e-12 < *gate) {
                notes.push_back(
                    fmt::format("gate failed: '{}' passed {:.1f}%, below the {:.1f}% required",
                                v.label, 100 * v.pass_rate(), 100 * *gate));
                return failed_cases_exit();
            }
        }
        return k_exit_ok;
    }
    if (s.total(&eval::VariantSummary::fail) > 0) {
        return failed_cases_exit();
    }
    return k_exit_ok;
}

// `eval --estimate`: what the run would cost, with nothing called.
Expected<int> estimate(store::Database& db, const store::Project& project, const eval::Suite& suite,
                       const eval::RunOptions& run, bool as_json) {
    auto e = LLMOPS_TRY(eval::estimate_suite(db, project, suite, run));
    if (as_json) {
        return print_ok(e.to_json().dump(2) + "\n");
    }
    return print_ok(report::estimate_text(e, run.suite_display_path));
}

// The suite file: as given, else the one `--resume RUN` ran, else llmops.yaml or promptfoo's
// promptfooconfig.yaml (or .yml) here.
Expected<std::string> find_suite(const Context& ctx, const EvalOptions& o) {
    std::string suite_path = o.config.value_or(o.suite);
    if (suite_path.empty() && o.resume) {
        // `--resume RUN` alone runs the suite that run ran.
        auto open = LLMOPS_TRY(open_project(ctx));
        auto id = LLMOPS_TRY(store::resolve_run(open.db, *o.resume));
        auto stored = LLMOPS_TRY(store::load_run(open.db, id));
        suite_path = stored.provenance.value("suite_file", stored.suite_path);
    }
    if (suite_path.empty()) {
        for (const char* name :
             {"llmops.yaml", "llmops.yml", "promptfooconfig.yaml", "promptfooconfig.yml"}) {
            if (std::filesystem::exists(name)) {
                suite_path = name;
                break;
            }
        }
        if (suite_path.empty()) {
            return fail(ErrorCode::invalid_input,
                        "no suite given and no llmops.yaml or promptfooconfig.yaml here");
        }
    }
    return suite_path;
}

// `--env-file FILE`, else the `.env` beside the suite (as promptfoo loads one): every variable
// it sets that the environment does not already hold is set.
Expected<void> load_env_file(const EvalOptions& o, const std::string& suite_path) {
    std::filesystem::path file = std::filesystem::path(suite_path).parent_path() / ".env";
    if (o.env_file) {
        file = *o.env_file;
        if (!std::filesystem::exists(file)) {
            return fail(ErrorCode::not_found, "--env-file '{}' does not exist", *o.env_file);
        }
    } else if (!std::filesystem::exists(file)) {
        return {};
    }
    const std::string text = LLMOPS_TRY(util::read_file(file));
    for (const auto& [name, value] : LLMOPS_TRY(util::parse_dotenv(text, file.string()))) {
        ::setenv(name.c_str(), value.c_str(), 0); // 0: what is set already wins
    }
    return {};
}

// A suite grading production calls gets its cases from the project's store: the calls its
// `tests.traces` selects, its `since` and `until` read against the clock now.
Expected<void> load_traces(const Context& ctx, eval::Suite& suite) {
    const eval::TraceQuery& q = *suite.traces;
    const int64_t now = online::now_unix_ns();
    const auto since = LLMOPS_TRY(online::parse_time_bound(q.since, q.where + ".since", now));
    const auto until = LLMOPS_TRY(online::parse_time_bound(q.until, q.where + ".until", now));
    auto open = LLMOPS_TRY(open_project(ctx));
    return eval::load_trace_cases(open.db, suite, since, until);
}

// The suite with the command line applied: `--var`, `--filter-prompts`, `--filter-providers`;
// a suite grading production calls gets its cases.
Expected<eval::Suite> load_for_run(const Context& ctx, const EvalOptions& o,
                                   const std::string& suite_path) {
    eval::LoadOptions load;
    for (const auto& assignment : o.vars) {
        const auto eq = assignment.find('=');
        if (eq == std::string::npos || eq == 0) {
            return fail(ErrorCode::invalid_input, "--var '{}': expected NAME=VALUE", assignment);
        }
        load.vars[assignment.substr(0, eq)] = assignment.substr(eq + 1);
    }
    auto suite = LLMOPS_TRY(eval::load_suite(suite_path, load));
    LLMOPS_TRY(eval::filter_suite(suite, o.filter_prompts, o.filter_providers));
    if (suite.traces) {
        LLMOPS_TRY(load_traces(ctx, suite));
    }
    return suite;
}

Expected<int> eval_command(const Context& ctx, const EvalOptions& given) {
    EvalOptions o = given;
    const std::string suite_path = LLMOPS_TRY(find_suite(ctx, o));
    LLMOPS_TRY(load_env_file(o, suite_path));
    auto suite = LLMOPS_TRY(load_for_run(ctx, o, suite_path));
    if (o.outputs.empty()) {
        o.outputs = suite.output_paths; // promptfoo's outputPath; -o replaces it
    }
    if (o.delay_ms && *o.delay_ms > 0) {
        o.concurrency = 1;
    } else if (!o.concurrency_given && suite.max_concurrency) {
        o.concurrency = *suite.max_concurrency; // evaluateOptions.maxConcurrency
    }
    for (const auto& w : suite.warnings) {
        std::fprintf(stderr, "llmops: warning: %s\n", w.c_str());
    }
    eval::RunOptions run;
    run.concurrency = o.concurrency;
    run.cache_mode = o.no_cache ? provider::CacheMode::refresh : provider::CacheMode::use;
    if (o.record) {
        run.record = *o.record;
    }
    run.repeat = o.repeat;
    run.max_cost = o.max_cost;
    run.max_errors = o.max_errors;
    run.max_connection_failures = o.max_connection_failures;
    run.judge = o.judge;
    run.judge_samples = o.judge_samples;
    run.command_line = ctx.command_line;
    run.suite_display_path = suite_path;
    run.filter.pattern = o.filter_pattern;
    run.filter.first_n = o.first_n;
    run.filter.sample = o.sample;
    run.filter.seed = o.seed;
    if (o.shard) {
        run.filter.shard = LLMOPS_TRY(parse_shard(*o.shard));
    }
    auto formats = LLMOPS_TRY(export_formats(o.outputs, o.format));
    auto otlp_target_given = LLMOPS_TRY(otlp_target(o));
    // `-o -` makes the report the data on stdout: the summary tables move to stderr.
    const bool report_on_stdout =
        std::find(o.outputs.begin(), o.outputs.end(), "-") != o.outputs.end();
    if (report_on_stdout && o.json) {
        return fail(ErrorCode::invalid_input,
                    "-o - and --json both write to standard output; use one of them");
    }
    if (o.grid && o.json) {
        return fail(ErrorCode::invalid_input,
                    "--grid prints a table and --json a document; use one of them");
    }
    // No report may be written over what the run reads: checked before anything is created.
    {
        auto found = ctx.project();
        const std::filesystem::path store_dir =
            found ? found->dir : std::filesystem::current_path() / store::k_store_dir_name;
        auto inputs = eval::input_files(suite);
        LLMOPS_TRY(eval::check_outputs(o.outputs, inputs, store_dir));
        if (o.record) {
            for (const auto& out : o.outputs) {
                inputs.push_back({out, "a report of the run"});
            }
            LLMOPS_TRY(eval::check_outputs({*o.record}, inputs, store_dir, "--record"));
        }
    }
    note_default_judge(suite, o.judge);
    if (o.validate) {
        return validate(ctx, suite, run);
    }
    if (!ctx.project() && !o.estimate) { // a missing key must not leave .llmops/ behind
        auto scratch = LLMOPS_TRY(empty_store());
        LLMOPS_TRY(eval::check_configuration(scratch, suite, run, provider::process_env()));
    }
    auto open = LLMOPS_TRY(open_or_create_project(ctx));
    if (o.failing && std::filesystem::is_regular_file(*o.failing)) {
        run.filter.failing_file = *o.failing; // a results file, as promptfoo's flag takes
    } else if (o.failing) {
        run.filter.failing_run = LLMOPS_TRY(store::resolve_run(open.db, *o.failing));
    }
    if (o.resume) {
        run.resume_run = LLMOPS_TRY(store::resolve_run(open.db, *o.resume));
    }
    if (o.estimate) {
        return estimate(open.db, open.project, suite, run, o.json);
    }
    const bool tty = ::isatty(STDERR_FILENO) == 1 && !o.no_progress;
    const int64_t planned =
        static_cast<int64_t>(suite.prompts.size() * suite.providers.size() * suite.tests.size()) *
        run.repeat.value_or(suite.repeat);
    Progress progress(tty, planned);
    run.concurrency = fit_concurrency(run.concurrency);
    auto otlp = start_otlp_export(std::move(otlp_target_given), o);
    OtlpRun otlp_run;
    InterruptGuard guard;
    auto summary = eval::run_suite(
        open.db, open.project, suite, run,
        [&](const store::ResultRecord& r, const eval::RunSummary& s) {
            progress.update(s);
            if (otlp) {
                otlp_run.add(*otlp, open.db, s.run_id, r);
            }
            // --delay, as promptfoo waits: after each answer not from the cache, with one call
            // at a time, so the next call waits too.
            if (o.delay_ms && *o.delay_ms > 0 && !r.cached) {
                std::this_thread::sleep_for(std::chrono::milliseconds(*o.delay_ms));
            }
        },
        [] { return InterruptGuard::interrupted(); });
    progress.clear();
    if (otlp) {
        finish_otlp_export(*otlp);
    }
    if (!summary) {
        return fail(summary.error());
    }
    for (const auto& w : summary->warnings) {
        std::fprintf(stderr, "llmops: warning: %s\n", w.c_str());
    }
    // The reports come first: whatever the verdict, the results are written out. One that
    // cannot be written stops neither the others nor the summary; it is reported at the end.
    const auto report_errors = export_reports(open.db, summary->run_id, formats, o.outputs);
    std::vector<std::string> notes;
    const int code = exit_code_for(*summary, o, suite, notes);
    if (o.json) {
        nlohmann::json doc = summary->to_json();
        doc["exit_code"] = code;
        doc["notes"] = notes;
        LLMOPS_TRY(print(doc.dump(2) + "\n"));
    } else {
        const auto colour = report_on_stdout ? report::Colour::off : stdout_colour();
        auto failures =
            LLMOPS_TRY(report::failures_text(open.db, summary->run_id, 20, 400, colour));
        const size_t width = util::terminal_width(report_on_stdout ? stderr : stdout);
        std::string text = failures;
        if (o.grid) {
            const report::GridOptions grid{report::GridFormat::terminal, width, colour};
            text += LLMOPS_TRY(report::run_grid(open.db, summary->run_id, grid)) + "\n";
        }
        text += report::run_summary_text(*summary, colour, width);
        if (report_on_stdout) {
            std::fflush(stdout);
            std::fputs(text.c_str(), stderr);
        } else {
            LLMOPS_TRY(print(text));
        }
    }
    std::fflush(stdout); // the report first, then the notes, when both go to one place
    for (const auto& note : notes) {
        std::fprintf(stderr, "llmops: %s\n", note.c_str());
    }
    std::fprintf(stderr, "llmops: run %lld stored (llmops runs show %lld)\n",
                 static_cast<long long>(summary->run_id), static_cast<long long>(summary->run_id));
    return report_failures(report_errors, code);
}

// The options that choose which cases run.
void add_selection_options(CLI::App& sub, EvalOptions& o) {
    sub.add_option("--filter-pattern", o.filter_pattern,
                   "Only cases whose id or description matches this regex");
    sub.add_option("--first-n,--filter-first-n", o.first_n, "Only the first N cases")
        ->check(CLI::PositiveNumber);
    sub.add_option("--sample,--filter-sample", o.sample, "N cases drawn at random (see --seed)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--seed", o.seed, "Seed of --sample (default 0)");
    sub.add_option("--failing,--filter-failing", o.failing,
                   "Only cases that failed or errored in RUN (a stored run, or a results "
                   "file: an exported run or promptfoo's -o results.json)")
        ->type_name(k_value_run);
    sub.add_option("--shard", o.shard, "I/N: this job's share of the cases (CI matrix)");
}

// The options promptfoo's `eval` has and llmops' did not (its others are aliases above).
void add_promptfoo_options(CLI::App& sub, EvalOptions& o) {
    sub.add_option("--filter-prompts", o.filter_prompts,
                   "Only the prompts whose label, id or file matches this regex");
    sub.add_option("--filter-providers,--filter-targets", o.filter_providers,
                   "Only the providers whose id or label matches this regex");
    sub.add_option("--env-file,--env-path", o.env_file,
                   "Read variables from this file instead of the suite folder's .env (never "
                   "over variables already set)");
    sub.add_option("--var", o.vars, "Set a variable of every case: NAME=VALUE (repeatable)");
    sub.add_option("--delay", o.delay_ms,
                   "Wait MS milliseconds after each call (one call at a time)")
        ->check(CLI::NonNegativeNumber);
}

} // namespace

void register_eval(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<EvalOptions>();
    auto* sub = app.add_subcommand("eval", "Run a suite: prompts x providers x cases x repeats");
    sub->add_option("suite", o->suite,
                    "The suite file (default: llmops.yaml or promptfooconfig.yaml)");
    sub->add_option("-c,--config", o->config, "The suite file (promptfoo's spelling)");
    sub->add_flag("--validate", o->validate,
                  "Check the suite, its datasets and prompts; call nothing");
    auto* jobs = sub->add_option("-j,--max-concurrency", o->concurrency,
                                 "Calls in flight at once (default: the suite's "
                                 "evaluateOptions.maxConcurrency, else 4)")
                     ->check(CLI::Range(1, 1024));
    sub->add_option("--repeat", o->repeat, "Run every case N times (over the suite's repeat)")
        ->check(CLI::Range(1, 1000));
    sub->add_flag("--no-cache", o->no_cache,
                  "Call the providers even for cached answers (and refresh the cache)");
    sub->add_option("--record", o->record, "Append every answer to a replay file (JSONL)");
    add_selection_options(*sub, *o);
    sub->add_option("--resume", o->resume, "Complete RUN (interrupted, or with errors to retry)")
        ->type_name(k_value_run);
    sub->add_option("--max-cost", o->max_cost, "Stop starting calls once this many USD are spent")
        ->check(CLI::PositiveNumber);
    sub->add_option("--max-errors", o->max_errors, "Errors tolerated before the run fails (exit 3)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--max-connection-failures", o->max_connection_failures,
                    "Stop after N calls in a row could not reach their provider (default 20; 0: "
                    "never)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--min-pass-rate", o->min_pass_rate,
                    "Gate: every variant passes at least this share (0-1)")
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("-o,--output", o->outputs,
                    "Write a report: .json, .jsonl, .csv, .xml (JUnit), .md, .html; - for stdout "
                    "with --format (repeatable)");
    sub->add_option("--format", o->format, "The format of -o -: json, jsonl, csv, xml, md or html")
        ->check(CLI::IsMember({"json", "jsonl", "csv", "xml", "junit", "md", "markdown", "html"}));
    sub->add_flag("--json", o->json, "Print the summary as JSON instead of tables");
    sub->add_flag("--no-progress,--no-progress-bar", o->no_progress,
                  "No progress bar, even on a terminal");
    sub->add_flag("--grid", o->grid,
                  "After the run, print the grid: a row per case, its inputs and each variant's "
                  "output");
    sub->add_option("--judge,--grader", o->judge,
                    "Judge model of the model-graded assertions (over the suite's judge.provider "
                    "and LLMOPS_JUDGE)");
    sub->add_option("--judge-samples", o->judge_samples,
                    "Ask the judge N times per assertion (majority or mean)")
        ->check(CLI::Range(1, 25));
    sub->add_flag("--estimate", o->estimate, "Print the expected cost without calling anything");
    sub->add_option("--otlp-endpoint", o->otlp_endpoint,
                    "Export every model and judge call as an OpenTelemetry span to this OTLP/HTTP "
                    "URL (over OTEL_EXPORTER_OTLP_ENDPOINT; see docs/otlp.md)");
    sub->add_flag("--otlp-content", o->otlp_content,
                  "Include prompts, outputs and variables in the exported spans");
    add_promptfoo_options(*sub, *o);
    sub->callback([&ctx, o, jobs] {
        o->concurrency_given = jobs->count() > 0;
        ctx.action = [&ctx, o] { return eval_command(ctx, *o); };
    });
}

} // namespace llmops::cmd
