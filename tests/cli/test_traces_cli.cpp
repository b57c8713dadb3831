// `llmops traces import|list`: production calls as a user imports and reads them.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

void write(const TempDir& dir, const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
}

// One OTLP request (a line of the collector's file exporter): a GenAI chat span and an HTTP
// span that is not an LLM call.
std::string otlp_line(const std::string& span_id, const std::string& start_ns) {
    return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8e","spanId":")" + span_id +
           R"(","startTimeUnixNano":")" + start_ns + R"(","endTimeUnixNano":")" + start_ns +
           R"(","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},)"
           R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},)"
           R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":"100"}},)"
           R"({"key":"llmops.prompt.name","value":{"stringValue":"support/triage"}},)"
           R"({"key":"llmops.prompt.version","value":{"intValue":"3"}}]},)"
           R"({"spanId":"http1","startTimeUnixNano":"1","attributes":[]}]}]}]})";
}

std::string jsonl_line(const std::string& time, const std::string& model) {
    return R"({"time": ")" + time + R"(", "prompt": "support/triage@2", "model": ")" + model +
           R"(", "output": "billing", "input_tokens": 10, "output_tokens": 2, "latency_ms": 300})";
}

RunResult init(const TempDir& dir) {
    return llmops(dir.path(), {"init"});
}

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::traces import is idempotent") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "otel.jsonl",
              otlp_line("aa01", "1795424400000000000") + "\n" +
                  otlp_line("aa02", "1795424460000000000") + "\n");
        auto first = llmops(dir.path(), {"traces", "import", "otel.jsonl"});
        CHECK(first.exit_code == 0);
        CHECK(first.out == "imported 2 calls (0 already there, 2 skipped: not LLM calls, 0 bad) "
                           "from otel.jsonl\n");
        CHECK(first.err == "");
        auto show = llmops(dir.path(), {"traces", "show", "aa0"});
        CHECK(show.exit_code == 2);
        CHECK(show.err == "llmops: error: span id 'aa0' is ambiguous: give more of it\n");
        show = llmops(dir.path(), {"traces", "show", "aa01"});
        CHECK(show.exit_code == 0);
        CHECK(show.out.starts_with("span:         aa01\n"));
        CHECK(show.out.find("prompt:       support/triage@3\n") != std::string::npos);
        CHECK(llmops(dir.path(), {"traces", "show", "zz"}).err ==
              "llmops: error: no call with span id 'zz'\n");
        auto second = llmops(dir.path(), {"traces", "import", "otel.jsonl"});
        CHECK(second.exit_code == 0);
        CHECK(second.out == "imported 0 calls (2 already there, 2 skipped: not LLM calls, 0 bad) "
                            "from otel.jsonl\n");
        auto list = llmops(dir.path(), {"traces", "list", "--json"});
        REQUIRE(list.exit_code == 0);
        const json calls = json::parse(list.out);
        REQUIRE(calls.size() == 2);
        CHECK(calls[0]["span_id"] == "aa02");
        CHECK(calls[0]["time"] == "2026-11-23T09:01:00.000Z");
        CHECK(calls[0]["version"] == "3");
        CHECK(calls[0]["cost_usd"].is_number()); // gpt-4o-mini is in the price table
    }

    TEST_CASE("cli::traces import reads a pretty-printed OTLP document whole") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "trace.json", json::parse(otlp_line("bb01", "1795424400000000000")).dump(2));
        auto r = llmops(dir.path(), {"traces", "import", "trace.json"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "imported 1 call (0 already there, 1 skipped: not LLM calls, 0 bad) from "
                       "trace.json\n");
    }

    TEST_CASE("cli::traces import never stores a secret") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "calls.jsonl",
              R"({"time": "2026-11-23T09:00:00Z", "output": "key sk-live-0123456789abcdef", )"
              R"("attributes": {"openai.api_key": "sk-live-0123456789abcdef"}})"
              "\n");
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
        auto list = llmops(dir.path(), {"traces", "list", "--json"});
        CHECK(list.out.find("sk-live") == std::string::npos);
        CHECK(json::parse(list.out)[0]["output"] == "key [redacted]");
    }

    TEST_CASE("cli::traces import counts and reports bad lines") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "calls.jsonl",
              jsonl_line("2026-11-23T09:00:00Z", "m1") + "\nnot json\n\n" +
                  R"({"time": "yesterday"})" + "\n" + jsonl_line("2026-11-23T10:00:00Z", "m2") +
                  "\n");
        auto r = llmops(dir.path(), {"traces", "import", "calls.jsonl"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "imported 2 calls (0 already there, 0 skipped: not LLM calls, 2 bad) from "
                       "calls.jsonl\n");
        CHECK(r.err == "llmops: warning: calls.jsonl:2: not JSON\n"
                       "llmops: warning: calls.jsonl:4: 'time' must be an ISO 8601 time such as "
                       "'2026-11-23T09:00:00Z'\n");
        SUBCASE("a file with nothing valid exits 2") {
            write(dir, "junk.txt", "hello\nworld\n");
            auto junk = llmops(dir.path(), {"traces", "import", "junk.txt"});
            CHECK(junk.exit_code == 2);
        }
        SUBCASE("a missing file exits 3") {
            auto missing = llmops(dir.path(), {"traces", "import", "nope.jsonl"});
            CHECK(missing.exit_code == 3);
            CHECK(missing.err.starts_with("llmops: error: cannot read 'nope.jsonl'"));
        }
    }

    TEST_CASE("cli::traces list filters") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "calls.jsonl",
              jsonl_line("2026-11-23T09:00:00Z", "m1") + "\n" +
                  jsonl_line("2026-11-24T09:00:00Z", "m2") + "\n");
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
        const auto spans = [&](const std::vector<std::string>& args) {
            std::vector<std::string> argv = {"traces", "list", "--json"};
            argv.insert(argv.end(), args.begin(), args.end());
            auto r = llmops(dir.path(), argv);
            REQUIRE(r.exit_code == 0);
            std::vector<std::string> models;
            for (const auto& c : json::parse(r.out)) {
                models.push_back(c["model"]);
            }
            return models;
        };
        CHECK(spans({}) == std::vector<std::string>{"m2", "m1"});
        CHECK(spans({"--model", "m1"}) == std::vector<std::string>{"m1"});
        CHECK(spans({"--since", "2026-11-24"}) == std::vector<std::string>{"m2"});
        CHECK(spans({"--until", "2026-11-24"}) == std::vector<std::string>{"m1"});
        CHECK(spans({"--prompt", "support/triage", "--version", "2", "-n", "1"}) ==
              std::vector<std::string>{"m2"});
        CHECK(spans({"--version", "9"}).empty());
        auto text = llmops(dir.path(), {"traces", "list"});
        CHECK(text.exit_code == 0);
        CHECK(text.out.find("support/triage@2") != std::string::npos);
        auto bad = llmops(dir.path(), {"traces", "list", "--since", "last week"});
        CHECK(bad.exit_code == 2);
    }
    TEST_CASE("cli::traces stats by prompt, version and model") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "calls.jsonl",
              jsonl_line("2026-11-23T09:00:00Z", "m1") + "\n" +
                  jsonl_line("2026-11-23T09:00:01Z", "m1") + "\n" +
                  R"({"time": "2026-11-23T09:00:02Z", "model": "m1", "latency_ms": 100, )"
                  R"("error": "timeout", "prompt": "support/triage@2", "feedback": 0})" +
                  "\n" + jsonl_line("2026-11-23T09:00:03Z", "m2") + "\n");
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
        auto r = llmops(dir.path(), {"traces", "stats", "--json"});
        REQUIRE(r.exit_code == 0);
        const json stats = json::parse(r.out);
        REQUIRE(stats["groups"].size() == 2);
        const json& m1 = stats["groups"][0];
        CHECK(m1["model"] == "m1");
        CHECK(m1["calls"] == 3);
        CHECK(m1["errors"] == 1);
        CHECK(m1["input_tokens"] == 20);
        CHECK(m1["latency_p50_ms"] == 300.0);
        CHECK(m1["latency_p95_ms"] == doctest::Approx(300.0));
        CHECK(m1["feedback_mean"] == 0.0);
        CHECK(m1["cost_usd"].is_null()); // m1 is not in the price table
        CHECK(stats["total"]["calls"] == 4);
        auto filtered = llmops(dir.path(), {"traces", "stats", "--model", "m2", "--json"});
        CHECK(json::parse(filtered.out)["total"]["calls"] == 1);
        auto text = llmops(dir.path(), {"traces", "stats"});
        CHECK(text.exit_code == 0);
        CHECK(text.out.find("support/triage@2 m1") != std::string::npos);
        // At 80 columns the tables of stats and list fit, with no trailing spaces.
        for (const char* columns : {"80"}) {
            for (const char* command : {"stats", "list"}) {
                const auto narrow = llmops(dir.path(), {"traces", command}, {{"COLUMNS", columns}});
                CHECK(narrow.exit_code == 0);
                std::istringstream lines(narrow.out);
                for (std::string line; std::getline(lines, line);) {
                    CAPTURE(line);
                    CHECK(line.size() <= static_cast<size_t>(std::stoi(columns)));
                    CHECK(!line.ends_with(' '));
                }
            }
        }
    }
    TEST_CASE("cli::traces import reads a large file in chunks, reporting in the file's order") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        // About 4 MiB: chunks of 1 MiB are read on worker threads and stored in order.
        std::string text;
        for (int i = 1; i <= 12000; ++i) {
            text += i == 2 || i == 11000
                        ? "not json\n"
                        : R"({"time": "2026-11-23T09:00:00Z", "span_id": "s)" + std::to_string(i) +
                              R"(", "output": ")" + std::string(300, 'x') + "\"}\n";
        }
        write(dir, "big.jsonl", text);
        auto r = llmops(dir.path(), {"traces", "import", "big.jsonl"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "imported 11998 calls (0 already there, 0 skipped: not LLM calls, 2 bad) "
                       "from big.jsonl\n");
        CHECK(r.err == "llmops: warning: big.jsonl:2: not JSON\n"
                       "llmops: warning: big.jsonl:11000: not JSON\n");
        auto list = llmops(dir.path(), {"traces", "list", "--json", "-n", "1"});
        CHECK(json::parse(list.out)[0]["span_id"] == "s12000"); // the last stored, newest by id
    }

    TEST_CASE("cli::usage groups calls by prompt, version, model and day") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        write(dir, "calls.jsonl",
              jsonl_line("2026-11-23T09:00:00Z", "m1") + "\n" +
                  jsonl_line("2026-11-23T10:00:00Z", "gpt-4o-mini") + "\n" +
                  jsonl_line("2026-11-24T09:00:00Z", "m1") + "\n" +
                  R"({"time": "2026-11-24T09:00:01Z", "model": "m1", "latency_ms": 100, )"
                  R"("error": "timeout", "prompt": "support/triage@2"})" +
                  "\n");
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
        auto r = llmops(dir.path(), {"usage", "--by", "model,day", "--json"});
        REQUIRE(r.exit_code == 0);
        const json usage = json::parse(r.out);
        CHECK(usage["by"] == json::array({"model", "day"}));
        REQUIRE(usage["groups"].size() == 3);
        CHECK(usage["groups"][0] == json::parse(R"({"model": "gpt-4o-mini", "day": "2026-11-23",
            "calls": 1, "errors": 0, "error_rate": 0.0, "input_tokens": 10, "output_tokens": 2,
            "cost_usd": 0.0000027, "unpriced": 0, "latency_p50_ms": 300.0,
            "latency_p95_ms": 300.0})"));
        const json& m1_24 = usage["groups"][2];
        CHECK(m1_24["day"] == "2026-11-24");
        CHECK(m1_24["calls"] == 2);
        CHECK(m1_24["error_rate"] == 0.5);
        CHECK(m1_24["cost_usd"].is_null()); // m1 is unpriced
        CHECK(m1_24["latency_p50_ms"] == 200.0);
        CHECK(usage["total"]["calls"] == 4);
        auto filtered =
            llmops(dir.path(), {"usage", "--model", "m1", "--since", "2026-11-24", "--json"});
        CHECK(json::parse(filtered.out)["total"]["calls"] == 2);
        auto text =
            llmops(dir.path(), {"usage", "--by", "prompt,version,model,day"}, {{"COLUMNS", "80"}});
        CHECK(text.exit_code == 0);
        CHECK(text.out.find("unknown") != std::string::npos);
        std::istringstream lines(text.out);
        for (std::string line; std::getline(lines, line);) {
            CAPTURE(line);
            CHECK(line.size() <= 80);
            CHECK(!line.ends_with(' '));
        }
        auto bad = llmops(dir.path(), {"usage", "--by", "model,week"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err == "llmops: error: --by: unknown key 'week' (expected prompt, version, "
                         "model or day)\n");
        CHECK(llmops(dir.path(), {"usage", "--by", "version"}).err ==
              "llmops: error: --by: 'version' needs 'prompt' too\n");
    }

    TEST_CASE("cli::traces import resolves a label to its version at the call's time") {
        TempDir dir;
        REQUIRE(init(dir).exit_code == 0);
        fs::create_directories(dir / "prompts/support");
        write(dir, "prompts/support/triage.yaml", "template: 'Triage: {{ticket}}'\n");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "one"}).exit_code == 0);
        write(dir, "prompts/support/triage.yaml", "template: 'Triage this: {{ticket}}'\n");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "two"}).exit_code == 0);
        // production: 1, then 2; the calls are dated by the moves' times.
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "support/triage@1", "production"})
                    .exit_code == 0);
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "support/triage@2", "production"})
                    .exit_code == 0);
        const auto history = llmops(dir.path(), {"prompt", "label", "history", "--json"});
        const json events = json::parse(history.out)["events"];
        REQUIRE(events.size() == 2);
        const auto line = [](const std::string& time, const std::string& ref) {
            return R"({"time": ")" + time + R"(", "prompt": ")" + ref + "\"}\n";
        };
        write(dir, "calls.jsonl",
              line("2025-12-31T23:59:59Z", "support/triage@production") +
                  line(events[0]["created_at"], "support/triage@production") +
                  line("2099-01-01T00:00:00Z", "support/triage@production") +
                  line("2099-01-01T00:00:01Z", "support/triage@staging"));
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
        auto list = llmops(dir.path(), {"traces", "list", "--json"});
        std::vector<std::string> versions;
        for (const auto& c : json::parse(list.out)) {
            versions.push_back(c["version"]);
        }
        // Newest first: an unknown label and one older than the label stay as written.
        CHECK(versions == std::vector<std::string>{"staging", "2", "1", "production"});
        // Split for an A/B test, the label names no single version: kept as written.
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "support/triage@1", "production",
                                    "--weight", "10"})
                    .exit_code == 0);
        write(dir, "split.jsonl", line("2100-01-01T00:00:00Z", "support/triage@production"));
        REQUIRE(llmops(dir.path(), {"traces", "import", "split.jsonl"}).exit_code == 0);
        list = llmops(dir.path(), {"traces", "list", "--json", "-n", "1"});
        CHECK(json::parse(list.out)[0]["version"] == "production");
    }
} // TEST_SUITE

} // namespace llmops::test
