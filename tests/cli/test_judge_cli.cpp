// Model-graded assertions end to end (issue 5, SPEC §9): a loopback judge speaking the OpenAI
// format returns scripted verdicts (clean JSON, fenced JSON, prose around JSON, garbage, a verdict
// that flips with the order of select-best's outputs, a verdict that changes between samples);
// the model under test is `echo`, so each case's output is its prompt and the judge can tell
// the cases apart by markers in it.

#include <atomic>
#include <cmath>
#include <mutex>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

using nlohmann::json;

std::string completion(const std::string& content, const json& logprobs = nullptr) {
    json choice = {{"index", 0},
                   {"finish_reason", "stop"},
                   {"message", {{"role", "assistant"}, {"content", content}}}};
    if (!logprobs.is_null()) {
        choice["logprobs"] = {{"content", logprobs}};
    }
    return json{{"choices", {choice}},
                {"usage", {{"prompt_tokens", 50}, {"completion_tokens", 10}}}}
        .dump();
}

// Tokens of {"reason": "ok", "score": 4} where the judge hesitated between 4 (p 0.6), 5 (0.3)
// and 3 (0.1): the weighted score is 4.2.
json hesitant_logprobs() {
    const auto token = [](const char* t) {
        return json{{"token", t}, {"logprob", -0.01}, {"top_logprobs", json::array()}};
    };
    json four = {{"token", "4"},
                 {"logprob", std::log(0.6)},
                 {"top_logprobs",
                  {{{"token", "4"}, {"logprob", std::log(0.6)}},
                   {{"token", "5"}, {"logprob", std::log(0.3)}},
                   {{"token", " 3"}, {"logprob", std::log(0.1)}},
                   {{"token", "four"}, {"logprob", std::log(0.0001)}}}}};
    return json{token("{\""),   token("reason"), token("\": \"ok\", \""),
                token("score"), token("\": "),   four,
                token("}")};
}

// The scripted judge. Markers in the judged text choose the reply.
class ScriptedJudge {
public:
    ScriptedJudge() {
        m_server.post("/v1/chat/completions", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
            const json body = json::parse(req.body);
            std::string text;
            for (const auto& m : body["messages"]) {
                text += m["content"].get<std::string>() + "\n";
            }
            {
                std::lock_guard lock(m_mutex);
                m_requests.push_back(body);
            }
            if (text.find("[gevallp]") != std::string::npos && body.value("logprobs", false)) {
                res.set_content(completion(R"({"reason": "ok", "score": 4})", hesitant_logprobs()),
                                "application/json");
                return;
            }
            res.set_content(completion(reply(text)), "application/json");
        });
        // Embeddings: "paris" points one way, "lyon" another, anything else in between.
        m_server.post(
            "/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
                const json body = json::parse(req.body);
                {
                    std::lock_guard lock(m_mutex);
                    m_embedding_requests.push_back(body);
                }
                json data = json::array();
                int i = 0;
                for (const auto& input : body["input"]) {
                    const std::string text = input.get<std::string>();
                    const bool paris = text.find("Paris") != std::string::npos;
                    const bool lyon = text.find("Lyon") != std::string::npos;
                    data.push_back({{"index", i++},
                                    {"embedding", paris  ? json{1.0, 0.0}
                                                  : lyon ? json{0.0, 1.0}
                                                         : json{1.0, 1.0}}});
                }
                res.set_content(json{{"data", data}, {"usage", {{"prompt_tokens", 7}}}}.dump(),
                                "application/json");
            });
        m_server.start();
    }
    json embedding_request(size_t i) {
        std::lock_guard lock(m_mutex);
        return m_embedding_requests.at(i);
    }

    std::string base_url() const { return m_server.url("/v1"); }
    int calls() const { return m_server.request_count(); }
    json request(size_t i) {
        std::lock_guard lock(m_mutex);
        return m_requests.at(i);
    }

