// The call engine against a loopback server speaking the OpenAI wire format: concurrency,
// the response cache, rate limits, stopping, recording, errors.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/provider/engine.hpp>
#include <llmops/util/hash.hpp>

#include "support/loopback.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

using namespace llmops;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_key = "sk-engine-planted-key-42";

// A loopback OpenAI server answering "echo: <last message>" after `delay`, counting requests
// and the most it saw at once.
struct FakeOpenAi {
    test::LoopbackServer server{64};
    std::atomic<int> active{0};
    std::atomic<int> max_active{0};
    std::atomic<int> fail_next{0};
    std::chrono::milliseconds delay{0};
    // When set, a request is answered only once this many were in flight together (or after
    // 30 s, which only an engine that never ran that many at once waits for).
    std::atomic<int> answer_when_active{0};

    FakeOpenAi() {
        server.post("/v1/chat/completions", [this](const httplib::Request& req,
                                                   httplib::Response& res) {
            const int now = ++active;
            int seen = max_active.load();
            while (now > seen && !max_active.compare_exchange_weak(seen, now)) {
            }
            server.sleep_unless_stopping(delay);
            if (const int wanted = answer_when_active.load(); wanted > 0) {
                test::wait_until([&] { return max_active.load() >= wanted; },
                                 std::chrono::seconds(30));
            }
            --active;
            if (fail_next > 0) {
                --fail_next;
                res.status = 401;
                res.set_content(std::string(R"({"error":{"message":"bad key )") + k_key + "\"}}",
                                "application/json");
                return;
            }
            const auto body = json::parse(req.body);
            const std::string text =
                "echo: " + body["messages"].back()["content"].get<std::string>();
            res.set_content(json{{"choices",
                                  {{{"index", 0},
                                    {"finish_reason", "stop"},
                                    {"message", {{"role", "assistant"}, {"content", text}}}}}},
                                 {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}}
                                .dump(),
                            "application/json");
        });
        server.start();
    }

    std::unique_ptr<provider::Provider> provider(std::string_view config = "{}") {
        auto c = provider::parse_provider_config(
            json{{"id", "openai:gpt-4o-mini"}, {"config", json::parse(config)}}, "test", ".");
        REQUIRE(c.has_value());
        const std::string base = server.url("/v1");
        auto made = provider::Provider::create(
            std::move(*c), [base](std::string_view name) -> std::optional<std::string> {
                if (name == "OPENAI_API_KEY")
                    return std::string(k_key);
                if (name == "OPENAI_BASE_URL")
                    return base;
                return std::nullopt;
            });
        REQUIRE(made.has_value());
        return std::move(*made);
    }
};

provider::CallJob job(const provider::Provider& p, std::string text, int repeat = 0) {
    provider::CallJob j;
    j.provider = &p;
    j.request.model = p.config().spec.model;
    j.request.messages = {{"user", std::move(text)}};
    j.repeat = repeat;
    return j;
}

