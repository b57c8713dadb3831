#include <llmops/report/run_report.hpp>

// Reports of eval runs, compared with golden files in tests/data/report/.
//
// After an intended change of a report, regenerate the golden files with
//     LLMOPS_UPDATE_GOLDEN=1 BUILD_DIR/tests/llmops_tests -ts=report
// and review their diff before committing: in that mode every golden comparison passes (it
// writes instead of comparing), so never leave the variable set in CI.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/runner.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/report/grid_report.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>

#include "support/expected.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
using nlohmann::json;
namespace store = llmops::store;
namespace report = llmops::report;
namespace eval = llmops::eval;
namespace util = llmops::util;
namespace fs = std::filesystem;

namespace {

// Model output with everything a report must survive: a formula for spreadsheets, HTML, table
// pipes, backtick fences, invalid UTF-8 (a stray byte pair and a truncated sequence), a control
// character and an ANSI escape.
const std::string k_nasty = "=cmd|' /C calc'!A0\n"
                            "<script>alert('x')</script> | a|b\n"
                            "```js\nvar s = `x`;\n```\n"
                            "\xff\xfe broken \xe2\x82 utf-8\n"
                            "\x01 control \x1b[31m red";

void check_golden(const std::string& name, const std::string& actual) {
    const fs::path path = fs::path(LLMOPS_SOURCE_DIR) / "tests/data/report" / name;
    const char* update = std::getenv("LLMOPS_UPDATE_GOLDEN");
    if (update != nullptr && std::string_view(update) == "1") {
        REQUIRE(util::write_file_atomic(path, actual).has_value());
        MESSAGE("rewrote " << path.string());
        return;
    }
    auto expected = util::read_file(path);
    REQUIRE_MESSAGE(expected.has_value(), "missing golden file "
                                              << path.string()
                                              << " (LLMOPS_UPDATE_GOLDEN=1 writes it)");
    CHECK(actual == *expected);
}

store::Database open_store(const TempDir& dir) {
    auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
    REQUIRE_OK(db);
    REQUIRE(store::migrate(*db).has_value());
    return std::move(*db);
}

store::VariantRecord variant(int index, const std::string& provider, const std::string& label) {
    store::VariantRecord v;
    v.index = index;
    v.label = "summarize@2 | " + label;
    v.prompt_label = "summarize@2";
    v.prompt_version_id = "1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b";
    v.provider_id = provider;
    v.provider_label = label;
    v.provider_config = json{{"temperature", 0}};
    return v;
}

store::RunRecord run_header() {
    store::RunRecord run;
    run.suite_path = "evals/summaries.yaml";
    run.suite_hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    run.dataset_hash = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    run.description = "Summaries: <b>bold</b> & more";
    run.started_at = "2026-01-02T03:04:05.678Z";
    run.provenance =
        json{{"llmops_version", "0.0.0-test"},
             {"git", {{"commit", "abcdef0123456789abcdef0123456789abcdef01"}, {"dirty", true}}},
             {"command_line", "llmops eval evals/summaries.yaml -o out.json"},
             {"filters", {{"first_n", 3}}},
             {"repeat", 2},
             {"cases", 3},
             {"concurrency", 4}};
    run.variants = {variant(0, "openai:gpt-4o-mini", "openai:gpt-4o-mini"),
                    variant(1, "ollama:llama3", "local | llama")};
    return run;
}

// A result with usage, cost and timing filled in the way the runner fills them.
store::ResultRecord result(int v, int case_index, int repeat, std::string status,
                           std::optional<std::string> output) {
    static const char* const ids[] = {"greeting", "injection", "timeout"};
    static const char* const descriptions[] = {"says hello", "@team -1 <b>bold</b>", ""};
    store::ResultRecord r;
    r.variant = v;
    r.case_id = ids[case_index];
    r.case_index = case_index;
    r.repeat = repeat;
    r.description = descriptions[case_index];
    r.status = std::move(status);
    r.score = r.status == "pass" ? 1.0 : 0.0;
    r.output = std::move(output);
    r.vars = json{{"name", "Ada"}, {"n", case_index}};
    r.prompt = R"([{"role":"user","content":"Say hello to Ada"}])";
    r.assertions = json::array({{{"type", "contains"},
                                 {"pass", r.status == "pass"},
                                 {"score", *r.score},
                                 {"reason", ""},
                                 {"weight", 1},
                                 {"error", false}}});
    r.input_tokens = 12 + case_index;
    r.output_tokens = 4 + repeat;
    r.cost_usd = v == 0 ? std::optional<double>(0.000125) : std::nullopt;
    r.latency_ms = 800.0 + 100.0 * case_index + 10.0 * repeat;
    r.first_token_ms = 250.0;
    r.finish_reason = "stop";
    r.tokens_estimated = v == 1;
    return r;
}

// Run 1: two variants x three cases x two repeats, with a pass, a cached pass, a fail with
// nasty output, an error, a fail with empty output, an unpriced provider and a repeat; its
// times fixed so the golden files are stable. Run 2 is still running.
store::Database build_runs(const TempDir& dir) {
    store::Database db = open_store(dir);
    auto id = store::create_run(db, run_header());
    REQUIRE_OK(id);
    {
        store::ResultWriter writer(db, *id);
        auto add = [&](store::ResultRecord r) { REQUIRE(writer.add(std::move(r)).has_value()); };
        add(result(0, 0, 0, "pass", "Hello, Ada!"));
        auto cached = result(0, 0, 1, "pass", "Hello, Ada!");
        cached.cached = true;
        cached.latency_ms = 0;
        add(cached);
        auto nasty = result(0, 1, 0, "fail", k_nasty);
        nasty.score = 0.5;
        nasty.reason = "expected output to contain \"safe\"\nand not \"<script>\"";
        nasty.finish_reason = "length";
        // Inputs with what each format must escape: a newline, a terminal escape, a table pipe,
        // markup, a mention.
        nasty.vars = json{{"question", "What is 2+2?\n\x1b[31m | <b>@team</b>"}, {"lang", "fr"}};
        add(nasty);
        add(result(0, 1, 1, "pass", "a safe answer"));
        auto error = result(0, 2, 0, "error", std::nullopt);
        error.score.reset();
        error.assertions = json::array();
        error.reason = "provider 'openai:gpt-4o-mini': timed out after 30000 ms";
        error.input_tokens = error.output_tokens = 0;
        error.cost_usd.reset();
        error.latency_ms = 0;
        error.first_token_ms.reset();
        error.finish_reason = "";
        add(error);
        auto empty = result(0, 2, 1, "fail", "");
        empty.reason = "expected the output to be JSON";
        add(empty);
        for (int c = 0; c < 3; ++c) {
            for (int rep = 0; rep < 2; ++rep) {
                auto r = result(1, c, rep, c == 1 && rep == 1 ? "fail" : "pass",
                                c == 1 && rep == 1 ? "I refuse | sorry" : "Hello, Ada!");
                if (r.status == "fail") {
                    r.reason = "the model refused";
                }
                add(r);
            }
        }
        REQUIRE(writer.flush().has_value());
    }
    REQUIRE(store::tag_run(db, *id, "baseline").has_value());
    auto summary = eval::summarize_run(db, *id);
    REQUIRE(summary.has_value());
    summary->status = "complete";
    REQUIRE(store::finish_run(db, *id, "complete", summary->to_json()).has_value());
    REQUIRE(
        db.exec("UPDATE runs SET ended_at = '2026-01-02T03:05:17.678Z' WHERE id = 1").has_value());
    auto running = run_header();
    running.started_at = "2026-01-03T10:00:00.000Z";
    const auto writer = util::self_process(); // alive while the test runs: the run is running
    REQUIRE(store::create_run(db, running, &writer).has_value());
    return db;
}

// Exports run `id` to `name` in `dir` and returns the file's bytes.
std::string exported(store::Database& db, const TempDir& dir, const std::string& name,
                     int64_t id = 1) {
    auto format = report::export_format_for(name);
    REQUIRE_OK(format);
    auto ok = report::export_run(db, id, *format, dir / name);
    REQUIRE_OK(ok);
    return dir.read(name);
}

// Runs a Python one-liner on `path`; returns its exit code (its errors are in the message).
int python_check(const std::string& program, const fs::path& path) {
    auto r = llmops::test::run_program({"python3", "-c", program, path.string()}, {});
    INFO("python3: " << r.err);
    return r.exit_code;
}

// A run of `n` failures whose outputs are `output`, to check the Markdown report's bounds.
store::Database failing_run(const TempDir& dir, int n, const std::string& output) {
    store::Database db = open_store(dir);
    auto header = run_header();
    header.provenance["repeat"] = 1;
    auto id = store::create_run(db, header);
    REQUIRE(id.has_value());
    store::ResultWriter writer(db, *id);
    for (int i = 0; i < n; ++i) {
        auto r = result(0, 0, 0, "fail", output);
        r.case_id = fmt::format("case-{:03}", i);
        r.case_index = i;
        r.reason = "wrong";
        REQUIRE(writer.add(std::move(r)).has_value());
    }
    REQUIRE(writer.flush().has_value());
    return db;
}

// Every byte value, then U+FFFE and an encoded surrogate (well-formed-looking but not allowed).
std::string every_byte() {
    std::string bytes;
    for (int b = 0; b < 256; ++b) {
        bytes += static_cast<char>(b);
    }
    return bytes + "\xef\xbf\xbe \xed\xa0\x80 end";
}

size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// Calls `write` with standard output sent to a file, and returns what it wrote.
template <typename Write>
std::string capture_stdout(const TempDir& dir, Write&& write) {
    std::fflush(stdout);
    const int saved = ::dup(STDOUT_FILENO);
    const int fd = ::open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
    write();
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    return dir.read("stdout");
}

} // namespace