private:
    std::string reply(const std::string& text) {
        const auto has = [&](std::string_view marker) {
            return text.find(marker) != std::string::npos;
        };
        if (has("pick the one that best meets")) { // select-best
            // "[steady]": always the output saying "alpha", wherever it is; else always the first
            // output shown (a judge with position bias).
            if (has("[steady]")) {
                const auto first = text.find("<output index=\"0\">");
                const auto alpha = text.find("alpha", first);
                const auto second = text.find("<output index=\"1\">");
                return fmt::format(R"({{"reason": "alpha is better", "choice": {}}})",
                                   alpha < second ? 0 : 1);
            }
            return R"({"reason": "the first one", "choice": 0})";
        }
        if (has("[clean]"))
            return R"({"reason": "meets the rubric", "pass": true, "score": 1})";
        if (has("[fenced]"))
            return "```json\n{\"reason\": \"fine\", \"pass\": true, \"score\": 0.9}\n```";
        if (has("[prose]"))
            return "Let me think. The answer misses the point.\n{\"reason\": \"off topic\", "
                   "\"pass\": false, \"score\": 0.2}\nThat is my verdict.";
        if (has("[garbage]"))
            return "I cannot decide, sorry.";
        if (has("[flaky]")) {
            // Alternates pass, fail, pass, ... across samples: the judge's own noise.
            const bool pass = m_flaky++ % 2 == 0;
            return fmt::format(R"({{"reason": "coin", "pass": {}}})", pass ? "true" : "false");
        }
        if (has("[geval]"))
            return R"({"reason": "mostly coherent", "score": 4})";
        if (has("[fact]"))
            return R"({"reason": "adds detail", "category": "B"})";
        if (has("[wrongfact]"))
            return R"x({"reason": "contradicts", "category": "(D)"})x";
        if (has("[rag]"))
            return R"({"reason": "2 of 3 claims supported", "score": 0.6667})";
        return R"({"reason": "default", "pass": true})";
    }

    LoopbackServer m_server;
    std::mutex m_mutex;
    std::vector<json> m_requests;
    std::vector<json> m_embedding_requests;
    std::atomic<int> m_flaky{0};
};

std::string judge_block(const ScriptedJudge& judge) {
    return fmt::format("judge:\n  provider:\n    id: openai:judge-model\n"
                       "    config: {{apiBaseUrl: '{}', apiKeyEnvar: JUDGE_TEST_KEY}}\n",
                       judge.base_url());
}

const std::map<std::string, std::string> k_env = {{"JUDGE_TEST_KEY", "sk-judge-test"}};

