#include <doctest/doctest.h>

#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/replay.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/strings.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using namespace llmops;
using nlohmann::json;
using provider::CallOutcome;
using provider::ChatMessage;
using provider::CompletionRequest;
using provider::Recorder;
using provider::ReplayFile;
using test::TempDir;

namespace {

std::vector<ChatMessage> ask(const std::string& question) {
    return {{"system", "Be brief."}, {"user", question}};
}

CallOutcome answer(const std::string& output) {
    CallOutcome o;
    o.result.output = output;
    o.result.finish_reason = "stop";
    o.result.usage = {12, 3, 0, 0, 0, false};
    o.latency_ms = 250;
    o.cost_usd = 0.01;
    return o;
}

// One replay line as Recorder writes it (without the fields load does not need).
std::string line(const std::vector<ChatMessage>& messages, int repeat, const std::string& provider,
                 const std::string& output) {
    return json{{"v", 1},
                {"provider", provider},
                {"key", provider::replay_key(messages, repeat)},
                {"repeat", repeat},
                {"response", provider::outcome_to_json(answer(output))}}
        .dump();
}

ReplayFile load_ok(const std::filesystem::path& path) {
    auto file = ReplayFile::load(path);
    REQUIRE_OK(file);
    return std::move(*file);
}

// The message of loading `content`, which must fail with invalid_input.
std::string load_error(const TempDir& dir, const std::string& content) {
    auto file = ReplayFile::load(dir.write("r.jsonl", content));
    REQUIRE_FALSE(file.has_value());
    CHECK(file.error().code() == ErrorCode::invalid_input);
    return file.error().message();
}

std::string found_output(const ReplayFile& file, const std::vector<ChatMessage>& messages,
                         int repeat, std::string_view provider = {}) {
    auto outcome = file.find(messages, repeat, provider);
    REQUIRE_OK(outcome);
    CHECK(outcome->replayed);
    return outcome->result.output;
}

std::unique_ptr<Recorder> open_ok(const std::filesystem::path& path) {
    auto recorder = Recorder::open(path);
    REQUIRE_OK(recorder);
    return std::move(*recorder);
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::replay_key") {
        SUBCASE("the SHA-256 of the canonical messages and repeat") {
            CHECK(provider::replay_key({{"user", "hi"}}, 2) ==
                  util::sha256_hex(R"({"messages":[{"content":"hi","role":"user"}],"repeat":2})"));
        }
        SUBCASE("repeat, role, content and order all change it") {
            auto base = provider::replay_key(ask("q"), 0);
            CHECK(provider::replay_key(ask("q"), 0) == base);
            CHECK(provider::replay_key(ask("q"), 1) != base);
            CHECK(provider::replay_key(ask("Q"), 0) != base);
            CHECK(provider::replay_key({{"system", "Be brief."}, {"assistant", "q"}}, 0) != base);
            CHECK(provider::replay_key({{"user", "q"}, {"system", "Be brief."}}, 0) != base);
        }
        SUBCASE("invalid UTF-8 still gives a key") {
            auto key = provider::replay_key({{"user", "bad \xff byte"}}, 0);
            CHECK(util::is_lower_hex(key));
            CHECK(key.size() == 64);
        }
    }

    TEST_CASE("provider::Recorder") {
        TempDir dir;
        CompletionRequest request{"gpt-4o-mini", ask("Capital of France?"), {}};
        request.params.temperature = 0.5;
        request.params.tools_json = R"([{"type":"function"}])";
        SUBCASE("writes one complete line per call that load reads back") {
            auto path = dir / "sub/dir/rec.jsonl";
            {
                auto recorder = open_ok(path);
                REQUIRE(recorder->record("openai:gpt-4o-mini", request, 0, answer("Paris"))
                            .has_value());
                REQUIRE(recorder->record("openai:gpt-4o-mini", request, 1, answer("Paris!"))
                            .has_value());
            }
            auto text = dir.read("sub/dir/rec.jsonl");
            auto lines = util::split(text, '\n');
            REQUIRE(lines.size() == 3);
            CHECK(lines[2].empty());
            json first = json::parse(lines[0]);
            CHECK(first ==
                  json{{"v", 1},
                       {"provider", "openai:gpt-4o-mini"},
                       {"model", "gpt-4o-mini"},
                       {"key", provider::replay_key(request.messages, 0)},
                       {"repeat", 0},
                       {"messages",
                        {{{"content", "Be brief."}, {"role", "system"}},
                         {{"content", "Capital of France?"}, {"role", "user"}}}},
                       {"params", {{"temperature", 0.5}, {"tools", {{{"type", "function"}}}}}},
                       {"response", provider::outcome_to_json(answer("Paris"))}});
            auto file = load_ok(path);
            CHECK(file.size() == 2);
            CHECK(found_output(file, request.messages, 0) == "Paris");
            CHECK(found_output(file, request.messages, 1) == "Paris!");
        }
        SUBCASE("appends to an existing file, starting a new line when it lacks one") {
            auto path = dir.write("rec.jsonl", line(ask("a"), 0, "p", "A")); // no final newline
            auto recorder = open_ok(path);
            REQUIRE(recorder->record("p", request, 0, answer("Paris")).has_value());
            auto file = load_ok(path);
            CHECK(file.size() == 2);
            CHECK(found_output(file, ask("a"), 0) == "A");
            CHECK(found_output(file, request.messages, 0) == "Paris");
        }
        SUBCASE("a folder in the way is an io error naming the file") {
            std::filesystem::create_directories(dir / "taken");
            auto recorder = Recorder::open(dir / "taken");
            REQUIRE_FALSE(recorder.has_value());
            CHECK(recorder.error().code() == ErrorCode::io);
            CHECK(recorder.error().message() == "cannot open replay file '" +
                                                    (dir / "taken").string() +
                                                    "' for appending: Is a directory");
        }
    }

