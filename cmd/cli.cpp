#include "cli.hpp"

#include <llmops/util/process_info.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <unistd.h>

#include <llmops/report/prompt_report.hpp>
#include <llmops/report/run_report.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/subprocess.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

Expected<store::Project> Context::project() const {
    std::optional<std::filesystem::path> override_dir;
    if (dir) {
        override_dir = *dir;
    }
    return store::find_project(std::filesystem::current_path(), override_dir);
}

Expected<OpenProject> open_project(const Context& ctx) {
    auto project = LLMOPS_TRY(ctx.project());
    auto db = LLMOPS_TRY(store::open_store(project));
    return OpenProject{std::move(project), std::move(db)};
}

Expected<std::optional<OpenProject>> open_project_if_any(const Context& ctx) {
    if (!ctx.project()) {
        return std::optional<OpenProject>();
    }
    auto opened = LLMOPS_TRY(open_project(ctx));
    return std::optional<OpenProject>(std::move(opened));
}

Expected<OpenProject> open_project_for_writing(const Context& ctx) {
    auto project = LLMOPS_TRY(ctx.project());
    // SQLite would say "attempt to write a readonly database" half-way through; say it plainly
    // up front. SQLite needs the folder writable too, for its -wal and -shm files. A missing
    // store file is left to open_store, which names it.
    std::error_code ec;
    for (const auto& path : {project.dir, project.db_path()}) {
        if (std::filesystem::exists(path, ec) && ::access(path.c_str(), W_OK) != 0) {
            return fail(ErrorCode::io,
                        "cannot change the store: '{}' is not writable ({}); read commands "
                        "still work",
                        path.string(), std::strerror(errno));
        }
    }
    auto db = LLMOPS_TRY(store::open_store(project));
    return OpenProject{std::move(project), std::move(db)};
}

Expected<std::vector<report::ExportFormat>>
export_formats(const std::vector<std::string>& outputs, const std::optional<std::string>& format) {
    if (std::count(outputs.begin(), outputs.end(), "-") > 1) {
        return fail(ErrorCode::invalid_input,
                    "-o - appears twice: standard output takes one report");
    }
    std::vector<report::ExportFormat> formats;
    for (const auto& out : outputs) {
        formats.push_back(LLMOPS_TRY(report::export_format_for(out, format)));
    }
    return formats;
}

int fit_concurrency(int concurrency) {
    // A call in flight holds a socket, or an exec: program's three pipes; the store, the cache
    // and libcurl keep a few more open.
    constexpr int64_t k_files_per_call = 2;
    constexpr int64_t k_files_reserved = 64;
    const int64_t wanted = concurrency * k_files_per_call + k_files_reserved;
    const auto limit = util::ensure_open_files(wanted);
    if (limit.soft >= wanted) {
        return concurrency;
    }
    const int fits =
        static_cast<int>(std::max<int64_t>(1, (limit.soft - k_files_reserved) / k_files_per_call));
    std::fprintf(stderr,
                 "llmops: warning: -j %d needs about %lld open files, but ulimit -n is %lld (hard "
                 "limit %lld): running with -j %d (raise it with 'ulimit -n %lld')\n",
                 concurrency, static_cast<long long>(wanted), static_cast<long long>(limit.soft),
                 static_cast<long long>(limit.hard), fits, static_cast<long long>(wanted));
    return fits;
}

std::vector<Error> export_reports(store::Database& db, int64_t run_id,
                                  const std::vector<report::ExportFormat>& formats,
                                  const std::vector<std::string>& outputs,
                                  traces::Content content) {
    std::vector<Error> failures;
    for (size_t i = 0; i < outputs.size(); ++i) {
        if (auto ok = report::export_run(db, run_id, formats[i], outputs[i], content); !ok) {
            failures.push_back(ok.error());
        }
    }
    return failures;
}

int report_failures(const std::vector<Error>& failures, int code) {
    for (const auto& failure : failures) {
        std::fprintf(stderr, "llmops: error: %s\n", failure.message().c_str());
    }
    return failures.empty() ? code : k_exit_runtime;
}

Expected<void> print(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
        if (errno == EPIPE) {
            std::exit(0);
        }
        return fail(ErrorCode::io, "cannot write to standard output: {}", std::strerror(errno));
    }
    return {};
}

namespace {

// The one piece of mutable global state: a signal handler can reach nothing else.
volatile std::sig_atomic_t g_interrupts = 0;
struct sigaction g_previous_int;
struct sigaction g_previous_term;
struct sigaction g_previous_hup;

extern "C" void on_interrupt(int) {
    g_interrupts = g_interrupts + 1;
    if (g_interrupts >= 2) {
        util::kill_running_children(); // exec: programs and script assertions go with us
        _exit(k_exit_interrupted);
    }
    static constexpr char k_message[] =
        "\nllmops: interrupted: finishing the calls in flight (Ctrl-C again to quit now)\n";
    (void)!::write(STDERR_FILENO, k_message, sizeof(k_message) - 1);
}

} // namespace

InterruptGuard::InterruptGuard() {
    g_interrupts = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, &g_previous_int);
    sigaction(SIGTERM, &action, &g_previous_term);
    // A closed terminal (or an ssh session that dropped) is an interrupt too: the calls in
    // flight finish and the run is marked interrupted, ready for --resume.
    sigaction(SIGHUP, &action, &g_previous_hup);
}

InterruptGuard::~InterruptGuard() {
    sigaction(SIGINT, &g_previous_int, nullptr);
    sigaction(SIGTERM, &g_previous_term, nullptr);
    sigaction(SIGHUP, &g_previous_hup, nullptr);
}

bool InterruptGuard::interrupted() {
    return g_interrupts > 0;
}

report::Colour stdout_colour() {
    return util::use_colour(stdout) ? report::Colour::on : report::Colour::off;
}

Expected<OpenProject> open_or_create_project(const Context& ctx) {
    auto found = ctx.project();
    if (!found && found.error().code() == ErrorCode::not_found && !ctx.dir) {
        auto created = LLMOPS_TRY(store::init_project(std::filesystem::current_path()));
        std::fprintf(
            stderr, "llmops: created %s to store runs (no project found above)\n",
            util::relative_display(created.first.dir, std::filesystem::current_path()).c_str());
    }
    return open_project_for_writing(ctx);
}

} // namespace llmops::cmd
