// `llmops metrics` and `llmops metrics serve`: a store holding an eval run, imported calls, an
// online-eval run, a drift check and a split label, exported in the Prometheus text format and
// checked with the real tools: `promtool check metrics`, and a Prometheus that scrapes
// `metrics serve` and is asked for the pass rate over its HTTP API.

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

const std::map<std::string, std::string> k_env = {{"LLMOPS_NOW", "2026-11-22T00:00:00Z"}};

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The full path of `tool` on PATH; fails the test naming the package when it is missing (the
// tests need it: scripts/setup.sh --tests installs it).
std::string require_tool(const std::string& tool) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const fs::path candidate = fs::path(dir) / tool;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    FAIL(tool << " not found on PATH: run scripts/setup.sh --tests (Debian's prometheus "
                 "package)");
    return "";
}

// Calls of support/triage: two of version 2 on Nov 20, two of version 3 on Nov 21 (one answer
// a refusal), and one whose model name holds a quote, a backslash and a newline.
const char* k_calls =
    R"({"span_id": "c1", "time": "2026-11-20T09:00:00Z", "prompt": "support/triage@2", "model": "gpt-4o-mini", "vars": {"ticket": "My card was charged twice"}, "output": "billing", "input_tokens": 120, "output_tokens": 3, "latency_ms": 412}
{"span_id": "c2", "time": "2026-11-20T09:05:00Z", "prompt": "support/triage@2", "model": "gpt-4o-mini", "vars": {"ticket": "The app crashes on start"}, "output": "bug", "input_tokens": 118, "output_tokens": 2, "latency_ms": 380}
{"span_id": "c3", "time": "2026-11-21T10:00:00Z", "prompt": "support/triage@3", "model": "gpt-4o-mini", "vars": {"ticket": "Refund please"}, "output": "I cannot help with that.", "input_tokens": 110, "output_tokens": 6, "latency_ms": 350}
{"span_id": "c4", "time": "2026-11-21T10:05:00Z", "prompt": "support/triage@3", "model": "gpt-4o-mini", "vars": {"ticket": "Where is my invoice?"}, "output": "billing", "input_tokens": 115, "output_tokens": 3, "latency_ms": 30000}
{"span_id": "c5", "time": "2026-11-21T11:00:00Z", "prompt": "support/triage@3", "model": "we\"ird\\mo\ndel", "output": "ok", "latency_ms": 10}
)";

const char* k_online_suite = R"(description: triage answers users got
tests:
  traces: {prompt: support/triage, since: 2026-11-01}
defaultTest:
  assert:
    - type: not-icontains
      value: cannot help
)";

// The store every test reads: versions 1-3 of support/triage with production split 90/10
// between 2 and 3, the calls above, an online-eval run of them (3 of 4 pass: c5 is another
// model's, graded too, and passes) and a drift check.
void setup(const TempDir& dir) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
    for (const char* text : {"one", "two", "three"}) {
        dir.write("prompts/support/triage.yaml",
                  std::string("template: 'Triage ") + text + ": {{ticket}}'\n");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", text}).exit_code == 0);
    }
    REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "support/triage@2", "production"})
                .exit_code == 0);
    REQUIRE(llmops(dir.path(),
                   {"prompt", "label", "set", "support/triage@3", "production", "--weight", "10"})
                .exit_code == 0);
    dir.write("calls.jsonl", k_calls);
    REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
    dir.write("online.yaml", k_online_suite);
    REQUIRE(llmops(dir.path(), {"eval", "online.yaml"}, k_env).exit_code == 1);
    const auto drift = llmops(dir.path(),
                              {"drift", "support/triage", "--reference", "2026-11-20..2026-11-20",
                               "--current", "2026-11-21..2026-11-21"},
                              k_env);
    REQUIRE(drift.exit_code <= 1);
    CHECK(drift.err == "");
}

// The line of `text` starting with `prefix` ('' when none).
std::string line_of(const std::string& text, const std::string& prefix) {
    const size_t at = text.find("\n" + prefix);
    if (at == std::string::npos) {
        return "";
    }
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

// A program started in the background with its output in `log`, killed (and waited for) at
// destruction unless stopped: a failed test leaves no server behind.
class Background {
public:
    Background(const std::vector<std::string>& argv, const fs::path& log) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        m_pid = ::fork();
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(fd);
    }
    ~Background() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            wait_for(m_pid);
        }
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

private:
    pid_t m_pid = -1;
};