    TEST_CASE("provider::Recorder from several threads") {
        TempDir dir;
        auto path = dir / "rec.jsonl";
        constexpr int k_threads = 8;
        constexpr int k_records = 200;
        {
            auto recorder = open_ok(path);
            std::vector<std::thread> threads;
            for (int t = 0; t < k_threads; ++t) {
                threads.emplace_back([&, t] {
                    for (int i = 0; i < k_records; ++i) {
                        // Long lines, so a torn write would show.
                        CompletionRequest request{"m", ask(fmt::format("q{}-{}", t, i)), {}};
                        auto output = std::string(4000, static_cast<char>('a' + t));
                        (void)recorder->record("p", request, 0, answer(output));
                    }
                });
            }
            for (auto& thread : threads)
                thread.join();
        }
        auto file = load_ok(path);
        CHECK(file.size() == k_threads * k_records);
        CHECK(found_output(file, ask("q7-199"), 0) == std::string(4000, 'h'));
        CHECK(found_output(file, ask("q0-0"), 0) == std::string(4000, 'a'));
    }

    TEST_CASE("provider::ReplayFile::load") {
        TempDir dir;
        SUBCASE("blank lines, CRLF endings and a byte order mark are fine") {
            auto path =
                dir.write("r.jsonl", "\xEF\xBB\xBF" + line(ask("a"), 0, "p", "A") + "\r\n\n  \t\n" +
                                         line(ask("b"), 0, "p", "B") + "\n\n");
            auto file = load_ok(path);
            CHECK(file.size() == 2);
            CHECK(file.path() == path);
            CHECK(found_output(file, ask("b"), 0) == "B");
        }
        SUBCASE("an empty file holds nothing") {
            CHECK(load_ok(dir.write("r.jsonl", "")).size() == 0);
        }
        SUBCASE("the same key from the same provider: the later line wins") {
            auto path = dir.write("r.jsonl", line(ask("a"), 0, "p", "old") + "\n" +
                                                 line(ask("a"), 0, "p", "new") + "\n");
            auto file = load_ok(path);
            CHECK(file.size() == 1);
            CHECK(found_output(file, ask("a"), 0) == "new");
        }
        SUBCASE("providers, sorted and unique") {
            auto path = dir.write("r.jsonl", line(ask("a"), 0, "z:m", "1") + "\n" +
                                                 line(ask("a"), 0, "a:m", "2") + "\n" +
                                                 line(ask("b"), 0, "z:m", "3") + "\n");
            CHECK(load_ok(path).providers() == std::vector<std::string>{"a:m", "z:m"});
        }
        SUBCASE("a missing file is not_found") {
            auto file = ReplayFile::load(dir / "none.jsonl");
            REQUIRE_FALSE(file.has_value());
            CHECK(file.error().code() == ErrorCode::not_found);
            CHECK(file.error().message() ==
                  "replay file '" + (dir / "none.jsonl").string() + "' does not exist");
        }
        SUBCASE("ten thousand lines load quickly") {
            auto path = dir / "big.jsonl";
            {
                auto recorder = open_ok(path);
                for (int i = 0; i < 10000; ++i) {
                    CompletionRequest request{
                        "m", ask(fmt::format("{} {}", i, std::string(600, 'q'))), {}};
                    REQUIRE(recorder->record("p", request, 0, answer(std::string(300, 'a'))));
                }
            }
            // CPU time, not wall time: the machines running the tests are often busy.
            std::clock_t start = std::clock();
            auto file = load_ok(path);
            double ms = 1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
            CHECK(file.size() == 10000);
            // About 15 ms optimised (13 MB); the bound leaves room for sanitizers but still
            // catches anything quadratic.
            CHECK(ms < 1000);
            MESSAGE("loading 10,000 lines (", std::filesystem::file_size(path) >> 20, " MB) took ",
                    ms, " ms of CPU");
        }
    }