// The results of the latest run, by case id.
std::map<std::string, json> results_by_case(const TempDir& dir) {
    const auto r = llmops(dir.path(), {"runs", "export", "latest", "-o", "export.json"});
    REQUIRE(r.exit_code == 0);
    std::map<std::string, json> out;
    const json doc = json::parse(dir.read("export.json"));
    for (const auto& result : doc["results"]) {
        out[result["case_id"].get<std::string>() + "#" +
            std::to_string(result["variant"].get<int>())] = result;
    }
    return out;
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::eval picks promptfoo's default grader from the API keys set") {
        ScriptedJudge judge;
        TempDir dir;
        // No judge anywhere in the suite, as in most of promptfoo's examples.
        dir.write("promptfooconfig.yaml", "prompts: ['{{text}}']\nproviders: [echo]\n"
                                          "defaultTest:\n  assert:\n    - type: llm-rubric\n"
                                          "      value: answers politely\n"
                                          "tests:\n  - vars: {text: 'hello [clean]'}\n");
        std::map<std::string, std::string> env{
            {"OPENAI_API_KEY", "sk-default-grader"}, {"OPENAI_BASE_URL", judge.base_url()},
            {"LLMOPS_JUDGE", "\x01unset"},           {"ANTHROPIC_API_KEY", "\x01unset"},
            {"GEMINI_API_KEY", "\x01unset"},         {"GOOGLE_API_KEY", "\x01unset"}};
        SUBCASE("OPENAI_API_KEY: promptfoo's OpenAI grader grades, and one line says so") {
            const auto r = llmops(dir.path(), {"eval", "--json"}, env);
            CHECK(r.exit_code == 0);
            CHECK(r.err.find(
                      "llmops: judge: openai:gpt-5.5-2026-04-23, promptfoo's default grader, as "
                      "OPENAI_API_KEY is set (--grader PROVIDER picks another)\n") !=
                  std::string::npos);
            REQUIRE(judge.calls() == 1);
            CHECK(judge.request(0)["model"] == "gpt-5.5-2026-04-23");
        }
        SUBCASE("ANTHROPIC_API_KEY alone: Claude; --validate names it and calls nothing") {
            env["OPENAI_API_KEY"] = "\x01unset";
            env["ANTHROPIC_API_KEY"] = "sk-ant-test";
            const auto r = llmops(dir.path(), {"eval", "--validate"}, env);
            CHECK(r.exit_code == 0);
            CHECK(r.err.find("llmops: judge: anthropic:messages:claude-sonnet-4-6, "
                             "promptfoo's default grader, as ANTHROPIC_API_KEY is set") !=
                  std::string::npos);
            CHECK(judge.calls() == 0);
        }
        SUBCASE("a judge named anywhere wins, and no line is printed") {
            env["LLMOPS_JUDGE"] = "echo";
            const auto r = llmops(dir.path(), {"eval", "--validate"}, env);
            CHECK(r.exit_code == 0);
            CHECK(r.err.find("default grader") == std::string::npos);
        }
    }

    TEST_CASE("cli::eval with a judge: verdict shapes, errors, tokens and the cache") {
        ScriptedJudge judge;
        TempDir dir;
        dir.write("suite.yaml", "prompts: ['{{text}}']\nproviders: [echo]\n" + judge_block(judge) +
                                    "defaultTest:\n  assert:\n    - type: llm-rubric\n"
                                    "      value: answers politely\n"
                                    "tests:\n"
                                    "  - {id: clean, vars: {text: 'hello [clean]'}}\n"
                                    "  - {id: fenced, vars: {text: 'hello [fenced]'}}\n"
                                    "  - {id: prose, vars: {text: 'hello [prose]'}}\n"
                                    "  - {id: garbage, vars: {text: 'hello [garbage]'}}\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--json"}, k_env);
        CHECK(r.exit_code == 3); // an error (the garbage verdict) past --max-errors 0
        CHECK(judge.calls() == 4);
        auto results = results_by_case(dir);
        SUBCASE("clean and fenced JSON pass, prose around JSON is read, garbage is an error") {
            CHECK(results["clean#0"]["status"] == "pass");
            CHECK(results["fenced#0"]["status"] == "pass");
            CHECK(results["fenced#0"]["score"] == doctest::Approx(0.9));
            CHECK(results["prose#0"]["status"] == "fail");
            CHECK(results["prose#0"]["reason"].get<std::string>().find("off topic") !=
                  std::string::npos);
            CHECK(results["garbage#0"]["status"] == "error");
            CHECK(results["garbage#0"]["reason"] ==
                  "llm-rubric: judge reply has no JSON verdict: 'I cannot decide, sorry.'");
        }
        SUBCASE("the raw reply, the judge and its prompt version are kept in the result") {
            const json& a = results["garbage#0"]["assertions"][0];
            CHECK(a["judge"]["samples"][0]["reply"] == "I cannot decide, sorry.");
            CHECK(a["judge"]["judge"] == "openai:judge-model");
            CHECK(a["judge"]["prompt"] == "judge/llm-rubric@1");
            CHECK(a["judge"]["version_id"].get<std::string>().size() == 64);
            // The judge prompt's config asks for JSON mode and temperature 0.
            const json request = judge.request(0);
            CHECK(request["model"] == "judge-model");
            CHECK(request["temperature"] == 0);
            CHECK(request["response_format"]["type"] == "json_object");
        }
        SUBCASE("judge tokens and cost are reported apart from the model's") {
            CHECK(results["clean#0"]["judge"]["calls"] == 1);
            CHECK(results["clean#0"]["judge"]["input_tokens"] == 50);
            CHECK(results["clean#0"]["judge"]["output_tokens"] == 10);
            CHECK(results["clean#0"]["usage"]["input"] != 50); // echo's own estimate
            const auto summary = json::parse(r.out);
            CHECK(summary["variants"][0]["judge"]["calls"] == 4);
            CHECK(summary["variants"][0]["judge"]["input_tokens"] == 200);
            const auto text = llmops(dir.path(), {"runs", "show", "latest"});
            CHECK(text.out.find("judge: 4 calls, 200/40 tokens") != std::string::npos);
        }
        SUBCASE("judge calls are cached; a new judge prompt version changes the key") {
            CHECK(llmops(dir.path(), {"eval", "suite.yaml"}, k_env).exit_code == 3);
            CHECK(judge.calls() == 4); // every verdict from the cache
            REQUIRE(llmops(dir.path(), {"prompt", "checkout", "judge/llm-rubric"}).exit_code == 0);
            std::string prompt = dir.read("prompts/judge/llm-rubric.yaml");
            const auto at = prompt.find("Be strict and literal");
            REQUIRE(at != std::string::npos);
            prompt.replace(at, 21, "Be strict, literal and brief");
            dir.write("prompts/judge/llm-rubric.yaml", prompt);
            REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "brief"}).exit_code == 0);
            CHECK(llmops(dir.path(), {"eval", "suite.yaml"}, k_env).exit_code == 3);
            CHECK(judge.calls() == 8);
            auto again = results_by_case(dir);
            CHECK(again["clean#0"]["assertions"][0]["judge"]["prompt"] == "judge/llm-rubric@2");
            CHECK(again["clean#0"]["assertions"][0]["judge"]["version_id"] !=
                  results["clean#0"]["assertions"][0]["judge"]["version_id"]);
            // The run's provenance names the judge prompt version, so diffs can tell judges apart.
            const auto shown =
                json::parse(llmops(dir.path(), {"runs", "show", "latest", "--json"}).out);
            CHECK(shown["run"]["provenance"]["judge"]["prompts"]["llm-rubric"]["ref"] ==
                  "judge/llm-rubric@2");
        }
        SUBCASE("the key never reaches the store or the reports") {
            CHECK(dir.read("export.json").find("sk-judge-test") == std::string::npos);
            CHECK(dir.read(".llmops/llmops.db").find("sk-judge-test") == std::string::npos);
            CHECK(dir.read(".llmops/cache.db").find("sk-judge-test") == std::string::npos);
        }
    }

    TEST_CASE("cli::eval with a judge: the other model-graded types") {
        ScriptedJudge judge;
        TempDir dir;
        dir.write("suite.yaml",
                  "prompts: ['{{text}}']\nproviders: [echo]\n" + judge_block(judge) +
                      "tests:\n"
                      "  - id: geval\n    vars: {text: 'a summary [geval]'}\n"
                      "    assert: [{type: g-eval, value: coherence, threshold: 0.8}]\n"
                      "  - id: gevallp\n    vars: {text: 'a summary [gevallp]'}\n"
                      "    assert: [{type: g-eval, value: coherence, threshold: 0.8}]\n"
                      "  - id: gevalplain\n    vars: {text: 'a summary [gevallp]'}\n"
                      "    assert: [{type: g-eval, value: coherence, config: {logprobs: false}}]\n"
                      "  - id: fact\n    vars: {text: 'Paris, on the Seine [fact]'}\n"
                      "    assert: [{type: factuality, value: Paris}]\n"
                      "  - id: wrongfact\n    vars: {text: 'Lyon [wrongfact]'}\n"
                      "    assert: [{type: factuality, value: Paris}]\n"
                      "  - id: rag\n    vars: {text: 'answer [rag]', context: 'retrieved text', "
                      "query: 'q?'}\n"
                      "    assert: [{type: context-faithfulness, threshold: 0.6}, {type: "
                      "context-relevance}]\n"
                      "  - id: norag\n    vars: {text: 'answer [rag]'}\n"
                      "    assert: [{type: context-recall, value: 'the truth'}]\n"
                      "  - id: closedqa\n    vars: {text: 'yes [clean]'}\n"
                      "    assert: [{type: model-graded-closedqa, value: says yes}, {type: "
                      "answer-relevance}]\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml"}, k_env);
        CHECK(r.exit_code == 3); // the context-recall error
        auto results = results_by_case(dir);
        // g-eval: 4 on 1-5 is (4 - 1) / 4 = 0.75, below the threshold 0.8.
        CHECK(results["geval#0"]["status"] == "fail");
        CHECK(results["geval#0"]["score"] == doctest::Approx(0.75));
        CHECK(results["geval#0"]["reason"].get<std::string>().find(
                  "score 0.75 is below the threshold 0.8") != std::string::npos);
        // With log-probabilities, the score is the weighted mean 4.2: (4.2 - 1) / 4 = 0.8.
        CHECK(results["gevallp#0"]["score"] == doctest::Approx(0.8));
        CHECK(results["gevallp#0"]["status"] == "pass");
        CHECK(
            results["gevallp#0"]["assertions"][0]["judge"]["samples"][0]["weighted_by_logprobs"] ==
            true);
        // config.logprobs: false asks without them: the reply's plain "default" verdict has no
        // score.
        CHECK(results["gevalplain#0"]["status"] == "error");
        // factuality: B (superset) passes, (D) disagrees fails.
        CHECK(results["fact#0"]["status"] == "pass");
        CHECK(results["wrongfact#0"]["status"] == "fail");
        CHECK(results["wrongfact#0"]["assertions"][0]["judge"]["samples"][0]["category"] == "D");
        // The RAG triad reads `context` from the vars: 0.6667 reaches 0.6 but not the default 0.7.
        CHECK(results["rag#0"]["assertions"][0]["pass"] == true);
        CHECK(results["rag#0"]["assertions"][1]["pass"] == false);
        // Without a context anywhere, a context assertion is an error naming what it needs.
        CHECK(results["norag#0"]["status"] == "error");
        CHECK(results["norag#0"]["reason"] ==
              "context-recall: 'context-recall' needs the retrieved context: a var 'context' or a "
              "'context' in the provider's answer");
        CHECK(results["closedqa#0"]["status"] == "pass");
        // The query var is what answer-relevance asks about; without one, the rendered prompt.
        bool saw_query = false;
        for (int i = 0; i < judge.calls(); ++i) {
            const json request = judge.request(static_cast<size_t>(i));
            const std::string user = request["messages"][1]["content"];
            saw_query =
                saw_query || (user.find("<question>\nq?\n</question>") != std::string::npos);
        }
        CHECK(saw_query);
    }

    TEST_CASE("cli::eval with a judge: samples, judge noise and select-best position bias") {
        ScriptedJudge judge;
        TempDir dir;
        SUBCASE("samples: a majority decides, and split samples are reported as judge noise") {
            dir.write("suite.yaml", "prompts: ['{{text}}']\nproviders: [echo]\n" +
                                        judge_block(judge) +
                                        "tests:\n  - id: flaky\n    vars: {text: 'x [flaky]'}\n"
                                        "    assert: [{type: model-graded-closedqa, value: ok}]\n");
            const auto r =
                llmops(dir.path(), {"eval", "suite.yaml", "--judge-samples", "3", "--json"}, k_env);
            CHECK(judge.calls() == 3);
            auto results = results_by_case(dir);
            // pass, fail, pass: two of three.
            CHECK(results["flaky#0"]["status"] == "pass");
            CHECK(results["flaky#0"]["assertions"][0]["judge"]["split"] == true);
            CHECK(results["flaky#0"]["assertions"][0]["judge"]["agreement"] ==
                  doctest::Approx(2.0 / 3));
            const auto summary = json::parse(r.out);
            CHECK(summary["variants"][0]["judge"]["split"] == 1);
            CHECK(summary["variants"][0]["judge"]["noise_rate"] == 1.0);
            const auto text = llmops(dir.path(), {"runs", "show", "latest"});
            CHECK(text.out.find("judge noise: the judge's samples disagreed on 1 of 1") !=
                  std::string::npos);
        }
        SUBCASE("select-best asks in both orders; a flip is a tie and counted as position bias") {
            dir.write("suite.yaml",
                      "prompts: ['alpha {{text}}', 'beta {{text}}']\nproviders: [echo]\n" +
                          judge_block(judge) +
                          "tests:\n"
                          "  - id: steady\n    vars: {text: '[steady]'}\n"
                          "    assert: [{type: select-best, value: the best one}]\n"
                          "  - id: biased\n    vars: {text: '[biased]'}\n"
                          "    assert: [{type: select-best, value: the best one}]\n");
            const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--json", "-j", "1"}, k_env);
            CHECK(judge.calls() == 4); // two cases, both orders, once for both variants
            auto results = results_by_case(dir);
            CHECK(results["steady#0"]["status"] == "pass");
            CHECK(results["steady#1"]["status"] == "fail");
            CHECK(results["biased#0"]["status"] == "fail");
            CHECK(results["biased#1"]["status"] == "fail");
            CHECK(results["biased#0"]["score"] == 0.5);
            CHECK(results["biased#0"]["reason"].get<std::string>().find("flipped with the order") !=
                  std::string::npos);
            const auto summary = json::parse(r.out);
            CHECK(summary["variants"][0]["judge"]["position_flips"] == 1);
        }
    }

    TEST_CASE("cli::eval with model-graded assertions and no judge") {
        TempDir dir;
        dir.write("suite.yaml", "prompts: ['Say hi']\nproviders: [echo]\n"
                                "tests:\n  - assert: [{type: llm-rubric, value: polite}]\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml"},
                              {{"LLMOPS_JUDGE", ""},
                               {"OPENAI_API_KEY", "\x01unset"},
                               {"ANTHROPIC_API_KEY", "\x01unset"},
                               {"GEMINI_API_KEY", "\x01unset"},
                               {"GOOGLE_API_KEY", "\x01unset"}});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(
                  "llmops: error: suite.yaml: model-graded assertions (llm-rubric) need a judge "
                  "model: pass --judge PROVIDER, set 'judge: {provider: ...}' in the suite, set "
                  "LLMOPS_JUDGE, or set an API key promptfoo's default grader uses "
                  "(OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY)\n") != std::string::npos);
        SUBCASE("LLMOPS_JUDGE names one") {
            const auto with_env =
                llmops(dir.path(), {"eval", "suite.yaml"}, {{"LLMOPS_JUDGE", "echo"}});
            // echo repeats the judge prompt, which is no verdict: an error, never a pass.
            CHECK(with_env.exit_code != 0);
            CHECK(with_env.out.find("judge reply has no JSON verdict") != std::string::npos);
        }
    }

    TEST_CASE("cli::judge calibrate against human labels") {
        ScriptedJudge judge;
        TempDir dir;
        dir.write("cal.yaml",
                  "prompts: ['{{q}}']\nproviders: [echo]\n" + judge_block(judge) +
                      "defaultTest:\n  assert:\n    - type: llm-rubric\n      value: helpful\n"
                      "    - type: select-best\n      value: the better answer\n");
        // The judge passes [clean] and fails [prose]; [garbage] is no verdict. Against the humans:
        // TP 2 (a, b), FP 1 (c), TN 1 (d), FN 1 (e); f is an error and left out.
        dir.write("labels.jsonl",
                  "{\"id\": \"a\", \"output\": \"ok [clean]\", \"pass\": true}\n"
                  "{\"id\": \"b\", \"output\": \"ok too [clean]\", \"score\": 0.9}\n"
                  "{\"id\": \"c\", \"output\": \"sloppy [clean]\", \"pass\": false}\n"
                  "\n"
                  "{\"id\": \"d\", \"output\": \"bad [prose]\", \"pass\": false}\n"
                  "{\"id\": \"e\", \"output\": \"fine really [prose]\", \"score\": 0.5}\n"
                  "{\"id\": \"f\", \"output\": \"? [garbage]\", \"pass\": true}\n"
                  // Pairwise: the steady judge picks "alpha" in both orders, as the humans did; the
                  // biased one picks whatever comes first: a flip, a tie, not the humans' choice.
                  "{\"id\": \"p1\", \"outputs\": [\"alpha [steady]\", \"beta\"], \"best\": 0}\n"
                  "{\"id\": \"p2\", \"outputs\": [\"one [biased]\", \"two\"], \"best\": 1}\n");
        const auto r =
            llmops(dir.path(),
                   {"judge", "calibrate", "cal.yaml", "--labels", "labels.jsonl", "--json"}, k_env);
        REQUIRE(r.exit_code == 0);
        const json c = json::parse(r.out);
        CHECK(c["labelled"] == 8);
        CHECK(c["errors"] == 1);
        CHECK(c["first_error"] ==
              "f: llm-rubric: judge reply has no JSON verdict: 'I cannot decide, sorry.'");
        const json& v = c["verdicts"];
        CHECK(v["judged"] == 5);
        CHECK(v["confusion"]["human_pass_judge_pass"] == 2);
        CHECK(v["confusion"]["human_pass_judge_fail"] == 1);
        CHECK(v["confusion"]["human_fail_judge_pass"] == 1);
        CHECK(v["confusion"]["human_fail_judge_fail"] == 1);
        // Worked by hand: accuracy 3/5; TPR 2/3; TNR 1/2; p_o = 0.6, p_e = 0.6*0.6 + 0.4*0.4 =
        // 0.52, kappa = (0.6 - 0.52) / (1 - 0.52) = 1/6.
        CHECK(v["accuracy"] == doctest::Approx(0.6));
        CHECK(v["true_positive_rate"] == doctest::Approx(2.0 / 3));
        CHECK(v["true_negative_rate"] == doctest::Approx(0.5));
        CHECK(v["kappa"] == doctest::Approx(1.0 / 6));
        const json& p = c["pairwise"];
        CHECK(p["judged"] == 2);
        CHECK(p["agree"] == 1);
        CHECK(p["rounds"] == 2);
        CHECK(p["position_flips"] == 1);
        CHECK(p["position_bias_rate"] == doctest::Approx(0.5));
        SUBCASE("the text report, the gates, and the run it is stored as") {
            const auto text = llmops(dir.path(),
                                     {"judge", "calibrate", "cal.yaml", "--labels", "labels.jsonl",
                                      "--min-kappa", "0.5"},
                                     k_env);
            CHECK(text.exit_code == 1);
            CHECK(text.out.find("  kappa         0.167") != std::string::npos);
            CHECK(text.out.find("                human pass           2           1\n") !=
                  std::string::npos);
            CHECK(text.out.find("position bias 0.500  (1 of 2 rounds flipped with the order)") !=
                  std::string::npos);
            CHECK(text.err.find("gate failed: kappa 0.167 is below --min-kappa 0.5") !=
                  std::string::npos);
            CHECK(judge.calls() == 10); // 6 + 2 x 2; the second calibration came from the cache
            // A result passes when the judge agrees with the humans.
            auto results = results_by_case(dir);
            CHECK(results["a#0"]["status"] == "pass");
            CHECK(results["c#0"]["status"] == "fail");
            CHECK(results["c#0"]["reason"].get<std::string>().starts_with("judge says pass ("));
            CHECK(results["f#0"]["status"] == "error");
            CHECK(results["p2#0"]["status"] == "fail");
            CHECK(results["a#0"]["vars"]["__human"]["pass"] == true);
        }
        SUBCASE("two judges compare with llmops diff, which says the judge changed") {
            REQUIRE(llmops(dir.path(),
                           {"judge", "calibrate", "cal.yaml", "--labels", "labels.jsonl",
                            "--judge-samples", "3"},
                           k_env)
                        .exit_code == 0);
            const auto d = llmops(dir.path(), {"diff", "latest~1", "latest", "--format", "json"});
            REQUIRE(d.exit_code == 0);
            const json diff = json::parse(d.out);
            bool noted = false;
            for (const auto& note : diff["comparisons"][0]["notes"]) {
                noted = noted || note.get<std::string>().starts_with(
                                     "the judge changed: openai:judge-model");
            }
            CHECK(noted);
            // The judge's calls and tokens are in the cost table, apart from the model's: three
            // samples ask three times as often.
            const json& usage = diff["comparisons"][0]["usage"];
            const int64_t before = usage["baseline"]["judge"]["calls"];
            CHECK(before > 0);
            CHECK(usage["candidate"]["judge"]["calls"] == 3 * before);
            CHECK(usage["candidate"]["judge"]["input_tokens"] == 3 * 50 * before);
            // An exported run carries them too.
            REQUIRE(
                llmops(dir.path(), {"runs", "export", "latest~1", "-o", "base.json"}).exit_code ==
                0);
            const json exported = json::parse(
                llmops(dir.path(), {"diff", "base.json", "latest", "--format", "json"}).out);
            CHECK(exported["comparisons"][0]["usage"]["baseline"]["judge"] ==
                  usage["baseline"]["judge"]);
            const auto text = llmops(dir.path(), {"diff", "latest~1", "latest"});
            CHECK(text.out.find("judge calls") != std::string::npos);
        }
        SUBCASE("bad labels are refused with the line") {
            dir.write("bad.jsonl", "{\"output\": \"x\", \"pass\": true}\n{\"output\": \"y\"}\n");
            const auto bad = llmops(
                dir.path(), {"judge", "calibrate", "cal.yaml", "--labels", "bad.jsonl"}, k_env);
            CHECK(bad.exit_code == 2);
            CHECK(bad.err ==
                  "llmops: error: bad.jsonl:2: needs the human verdict: 'pass' (true or false) or "
                  "'score' (0 to 1)\n");
            dir.write("pairs.jsonl", "{\"outputs\": [\"x\", \"y\"], \"best\": 2}\n");
            CHECK(llmops(dir.path(), {"judge", "calibrate", "cal.yaml", "--labels", "pairs.jsonl"},
                         k_env)
                      .err == "llmops: error: pairs.jsonl:1: 'best' must be the index of one of "
                              "the 2 outputs (from 0)\n");
            dir.write("nojudge.yaml", "prompts: ['{{q}}']\nproviders: [echo]\n");
            CHECK(llmops(dir.path(),
                         {"judge", "calibrate", "nojudge.yaml", "--labels", "labels.jsonl"}, k_env)
                      .err ==
                  "llmops: error: nojudge.yaml: judge calibrate needs model-graded assertions in "
                  "defaultTest.assert (e.g. llm-rubric) to judge the labelled outputs\n");
        }
    }

    TEST_CASE("cli::eval similar: embeddings from an OpenAI-compatible /embeddings endpoint") {
        ScriptedJudge judge;
        TempDir dir;
        dir.write("suite.yaml",
                  fmt::format("prompts: ['{{{{text}}}}']\nproviders: [echo]\n"
                              "judge:\n  embedding:\n    id: openai:embed-small\n"
                              "    config: {{apiBaseUrl: '{}', apiKeyEnvar: JUDGE_TEST_KEY}}\n"
                              "tests:\n"
                              "  - id: same\n    vars: {{text: 'It is Paris.'}}\n"
                              "    assert: [{{type: similar, value: 'Paris'}}]\n"
                              "  - id: other\n    vars: {{text: 'It is Lyon.'}}\n"
                              "    assert: [{{type: similar, value: ['Paris', 'the capital'], "
                              "threshold: 0.8}}]\n",
                              judge.base_url()));
        // No judge model is needed when only `similar` asks, through judge.embedding.
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "-j", "1"}, k_env);
        CHECK(r.exit_code == 1);
        auto results = results_by_case(dir);
        CHECK(results["same#0"]["status"] == "pass");
        CHECK(results["same#0"]["score"] == doctest::Approx(1.0));
        // Lyon against Paris (cosine 0) and "the capital" ((1,1): cosine 0.707): below 0.8.
        CHECK(results["other#0"]["status"] == "fail");
        CHECK(
            results["other#0"]["reason"] ==
            "similar: cosine similarity 0.707 is below the threshold 0.8 (closest: 'the capital')");
        const json request = judge.embedding_request(0);
        CHECK(request["model"] == "embed-small");
        CHECK(request["input"] == json{"It is Paris.", "Paris"});
        CHECK(results["same#0"]["judge"]["input_tokens"] == 7);
        // The vectors are cached like any answer.
        CHECK(llmops(dir.path(), {"eval", "suite.yaml"}, k_env).exit_code == 1);
        CHECK(judge.calls() == 2);
    }

    TEST_CASE("cli::eval --estimate counts the judge's calls as the run makes them") {
        ScriptedJudge judge;
        TempDir dir;
        // Two variants, two cases, 2 samples: per case 2 variants x 2 samples of llm-rubric, and
        // select-best once for both variants in 2 orders x 2 samples: 8 calls, 16 in all.
        dir.write("suite.yaml",
                  "prompts: ['alpha {{text}}', 'beta {{text}}']\nproviders: [echo]\n" +
                      judge_block(judge) +
                      "  samples: 2\n"
                      "defaultTest:\n  assert:\n    - type: llm-rubric\n"
                      "      value: answers politely\n"
                      "    - type: select-best\n      value: the best one\n"
                      "tests:\n  - vars: {text: '[steady] one'}\n"
                      "  - vars: {text: '[steady] two'}\n");
        const auto estimate = [&](std::vector<std::string> extra = {}) {
            std::vector<std::string> args = {"eval", "suite.yaml", "--estimate", "--json"};
            args.insert(args.end(), extra.begin(), extra.end());
            const auto r = llmops(dir.path(), args); // no key needed
            REQUIRE(r.exit_code == 0);
            return json::parse(r.out);
        };
        const json before = estimate();
        CHECK(judge.calls() == 0);
        const json& j = before["judge"];
        CHECK(j["provider"] == "openai:judge-model");
        CHECK(j["calls"] == 16);
        CHECK(j["cached"] == 0);
        CHECK(j["output_basis"] == "assumed 150 per verdict");
        CHECK(j["output_tokens"] == 16 * 150);
        CHECK(j["input_tokens"].get<int>() > 16 * 50); // the judge prompts quote the outputs
        CHECK(j["cost_usd"].is_null());                // judge-model is not in the price table
        CHECK(before["unpriced"] == true);
        CHECK(before["calls"] == 4 + 16);
        const auto text = llmops(dir.path(), {"eval", "suite.yaml", "--estimate"});
        CHECK(text.out.find("judge: openai:judge-model") != std::string::npos);
        CHECK(text.out.find("unpriced  assumed 150 per verdict") != std::string::npos);

        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}, k_env).exit_code != 2);
        CHECK(judge.calls() == 16); // the estimate was right

        // echo's answers are known in advance, so every judge call the run made is in the cache.
        const json after = estimate();
        CHECK(after["judge"]["calls"] == 16);
        CHECK(after["judge"]["cached"] == 16);
        CHECK(after["judge"]["output_tokens"] == 0);
        const json fresh = estimate({"--no-cache"});
        CHECK(fresh["judge"]["cached"] == 0);
        CHECK(fresh["judge"]["output_basis"] == "mean of run 1");
        CHECK(fresh["judge"]["output_tokens"] == 16 * 10); // the scripted judge's 10 per reply
        CHECK(judge.calls() == 16);
    }

    TEST_CASE("cli::eval --estimate counts the RAG triad's calls for an app that returns context") {
        ScriptedJudge judge;
        TempDir dir;
        // An exec: RAG app (not run by the estimate) answering with the context it retrieved.
        dir.write("app.py",
                  "import json, sys\nreq = json.load(sys.stdin)\n"
                  "print(json.dumps({'output': 'answer [rag]', 'context': 'retrieved text'}))\n");
        dir.write("suite.yaml", "prompts: ['{{q}}']\nproviders: ['exec:python3 app.py']\n" +
                                    judge_block(judge) +
                                    "defaultTest:\n  assert:\n    - type: context-faithfulness\n"
                                    "    - type: context-relevance\n"
                                    "tests:\n  - vars: {q: one}\n  - vars: {q: two}\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--json"});
        REQUIRE(r.exit_code == 0);
        CHECK(json::parse(r.out)["judge"]["calls"] == 4);
        CHECK(judge.calls() == 0);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}, k_env).exit_code != 2);
        CHECK(judge.calls() == 4);
    }

} // TEST_SUITE

} // namespace llmops::test