// Runs `jobs` and returns their outcomes in submission order.
std::vector<Expected<provider::CallOutcome>> run_all(provider::CallEngine& engine,
                                                     std::vector<provider::CallJob> jobs,
                                                     const std::function<bool()>& stop = {}) {
    std::vector<std::optional<Expected<provider::CallOutcome>>> out(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
        engine.submit(std::move(jobs[i]),
                      [&out, i](Expected<provider::CallOutcome> r) { out[i] = std::move(r); });
    }
    engine.run(stop);
    std::vector<Expected<provider::CallOutcome>> done;
    for (auto& o : out) {
        REQUIRE(o.has_value()); // every callback ran exactly once
        done.push_back(std::move(*o));
    }
    return done;
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::CallEngine") {
        FakeOpenAi fake;
        const auto openai = fake.provider();

        SUBCASE("runs up to -j calls at once and prices them") {
            fake.answer_when_active = 4;
            provider::CallEngine engine({4});
            std::vector<provider::CallJob> jobs;
            for (int i = 0; i < 12; ++i) {
                jobs.push_back(job(*openai, "q" + std::to_string(i)));
            }
            const auto results = run_all(engine, std::move(jobs));
            CHECK(fake.max_active.load() == 4);
            CHECK(fake.server.request_count() == 12);
            REQUIRE(results[7].has_value());
            CHECK(results[7]->result.output == "echo: q7");
            CHECK(results[7]->cost_usd.has_value());
            CHECK(engine.counters().finished == 12);
        }
        SUBCASE("an error names the provider, never the key, and counts") {
            fake.fail_next = 1;
            provider::CallEngine engine({1});
            const auto results = run_all(engine, {job(*openai, "x")});
            REQUIRE_FALSE(results[0].has_value());
            CHECK(results[0].error().message() ==
                  "provider 'openai:gpt-4o-mini': openai: HTTP 401: bad key [redacted]");
            CHECK(engine.counters().errors == 1);
        }
        SUBCASE("a stop cancels the calls not started and keeps the finished ones") {
            fake.delay = 50ms;
            provider::CallEngine engine({2});
            std::vector<provider::CallJob> jobs;
            for (int i = 0; i < 10; ++i) {
                jobs.push_back(job(*openai, "q" + std::to_string(i)));
            }
            const auto results =
                run_all(engine, std::move(jobs), [&] { return engine.counters().finished >= 2; });
            const auto ok = std::count_if(results.begin(), results.end(),
                                          [](const auto& r) { return r.has_value(); });
            CHECK(ok >= 2);
            CHECK(ok <= 4); // at most the two in flight when the stop came
            CHECK(fake.server.request_count() == ok);
            REQUIRE_FALSE(results[9].has_value());
            CHECK(results[9].error().code() == ErrorCode::interrupted);
            CHECK(results[9].error().message() ==
                  "provider 'openai:gpt-4o-mini': not started: interrupted");
        }
        SUBCASE("rpm spaces the calls out") {
            const auto limited = fake.provider(R"({"rpm": 120})"); // 2 per second, burst of 20
            provider::CallEngine engine({8});
            std::vector<provider::CallJob> jobs;
            for (int i = 0; i < 22; ++i) {
                jobs.push_back(job(*limited, "q" + std::to_string(i)));
            }
            const auto start = std::chrono::steady_clock::now();
            const auto results = run_all(engine, std::move(jobs));
            CHECK(std::chrono::steady_clock::now() - start >= 950ms); // the 22nd waits a second
            CHECK(std::all_of(results.begin(), results.end(),
                              [](const auto& r) { return r.has_value(); }));
        }
    }

    TEST_CASE("provider::CallEngine cache") {
        FakeOpenAi fake;
        const auto openai = fake.provider();
        test::TempDir dir;
        auto cache = store::ResponseCache::open(dir.path() / "cache.db");
        REQUIRE(cache.has_value());

        SUBCASE("a second run answers from the cache; the repeat index is part of the key") {
            {
                provider::CallEngine engine({2, &*cache});
                const auto first = run_all(engine, {job(*openai, "a"), job(*openai, "a", 1)});
                CHECK_FALSE(first[0]->cached);
            }
            CHECK(fake.server.request_count() == 2);
            provider::CallEngine engine({2, &*cache});
            const auto second =
                run_all(engine, {job(*openai, "a"), job(*openai, "a", 1), job(*openai, "a", 2)});
            CHECK(fake.server.request_count() == 3);
            CHECK(second[0]->cached);
            CHECK(second[0]->result.output == "echo: a");
            CHECK(second[0]->cost_usd.has_value());
            CHECK(second[1]->cached);
            CHECK_FALSE(second[2]->cached);
            CHECK(engine.counters().cache_hits == 2);
        }
        SUBCASE("refresh never reads, but writes; errors are never cached") {
            fake.fail_next = 1;
            provider::CallEngine failing({1, &*cache});
            CHECK_FALSE(run_all(failing, {job(*openai, "b")})[0].has_value());
            provider::CallEngine refresh({1, &*cache, provider::CacheMode::refresh});
            CHECK_FALSE(run_all(refresh, {job(*openai, "b")})[0]->cached);
            provider::CallEngine use({1, &*cache});
            CHECK(run_all(use, {job(*openai, "b")})[0]->cached);
            CHECK(fake.server.request_count() == 2);
        }
    }

    TEST_CASE("provider::cache_key") {
        FakeOpenAi fake;
        const auto openai = fake.provider();
        const auto other = fake.provider(R"({"apiBaseUrl": "http://elsewhere/v1"})");
        provider::CompletionRequest request;
        request.model = "gpt-4o-mini";
        request.messages = {{"user", "hi"}};
        const auto key = provider::cache_key(*openai, request, 0, "");
        CHECK(key.size() == 64);
        CHECK(key == provider::cache_key(*openai, request, 0, ""));
        CHECK(key != provider::cache_key(*openai, request, 1, ""));
        CHECK(key != provider::cache_key(*openai, request, 0, "judge-v2"));
        CHECK(key != provider::cache_key(*other, request, 0, ""));
        auto warmer = request;
        warmer.params.temperature = 0.7;
        CHECK(key != provider::cache_key(*openai, warmer, 0, ""));
        auto streamed = request;
        streamed.params.stream = true; // streaming does not change the answer
        CHECK(key == provider::cache_key(*openai, streamed, 0, ""));
    }

    TEST_CASE("provider::CallEngine record and replay") {
        FakeOpenAi fake;
        const auto openai = fake.provider();
        test::TempDir dir;
        const auto file = dir.path() / "rec.jsonl";
        {
            auto recorder = provider::Recorder::open(file);
            REQUIRE(recorder.has_value());
            provider::CallEngine engine({2, nullptr, provider::CacheMode::use, recorder->get()});
            run_all(engine, {job(*openai, "one"), job(*openai, "two")});
        }
        auto config = provider::parse_provider_config("replay:" + file.string(), "test", ".");
        REQUIRE(config.has_value());
        auto replay = provider::Provider::create(std::move(*config),
                                                 [](std::string_view) { return std::nullopt; });
        REQUIRE(replay.has_value());
        provider::CallEngine engine({2});
        const auto results = run_all(engine, {job(**replay, "two"), job(**replay, "three")});
        REQUIRE(results[0].has_value());
        CHECK(results[0]->result.output == "echo: two");
        CHECK(results[0]->replayed);
        CHECK(results[0]->cost_usd.has_value()); // priced as the recorded openai model
        REQUIRE_FALSE(results[1].has_value());
        CHECK(results[1].error().code() == ErrorCode::not_found);
        CHECK(fake.server.request_count() == 2);
    }

    TEST_CASE("provider::CallEngine redaction") {
        FakeOpenAi fake; // answers "echo: <the prompt>": a model reflecting what it was sent
        const auto openai = fake.provider();
        test::TempDir dir;
        const std::string blob = util::base64_encode(std::string("user:") + k_key);

        SUBCASE(
            "an answer echoing the key reaches neither the callback, the cache nor the recording") {
            auto cache = store::ResponseCache::open(dir.path() / "cache.db");
            REQUIRE(cache.has_value());
            auto recorder = provider::Recorder::open(dir.path() / "rec.jsonl");
            REQUIRE(recorder.has_value());
            {
                provider::CallEngine engine(
                    {2, &*cache, provider::CacheMode::use, recorder->get()});
                const auto first = run_all(engine, {job(*openai, std::string("say ") + k_key),
                                                    job(*openai, "auth Basic " + blob)});
                REQUIRE(first[0].has_value());
                CHECK(first[0]->result.output == "echo: say [redacted]");
                CHECK(first[1]->result.output == "echo: auth Basic [redacted]");
            }
            provider::CallEngine engine({1, &*cache});
            const auto hit = run_all(engine, {job(*openai, std::string("say ") + k_key)});
            CHECK(hit[0]->cached);
            CHECK(hit[0]->result.output == "echo: say [redacted]");
            REQUIRE(cache->flush().has_value());
            std::string written;
            for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
                written += dir.read(entry.path().filename().string());
            }
            CHECK(written.find("echo: say [redacted]") != std::string::npos);
            CHECK(written.find(k_key) == std::string::npos);
            CHECK(written.find(blob) == std::string::npos);
        }
        SUBCASE("secrets added to a provider are redacted from its answers, in any form") {
            openai->add_secrets({"an0ther \"key\"/x"});
            provider::CallEngine engine({1});
            const auto results = run_all(engine, {job(*openai, "a an0ther+%22key%22%2fx b"),
                                                  job(*openai, R"(c an0ther \"key\"\/x d)")});
            CHECK(results[0]->result.output == "echo: a [redacted] b");
            CHECK(results[1]->result.output == "echo: c [redacted] d");
        }
        SUBCASE("a short dummy key breaks neither the response's JSON nor the answer") {
            openai->add_secrets({"o"}); // in "prompt_tokens", "content", "choices" and the answer
            provider::CallEngine engine({1});
            const auto results = run_all(engine, {job(*openai, "hello")});
            REQUIRE(results[0].has_value());
            CHECK(results[0]->result.output == "echo: hello");
            CHECK(results[0]->result.usage.input == 10);
            CHECK_FALSE(results[0]->result.usage.estimated);
        }
    }

} // TEST_SUITE