    TEST_CASE("provider::ReplayFile::load errors") {
        TempDir dir;
        const std::string name = (dir / "r.jsonl").string();
        const std::string good = line(ask("a"), 0, "p", "A") + "\n";
        SUBCASE("a line that is not JSON, with its line and column") {
            CHECK(
                load_error(
                    dir, good + R"({"key": "k", "provider": "p", "response": {"output": "x",}})") ==
                name + ":2:58: not valid JSON: expected a member name, found '}'");
            CHECK(load_error(dir, good + "\n" + R"({"key": "k", "provi)") ==
                  name + ":3:20: not valid JSON: unterminated string");
            CHECK(load_error(dir, R"({"key": "k"} x)") ==
                  name + ":1:14: not valid JSON: unexpected 'x' after the JSON value");
            CHECK(load_error(dir, "{\"key\": \"a\xff\"}") ==
                  name + ":1:11: not valid JSON: invalid UTF-8");
            CHECK(load_error(dir, "{\"key\": \"a\tb\"}") ==
                  name + ":1:11: not valid JSON: control character 0x09 in a string");
            CHECK(load_error(dir, R"({"n": 01})") ==
                  name + ":1:8: not valid JSON: expected ',' or '}', found '1'");
            CHECK(load_error(dir, R"({"n": 1e999})") ==
                  name + ":1:7: not valid JSON: number overflow");
            CHECK(load_error(dir, R"({"s": "\ud800"})") ==
                  name + ":1:14: not valid JSON: high surrogate not followed by a low surrogate");
            CHECK(load_error(dir, std::string(600, '[')) ==
                  name + ":1:513: nesting deeper than 512 levels");
            // 100,000 levels in 200 KB (the response of a record, or the line itself) cost no
            // stack.
            const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
            CHECK(load_error(dir, good + deep) == name + ":2:513: nesting deeper than 512 levels");
            CHECK(load_error(dir, R"({"key": "k", "provider": "p", "response": {"a": )" + deep +
                                      "}}") == name + ":1:559: nesting deeper than 512 levels");
        }
        SUBCASE("a line that is JSON but not a record") {
            CHECK(load_error(dir, "[1, 2]\n") == name + ":1: not a JSON object");
            CHECK(load_error(dir, R"({"provider": "p", "response": {}})") ==
                  name + ":1: missing 'key'");
            CHECK(load_error(dir, R"({"key": "k", "response": {}})") ==
                  name + ":1: missing 'provider'");
            CHECK(load_error(dir, R"({"key": "k", "provider": "p"})") ==
                  name + ":1: missing 'response'");
            CHECK(load_error(dir, R"({"key": 5, "provider": "p", "response": {}})") ==
                  name + ":1: 'key' is not a string");
            CHECK(load_error(dir, R"({"key": "k", "provider": "p", "response": "Paris"})") ==
                  name + ":1: 'response' is not an object");
            CHECK(load_error(dir, R"({"key": "", "provider": "p", "response": {}})") ==
                  name + ":1: 'key' is empty");
            CHECK(load_error(dir, R"({"v": 2, "key": "k", "provider": "p", "response": {}})") ==
                  name + ":1: unsupported replay format version 2 (this llmops reads version 1)");
        }
        SUBCASE("escaped member names and values are decoded") {
            auto path = dir.write(
                "r.jsonl",
                R"({"k\u0065y": ")" + provider::replay_key(ask("a"), 0) +
                    R"(", "provider": "p\/q", "response": {"output": "A", "usage": {}}})");
            auto file = load_ok(path);
            CHECK(file.providers() == std::vector<std::string>{"p/q"});
            CHECK(found_output(file, ask("a"), 0) == "A");
        }
    }

    TEST_CASE("provider::ReplayFile::load agrees with nlohmann on what is JSON") {
        // Random single-byte edits of valid lines: whatever nlohmann rejects, load must reject as
        // "not valid JSON", and the other way round.
        TempDir dir;
        const std::vector<std::string> bases = {
            R"({"key": "k", "provider": "p", "response": )"
            R"({"output": "é \"x\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00", "usage": {}}})",
            R"({"a": [1, -2, 3.5, -0.25e+10, 6E-3, true, false, null, {}, [], ""], )"
            R"("b": {"c": [[{}]]}})",
            R"({"key": "k", "provider": "p", )"
            R"("response": {"output": "日本語 ok", "usage": {"input": 10}}})",
        };
        const std::string inserts =
            "{}[]\":,\\ 0123456789eE+-.tfnu/\x01\x7f\x80\xbf\xc3\xe2\xed\xf0\xf4\xff";
        std::mt19937 random(12345);
        int rejected = 0;
        for (int round = 0; round < 1500; ++round) {
            std::string text = bases[random() % bases.size()];
            size_t at = random() % text.size();
            char byte = inserts[random() % inserts.size()];
            switch (random() % 3) {
            case 0: text.erase(at, 1); break;
            case 1: text.insert(at, 1, byte); break;
            default: text[at] = byte; break;
            }
            if (util::trim(text).empty())
                continue;
            auto file = ReplayFile::load(dir.write("r.jsonl", text));
            bool not_json =
                !file && file.error().message().find(": not valid JSON: ") != std::string::npos;
            CHECK_MESSAGE(not_json != json::accept(text), text);
            rejected += not_json ? 1 : 0;
        }
        CHECK(rejected > 300); // the edits did exercise the rejecting paths
    }

    TEST_CASE("provider::ReplayFile::find") {
        TempDir dir;
        const std::string name = (dir / "r.jsonl").string();
        auto path =
            dir.write("r.jsonl", line(ask("a"), 0, "openai:m", "from openai") + "\n" +
                                     line(ask("a"), 0, "anthropic:m", "from anthropic") + "\n" +
                                     line(ask("b"), 0, "openai:m", "B") + "\n" + R"({"key": ")" +
                                     provider::replay_key(ask("bad"), 0) +
                                     R"(", "provider": "p", "response": {"usage": {}}})" + "\n");
        auto file = load_ok(path);
        SUBCASE("a hit comes back replayed, without cost, and with its usage") {
            auto outcome = file.find(ask("b"), 0, "");
            REQUIRE(outcome.has_value());
            CHECK(outcome->replayed);
            CHECK_FALSE(outcome->cached);
            CHECK_FALSE(outcome->cost_usd.has_value());
            CHECK(outcome->result.usage.input == 12);
            CHECK(outcome->latency_ms == 250);
        }
        SUBCASE("the provider chooses among answers to the same request") {
            CHECK(found_output(file, ask("a"), 0, "anthropic:m") == "from anthropic");
            CHECK(found_output(file, ask("a"), 0, "openai:m") == "from openai");
        }
        SUBCASE("several providers and none chosen") {
            auto outcome = file.find(ask("a"), 0, "");
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().code() == ErrorCode::invalid_input);
            CHECK(outcome.error().message() ==
                  "replay " + name +
                      ": this request was recorded from several providers; set config.provider to "
                      "one of: anthropic:m, openai:m");
        }
        SUBCASE("a miss names the file, the repeat and the first message") {
            auto outcome = file.find(ask("b"), 1, "");
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().code() == ErrorCode::not_found);
            CHECK(
                outcome.error().message() ==
                "replay " + name +
                    ": no recorded answer for this request (repeat 1; first message: 'Be brief.')");
        }
        SUBCASE("a miss for a chosen provider names it") {
            auto outcome = file.find(ask("b"), 0, "anthropic:m");
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().message() ==
                  "replay " + name +
                      ": no recorded answer from 'anthropic:m' for this request (repeat 0; first "
                      "message: 'Be brief.')");
        }
        SUBCASE("a long first message is cut at 60 characters on one line") {
            std::string long_text = "Line one\nline two " + std::string(60, 'x') + "é";
            auto outcome = file.find({{"user", long_text}}, 0, "");
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().message() ==
                  "replay " + name +
                      ": no recorded answer for this request (repeat 0; first "
                      "message: 'Line one line two " +
                      std::string(42, 'x') + "...')");
        }
        SUBCASE("no messages at all") {
            auto outcome = file.find({}, 0, "");
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().message() ==
                  "replay " + name +
                      ": no recorded answer for this request (repeat 0; no messages)");
        }
        SUBCASE("a malformed answer names its line") {
            auto outcome = file.find(ask("bad"), 0, "");
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().code() == ErrorCode::invalid_input);
            CHECK(outcome.error().message() == name + ":4: response.output is missing");
        }
    }

} // TEST_SUITE