TEST_SUITE("report") {

    TEST_CASE("report::export_format_for") {
        SUBCASE("picks the format from the extension, in any case") {
            CHECK(report::export_format_for("out.json").value() == report::ExportFormat::json);
            CHECK(report::export_format_for("a/out.jsonl").value() == report::ExportFormat::jsonl);
            CHECK(report::export_format_for("out.CSV").value() == report::ExportFormat::csv);
            CHECK(report::export_format_for("junit.xml").value() == report::ExportFormat::junit);
            CHECK(report::export_format_for("pr.md").value() == report::ExportFormat::markdown);
            CHECK(report::export_format_for("r.HTML").value() == report::ExportFormat::html);
        }
        SUBCASE("rejects an unknown extension, naming the known ones") {
            auto format = report::export_format_for("out.txt");
            REQUIRE_FALSE(format.has_value());
            CHECK(format.error().code() == ErrorCode::invalid_input);
            CHECK(format.error().message() == "-o 'out.txt': unknown report format '.txt' (use "
                                              ".json, .jsonl, .csv, .xml, .md or .html)");
        }
        SUBCASE("rejects a name without an extension") {
            CHECK(report::export_format_for("report").error().message() ==
                  "-o 'report': no extension to pick a report format from (use .json, .jsonl, "
                  ".csv, .xml, .md or .html)");
        }
    }

    TEST_CASE("report::export_run json") {
        TempDir dir;
        auto db = build_runs(dir);
        SUBCASE("matches the golden file") {
            check_golden("run.json", exported(db, dir, "run.json"));
        }
        SUBCASE("is one JSON document holding every result, model text made valid UTF-8") {
            const json doc = json::parse(exported(db, dir, "run.json"));
            CHECK(doc["llmops_export"] == 1);
            CHECK(doc["run"]["id"] == 1);
            CHECK(doc["summary"]["status"] == "complete");
            REQUIRE(doc["results"].size() == 12);
            const std::string output = doc["results"][2]["output"];
            CHECK(output.find("\xEF\xBF\xBD\xEF\xBF\xBD broken \xEF\xBF\xBD utf-8") !=
                  std::string::npos);
            CHECK(doc["results"][2]["prompt"][0]["role"] == "user");
            CHECK(doc["results"][4]["output"].is_null());
        }
        SUBCASE("parses whatever bytes the model returned") {
            TempDir other;
            auto bytes = failing_run(other, 1, every_byte());
            const json doc = json::parse(exported(bytes, other, "bytes.json"));
            const std::string output = doc["results"][0]["output"];
            CHECK(output.ends_with("\xef\xbf\xbe \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end"));
            CHECK(python_check("import json,sys; json.load(open(sys.argv[1], encoding='utf-8'))",
                               other / "bytes.json") == 0);
        }
        SUBCASE("a run without results has empty lists and a null summary") {
            const json doc = json::parse(exported(db, dir, "running.json", 2));
            CHECK(doc["results"] == json::array());
            CHECK(doc["summary"].is_null());
            CHECK(doc["run"]["ended_at"].is_null());
        }
    }

    TEST_CASE("report::export_run jsonl") {
        TempDir dir;
        auto db = build_runs(dir);
        const std::string text = exported(db, dir, "run.jsonl");
        check_golden("run.jsonl", text);
        const auto lines = util::split(text, '\n');
        REQUIRE(lines.size() == 13); // 12 results and the final newline
        const json first = json::parse(lines[0]);
        CHECK(first["run"] == 1);
        CHECK(first["variant_label"] == "summarize@2 | openai:gpt-4o-mini");
        CHECK(json::parse(lines[11])["variant_label"] == "summarize@2 | local | llama");
    }

    TEST_CASE("report::export_run csv") {
        TempDir dir;
        auto db = build_runs(dir);
        const std::string text = exported(db, dir, "run.csv");
        SUBCASE("matches the golden file") {
            check_golden("run.csv", text);
        }
        SUBCASE("guards cells that a spreadsheet would run as formulas") {
            CHECK(text.find("\"'=cmd|' /C calc'!A0\n") != std::string::npos);
            CHECK(text.find(",'@team -1 <b>bold</b>,") != std::string::npos);
        }
        SUBCASE("reads back whatever bytes the model returned") {
            TempDir other;
            auto bytes = failing_run(other, 1, every_byte());
            exported(bytes, other, "bytes.csv");
            CHECK(python_check("import csv,sys; rows=list(csv.reader(open(sys.argv[1], newline='', "
                               "encoding='utf-8'))); assert len(rows) == 2, len(rows); "
                               "assert rows[1][9].endswith(' \\ufffd\\ufffd\\ufffd end')",
                               other / "bytes.csv") == 0);
        }
        SUBCASE("reads back with Python's csv module: 13 rows of 17 cells") {
            CHECK(python_check("import csv,sys; rows=list(csv.reader(open(sys.argv[1], newline='', "
                               "encoding='utf-8'))); assert len(rows) == 13, len(rows); "
                               "assert all(len(r) == 17 for r in rows)",
                               dir / "run.csv") == 0);
        }
    }

    TEST_CASE("report::export_run junit") {
        TempDir dir;
        SUBCASE("matches the golden file, parses, and holds no control character") {
            auto db = build_runs(dir);
            const std::string text = exported(db, dir, "run.xml");
            check_golden("run.xml", text);
            CHECK(text.find('\x01') == std::string::npos);
            CHECK(text.find('\x1b') == std::string::npos);
            CHECK(
                python_check("import xml.dom.minidom,sys; d = xml.dom.minidom.parse(sys.argv[1]); "
                             "s = d.getElementsByTagName('testsuite'); "
                             "assert [x.getAttribute('tests') for x in s] == ['6', '6']; "
                             "assert len(d.getElementsByTagName('failure')) == 3; "
                             "assert len(d.getElementsByTagName('error')) == 1",
                             dir / "run.xml") == 0);
        }
        SUBCASE("parses as XML whatever bytes the model returned") {
            auto db = failing_run(dir, 1, every_byte());
            exported(db, dir, "bytes.xml");
            CHECK(
                python_check("import xml.dom.minidom,sys; d = xml.dom.minidom.parse(sys.argv[1]); "
                             "t = d.getElementsByTagName('failure')[0].firstChild.data; "
                             "assert t.endswith(' \\ufffd\\ufffd\\ufffd end'), repr(t[-12:])",
                             dir / "bytes.xml") == 0);
        }
    }

    TEST_CASE("report::export_run markdown") {
        TempDir dir;
        SUBCASE("matches the golden file: escaped text, outputs in long enough fences") {
            auto db = build_runs(dir);
            const std::string text = exported(db, dir, "run.md");
            check_golden("run.md", text);
            CHECK(text.find("````text\n=cmd") != std::string::npos);
            CHECK(text.find("<b>bold") == std::string::npos);
            CHECK(text.find("| summarize@2 &#124; local &#124; llama |") != std::string::npos);
            CHECK(text.find("**Case:** @&#8203;team -1 &lt;b&gt;bold&lt;/b&gt;\n") !=
                  std::string::npos);
            CHECK(text.find("**Inputs:** lang=&quot;fr&quot;, question=&quot;What is "
                            "2+2?&#92;n&#92;u001b&#91;31m &#124; "
                            "&lt;b&gt;@&#8203;team&lt;/b&gt;&quot;\n") != std::string::npos);
        }
        SUBCASE("shows at most 50 failures") {
            auto db = failing_run(dir, 60, "x");
            const std::string text = exported(db, dir, "run.md");
            CHECK(occurrences(text, "<details>") == 50);
            CHECK(text.find("... and 10 more (`llmops runs show 1 --failures` lists them all)") !=
                  std::string::npos);
        }
        SUBCASE("stays under a PR comment's size with long outputs") {
            auto db = failing_run(dir, 45, std::string(5000, 'y'));
            const std::string text = exported(db, dir, "run.md");
            CHECK(text.size() < 65536);
            CHECK(text.find("3500 more characters not shown") != std::string::npos);
            CHECK(text.find("... and ") != std::string::npos);
        }
    }

    TEST_CASE("report::export_run files") {
        TempDir dir;
        auto db = build_runs(dir);
        SUBCASE("replaces an existing file and leaves no temporary file") {
            dir.write("run.csv", "old");
            const std::string text = exported(db, dir, "run.csv");
            CHECK(text.starts_with("run,variant,variant_label,"));
            size_t files = 0;
            for (const auto& entry : fs::directory_iterator(dir.path())) {
                files += entry.path().filename().string().find(".tmp-") != std::string::npos;
            }
            CHECK(files == 0);
        }
        SUBCASE("writes to standard output for -") {
            const std::string out = capture_stdout(dir, [&] {
                CHECK(report::export_run(db, 1, report::ExportFormat::jsonl, "-").has_value());
            });
            CHECK(out == exported(db, dir, "run.jsonl"));
        }
        SUBCASE("fails for an unknown run without creating the file") {
            auto ok = report::export_run(db, 99, report::ExportFormat::json, dir / "x.json");
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().code() == ErrorCode::not_found);
            CHECK(ok.error().message() == "no run 99");
            CHECK_FALSE(fs::exists(dir / "x.json"));
        }
        SUBCASE("fails with io naming a file in a missing folder") {
            const fs::path path = dir / "missing/run.json";
            auto ok = report::export_run(db, 1, report::ExportFormat::json, path);
            REQUIRE_FALSE(ok.has_value());
            CHECK(ok.error().code() == ErrorCode::io);
            CHECK(ok.error().message() ==
                  "cannot write '" + path.string() + "': No such file or directory");
        }
    }

    TEST_CASE("report::run_summary_text") {
        TempDir dir;
        auto db = build_runs(dir);
        auto summary = eval::summarize_run(db, 1);
        REQUIRE(summary.has_value());
        SUBCASE("without colour") {
            const std::string text = report::run_summary_text(*summary, report::Colour::off);
            check_golden("summary.txt", text);
            CHECK(text.find('\x1b') == std::string::npos);
        }
        SUBCASE("with colour: failures red") {
            const std::string text = report::run_summary_text(*summary, report::Colour::on);
            CHECK(text.find("\x1b[31m") != std::string::npos);
        }
        SUBCASE("notes why a run stopped") {
            summary->stopped_by_cost = true;
            const std::string text = report::run_summary_text(*summary, report::Colour::off);
            CHECK(text.find("  stopped by --max-cost: calls not started were skipped (llmops eval "
                            "--resume 1 runs them)\n") != std::string::npos);
        }
    }

    TEST_CASE("report::failures_text") {
        TempDir dir;
        auto db = build_runs(dir);
        SUBCASE("shows each failure and error with control characters escaped") {
            auto text = report::failures_text(db, 1, 10, 200, report::Colour::off);
            REQUIRE(text.has_value());
            check_golden("failures.txt", *text);
            CHECK(text->find('\x1b') == std::string::npos);
            CHECK(text->find("      inputs:  lang=\"fr\", question=\"What is 2+2?\\n\\u001b[31m | "
                             "<b>@team</b>\"\n") != std::string::npos);
        }
        SUBCASE("stops at the limit, saying how many more there are") {
            auto text = report::failures_text(db, 1, 1, 10, report::Colour::off);
            REQUIRE(text.has_value());
            CHECK(occurrences(*text, "      reason:") == 1);
            CHECK(text->find("      output:  =cmd|' /C  … (103 more characters)\n") !=
                  std::string::npos);
            CHECK(text->ends_with("... and 3 more; see llmops runs show 1 --failures\n\n"));
        }
        SUBCASE("fails for an unknown run") {
            auto text = report::failures_text(db, 7, 10, 10, report::Colour::off);
            REQUIRE_FALSE(text.has_value());
            CHECK(text.error().message() == "no run 7");
        }
    }

    TEST_CASE("report::run_grid") {
        TempDir dir;
        auto db = build_runs(dir);
        SUBCASE("a terminal's grid: a row per case and repeat, cut to the width, never wrapped") {
            for (size_t width : {1, 5, 12, 40, 80, 120, 200}) {
                auto text = report::run_grid(db, 1, {report::GridFormat::terminal, width});
                REQUIRE_OK(text);
                if (width == 120) {
                    check_golden("grid.txt", *text);
                }
                CHECK(text->find('\x1b') == std::string::npos);
                size_t lines = 0;
                for (const auto& line : util::split(*text, '\n')) {
                    INFO(width << ": " << line);
                    CHECK(report::code_point_count(line) <= width);
                    lines += line.empty() ? 0 : 1;
                }
                CHECK(lines == 7); // the header and 3 cases x 2 repeats
            }
        }
        SUBCASE("statuses coloured on a terminal that wants colour") {
            auto text =
                report::run_grid(db, 1, {report::GridFormat::terminal, 120, report::Colour::on});
            REQUIRE_OK(text);
            CHECK(text->find("\x1b[31mFAIL\x1b[0m") != std::string::npos);
        }
        SUBCASE("Markdown and CSV for files") {
            auto md = report::run_grid(db, 1, {report::GridFormat::markdown});
            REQUIRE_OK(md);
            check_golden("grid.md", *md);
            auto csv = report::run_grid(db, 1, {report::GridFormat::csv});
            REQUIRE_OK(csv);
            check_golden("grid.csv", *csv);
            CHECK(csv->find(",FAIL,") == std::string::npos); // statuses as stored: fail
            CHECK(csv->find("\"lang=\"\"fr\"\", question=\"\"What is 2+2?") != std::string::npos);
        }
        SUBCASE("fails for an unknown run") {
            auto text = report::run_grid(db, 9, {});
            REQUIRE_FALSE(text.has_value());
            CHECK(text.error().message() == "no run 9");
        }
    }

    TEST_CASE("report::runs_list_text") {
        TempDir dir;
        auto db = build_runs(dir);
        auto runs = store::list_runs(db, 0);
        REQUIRE(runs.has_value());
        check_golden("runs_list.txt", report::runs_list_text(*runs));
        check_golden("runs_list.json", report::runs_list_json(*runs));
        CHECK(report::runs_list_text({}) == "no runs yet (llmops eval runs a suite)\n");
        CHECK(report::runs_list_json({}) == "{\n  \"runs\": []\n}\n");
    }

    TEST_CASE("report::run_show_text") {
        TempDir dir;
        auto db = build_runs(dir);
        SUBCASE("a finished run: provenance, variants and its summary") {
            auto run = store::load_run(db, 1);
            REQUIRE(run.has_value());
            check_golden("run_show.txt", report::run_show_text(*run));
            auto failures = report::failure_lines(db, 1, 3, 80);
            REQUIRE_OK(failures);
            check_golden("run_show_failures.txt", *failures);
            CHECK(failures->find('\x1b') == std::string::npos);
            for (const auto& line : util::split(*failures, '\n')) {
                CHECK(report::code_point_count(line) <= 80);
            }
            check_golden("run_show.json", report::run_show_json(*run));
        }
        SUBCASE("a run without a summary says how to complete it") {
            auto run = store::load_run(db, 2);
            REQUIRE(run.has_value());
            const std::string text = report::run_show_text(*run);
            CHECK(text.starts_with("run 2: running\n"));
            CHECK(text.ends_with("no summary: the run is running or stopped before it ended "
                                 "(llmops eval --resume 2 completes it)\n"));
            CHECK(json::parse(report::run_show_json(*run))["summary"].is_null());
        }
    }
}