RunResult promtool(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::vector<std::string> argv = {require_tool("promtool")};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.cwd = LLMOPS_SOURCE_DIR;
    if (!stdin_text.empty()) {
        options.stdin_text = stdin_text;
    }
    return run_program(argv, options);
}

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::metrics prints what the store holds, and promtool accepts it") {
        TempDir dir;
        setup(dir);
        const auto r = llmops(dir.path(), {"metrics"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.err == "");
        CHECK(
            line_of(r.out, "llmops_eval_pass_ratio{") ==
            R"(llmops_eval_pass_ratio{suite="online.yaml",variant="support/triage | traces"} 0.8)");
        CHECK(line_of(r.out, "llmops_online_eval_pass_ratio{") ==
              R"(llmops_online_eval_pass_ratio{prompt="support/triage"} 0.8)");
        CHECK(line_of(
                  r.out,
                  R"(llmops_calls_total{prompt="support/triage",version="3",model="gpt-4o-mini"})")
                  .ends_with(" 2"));
        CHECK(
            line_of(
                r.out,
                R"(llmops_call_latency_seconds_bucket{prompt="support/triage",version="3",model="gpt-4o-mini",le="10"})")
                .ends_with(" 1"));
        CHECK(
            line_of(
                r.out,
                R"(llmops_calls_total{prompt="support/triage",version="3",model="we\"ird\\mo\ndel"})")
                .ends_with(" 1"));
        CHECK(
            line_of(
                r.out,
                R"(llmops_ab_arm_calls_total{prompt="support/triage",label="production",version="2"})")
                .ends_with(" 2"));
        CHECK(line_of(r.out, R"(llmops_drift_alarm{prompt="support/triage"})") != "");
        CHECK(line_of(r.out,
                      R"(llmops_drift_psi{prompt="support/triage",feature="input length"})") != "");
        const auto check = promtool({"check", "metrics"}, r.out);
        CHECK_MESSAGE(check.exit_code == 0, (check.out + check.err));
        SUBCASE("-o writes the same text atomically, and a missing folder is exit 3") {
            const auto missing = llmops(dir.path(), {"metrics", "-o", "out/llmops.prom"});
            CHECK(missing.exit_code == 3);
            CHECK(missing.err.starts_with("llmops: error: cannot write 'out/llmops.prom'"));
            CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
            fs::create_directories(dir / "out");
            const auto written = llmops(dir.path(), {"metrics", "-o", "out/llmops.prom"});
            CHECK(written.exit_code == 0);
            CHECK(written.out == "");
            CHECK(slurp(dir / "out/llmops.prom") == r.out);
            // Only the file: the temporary file was renamed over it.
            CHECK(std::distance(fs::directory_iterator(dir / "out"), fs::directory_iterator()) ==
                  1);
        }
    }

    TEST_CASE(
        "cli::metrics of a label value with quotes, backslashes and newlines passes promtool") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        dir.write(
            "calls.jsonl",
            R"({"span_id": "w1", "time": "2026-11-20T09:00:00Z", "prompt": "a\"b\\c\nd@1", "model": "\\\"\n", "output": "x"})"
            "\n");
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
        const auto r = llmops(dir.path(), {"metrics"});
        REQUIRE(r.exit_code == 0);
        CHECK(
            r.out.find(R"(llmops_calls_total{prompt="a\"b\\c\nd",version="1",model="\\\"\n"} 1)") !=
            std::string::npos);
        const auto check = promtool({"check", "metrics"}, r.out);
        CHECK_MESSAGE(check.exit_code == 0, (check.out + check.err));
    }

    TEST_CASE("cli::metrics and drift on a read-only store") {
        TempDir dir;
        setup(dir);
        // Root may write anywhere: run as an unprivileged user then; anyone else loses write
        // permission on the store's folder.
        const bool root = ::geteuid() == 0;
        const auto run = [&](const std::vector<std::string>& args) {
            return root ? llmops_as(unprivileged_uid(), dir.path(), args)
                        : llmops(dir.path(), args);
        };
        if (root) {
            fs::permissions(dir.path(), fs::perms::others_read | fs::perms::others_exec,
                            fs::perm_options::add);
        } else {
            ::chmod((dir / ".llmops").c_str(), 0555);
        }
        const auto metrics = run({"metrics"});
        CHECK(metrics.exit_code == 0);
        CHECK(metrics.err == "");
        CHECK(line_of(metrics.out, "llmops_online_eval_pass_ratio{").ends_with(" 0.8"));
        const auto drift = run({"drift", "support/triage", "--reference", "2026-11-20..2026-11-20",
                                "--current", "2026-11-21..2026-11-21"});
        CHECK(drift.exit_code <= 1);
        CHECK(drift.out.find("prompt:    support/triage") != std::string::npos);
        CHECK(drift.err.starts_with("llmops: warning: the check was not recorded in the store: "));
        if (!root) {
            ::chmod((dir / ".llmops").c_str(), 0755);
        }
    }

    TEST_CASE("cli::drift records each check, unless --no-record") {
        TempDir dir;
        setup(dir);
        const auto checked = [&] {
            const auto r = llmops(dir.path(), {"metrics"});
            return line_of(r.out, "llmops_drift_check_timestamp_seconds{");
        };
        CHECK(checked() ==
              R"(llmops_drift_check_timestamp_seconds{prompt="support/triage"} 1795305600)");
        const std::map<std::string, std::string> later = {{"LLMOPS_NOW", "2026-11-23T00:00:00Z"}};
        const std::vector<std::string> args = {
            "drift",     "support/triage",         "--reference", "2026-11-20..2026-11-20",
            "--current", "2026-11-21..2026-11-21", "--no-record"};
        REQUIRE(llmops(dir.path(), args, later).exit_code <= 1);
        CHECK(checked().ends_with(" 1795305600"));
        REQUIRE(llmops(dir.path(), {args.begin(), args.end() - 1}, later).exit_code <= 1);
        CHECK(checked().ends_with(" 1795392000"));
    }

    TEST_CASE("cli::metrics serve answers GET /metrics, 404 and 405, and stops on signals") {
        TempDir dir;
        setup(dir);
        ServeProcess serve(dir, {"metrics", "serve"}, {"--verbose"});
        auto client = serve.client();
        auto r = client.Get("/metrics");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
        CHECK(r->body == llmops(dir.path(), {"metrics"}).out);
        SUBCASE("other paths are 404, other methods 405, HEAD has no body") {
            r = client.Get("/");
            REQUIRE(r);
            CHECK(r->status == 404);
            r = client.Post("/metrics", "x", "text/plain");
            REQUIRE(r);
            CHECK(r->status == 405);
            CHECK(r->get_header_value("Allow") == "GET, HEAD");
            r = client.Head("/metrics");
            REQUIRE(r);
            CHECK(r->status == 200);
            CHECK(r->body == "");
        }
        SUBCASE("calls imported after a scrape are counted at the next") {
            dir.write(
                "more.jsonl",
                R"({"span_id": "n1", "time": "2026-11-21T12:00:00Z", "prompt": "support/triage@3", "model": "gpt-4o-mini", "output": "billing"})"
                "\n");
            REQUIRE(llmops(dir.path(), {"traces", "import", "more.jsonl"}).exit_code == 0);
            r = client.Get("/metrics");
            REQUIRE(r);
            CHECK(
                line_of(
                    r->body,
                    R"(llmops_calls_total{prompt="support/triage",version="3",model="gpt-4o-mini"})")
                    .ends_with(" 3"));
        }
        SUBCASE("a second server on the same port is refused: exit 3") {
            const auto second = llmops(dir.path(), {"metrics", "serve", "--listen",
                                                    "127.0.0.1:" + std::to_string(serve.port())});
            CHECK(second.exit_code == 3);
            CHECK(second.err ==
                  "llmops: error: cannot listen on '127.0.0.1:" + std::to_string(serve.port()) +
                      "': address in use or not local\n");
        }
        SUBCASE("SIGTERM exits 0") {
            CHECK(serve.stop(SIGTERM) == 0);
        }
        SUBCASE("SIGINT exits 130") {
            CHECK(serve.stop(SIGINT) == 130);
        }
    }

    TEST_CASE("cli::metrics serve is scraped by a real Prometheus") {
        TempDir dir;
        setup(dir);
        const std::string prometheus = require_tool("prometheus");
        ServeProcess serve(dir, {"metrics", "serve"}, {"--verbose"});
        const int web_port = LoopbackServer::unused_port();
        dir.write("prometheus.yml", "global:\n  scrape_interval: 1s\n"
                                    "scrape_configs:\n  - job_name: llmops\n"
                                    "    static_configs:\n      - targets: ['127.0.0.1:" +
                                        std::to_string(serve.port()) + "']\n");
        Background server({prometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                           "--storage.tsdb.path=" + (dir / "tsdb").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(web_port)},
                          dir / "prometheus.log");
        httplib::Client client("127.0.0.1", web_port);
        const std::string query =
            "/api/v1/"
            "query?query=llmops_online_eval_pass_ratio%7Bprompt%3D%22support%2Ftriage%22%7D";
        json answer;
        const bool scraped = wait_until([&] {
            const auto r = client.Get(query);
            if (!r || r->status != 200) {
                return false;
            }
            answer = json::parse(r->body, nullptr, false);
            return answer.is_object() && answer["data"]["result"].size() == 1;
        });
        REQUIRE_MESSAGE(scraped, slurp(dir / "prometheus.log"));
        CHECK(answer["data"]["result"][0]["value"][1] == "0.8");
        CHECK(answer["data"]["result"][0]["metric"]["job"] == "llmops");
    }

    TEST_CASE("cli::metrics alert rules in docs pass promtool check rules and their unit test") {
        const auto check = promtool({"check", "rules", "docs/monitoring/llmops-rules.yml"});
        CHECK_MESSAGE(check.exit_code == 0, (check.out + check.err));
        const auto test = promtool({"test", "rules", "docs/monitoring/llmops-rules-test.yml"});
        CHECK_MESSAGE(test.exit_code == 0, (test.out + test.err));
    }
}

} // namespace llmops::test
