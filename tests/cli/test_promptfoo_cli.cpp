// promptfoo's configs run unchanged (SPEC §7, §8, §9): its prompt files, judge defaults and
// flags, end to end with the real binary.

#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

using nlohmann::json;

// tests/data/promptfoo/mock_openai.py's twin: a judge prompt holding `[judge-pass]` or
// `[judge-fail]` gets that verdict, any other request "answer to <its last message>".
class MockOpenAi {
public:
    MockOpenAi() {
        m_server.post("/v1/chat/completions", [](const httplib::Request& req,
                                                 httplib::Response& res) {
            const json body = json::parse(req.body);
            std::string text;
            std::string last;
            for (const auto& m : body["messages"]) {
                last = m["content"].is_string() ? m["content"].get<std::string>()
                                                : m["content"].dump();
                text += last + "\n";
            }
            std::string content = "answer to " + last;
            if (text.find("[judge-pass]") != std::string::npos) {
                content = R"({"reason": "meets the rubric", "pass": true, "score": 1})";
            } else if (text.find("[judge-fail]") != std::string::npos) {
                content = R"({"reason": "misses the rubric", "pass": false, "score": 0})";
            }
            const json doc{
                {"id", "x"},
                {"object", "chat.completion"},
                {"model", body.value("model", "")},
                {"choices",
                 {{{"index", 0},
                   {"finish_reason", "stop"},
                   {"message", {{"role", "assistant"}, {"content", content}}}}}},
                {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}}}};
            res.set_content(doc.dump(), "application/json");
        });
        m_server.start();
    }
    std::string base_url() const { return m_server.url("/v1"); }

private:
    LoopbackServer m_server;
};

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::promptfoo the corpus runs unchanged with promptfoo's counts") {
        MockOpenAi server;
        TempDir dir;
        const std::filesystem::path corpus =
            std::filesystem::path(LLMOPS_SOURCE_DIR) / "tests/data/promptfoo";
        std::filesystem::copy(corpus, dir.path() / "corpus",
                              std::filesystem::copy_options::recursive);
        const std::regex header(R"(^# promptfoo [0-9.]+: ([0-9]+) passed, ([0-9]+) failed)");
        int configs = 0;
        std::set<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "corpus")) {
            files.insert(entry.path());
        }
        for (const auto& path : files) {
            std::ifstream in(path);
            std::string first;
            std::getline(in, first);
            std::smatch m;
            if (path.extension() != ".yaml" || !std::regex_search(first, m, header)) {
                continue;
            }
            ++configs;
            CAPTURE(path.filename().string());
            const auto r = llmops(dir.path() / "corpus",
                                  {"eval", "-c", path.filename().string(), "--json", "--no-cache"},
                                  {{"OPENAI_BASE_URL", server.base_url()},
                                   {"OPENAI_API_KEY", "sk-corpus"},
                                   {"LLMOPS_JUDGE", "\x01unset"}});
            REQUIRE_MESSAGE(r.out.find('{') != std::string::npos, r.err);
            const json doc = json::parse(r.out);
            int64_t pass = 0, fail = 0, errors = 0;
            for (const auto& v : doc["variants"]) {
                pass += v["pass"].get<int64_t>();
                fail += v["fail"].get<int64_t>();
                errors += v["errors"].get<int64_t>();
            }
            CHECK(pass == std::stoll(m[1].str()));
            CHECK(fail == std::stoll(m[2].str()));
            CHECK(errors == 0);
        }
        CHECK(configs >= 5);
    }

    TEST_CASE("cli::promptfoo PROMPTFOO_FAILED_TEST_EXIT_CODE sets the exit code of failed cases") {
        TempDir dir;
        dir.write("promptfooconfig.yaml", "prompts: ['Say {{x}}']\nproviders: [echo]\n"
                                          "tests:\n  - vars: {x: a}\n"
                                          "    assert: [{type: contains, value: b}]\n");
        CHECK(llmops(dir.path(), {"eval"}).exit_code == 1); // llmops' own: 1
        CHECK(
            llmops(dir.path(), {"eval"}, {{"PROMPTFOO_FAILED_TEST_EXIT_CODE", "100"}}).exit_code ==
            100); // promptfoo's
        const auto bad = llmops(dir.path(), {"eval"}, {{"PROMPTFOO_FAILED_TEST_EXIT_CODE", "x"}});
        CHECK(bad.exit_code == 1);
        CHECK(bad.err.find("llmops: warning: PROMPTFOO_FAILED_TEST_EXIT_CODE='x' is not an exit "
                           "code (0-255): exiting 1\n") != std::string::npos);
        // A run where nothing failed exits 0 whatever the variable says.
        dir.write("promptfooconfig.yaml", "prompts: ['Say {{x}}']\nproviders: [echo]\n"
                                          "tests:\n  - vars: {x: a}\n");
        CHECK(
            llmops(dir.path(), {"eval"}, {{"PROMPTFOO_FAILED_TEST_EXIT_CODE", "100"}}).exit_code ==
            0);
    }

    TEST_CASE("cli::promptfoo a prompts.txt of several prompts separated by ---") {
        TempDir dir;
        dir.write("prompts.txt", "Tell a joke about {{topic}}.\n---\n\nWrite a haiku about "
                                 "{{topic}}.\n\n---\nSummarize {{topic}} in one word.\n");
        dir.write("promptfooconfig.yaml", "prompts: [file://prompts.txt]\nproviders: [echo]\n"
                                          "tests:\n  - vars: {topic: cats}\n"
                                          "    assert: [{type: icontains, value: cats}]\n");
        const auto r = llmops(dir.path(), {"eval", "--json"});
        CHECK(r.exit_code == 0);
        const auto doc = nlohmann::json::parse(r.out);
        REQUIRE(doc["variants"].size() == 3);
        CHECK(doc["variants"][0]["label"] == "prompts.txt: Tell a joke about {{topic}}. | echo");
        CHECK(doc["variants"][1]["label"] == "prompts.txt: Write a haiku about {{topic}}. | echo");
        CHECK(doc["variants"][2]["pass"] == 1);
        // Each prompt is sent alone, trimmed, as promptfoo sends it.
        const auto results = nlohmann::json::parse(
            llmops(dir.path(), {"runs", "export", "latest", "-o", "-", "--format", "json"})
                .out)["results"];
        REQUIRE(results.size() == 3);
        std::vector<std::string> outputs;
        for (const auto& res : results) {
            outputs.push_back(res["output"].get<std::string>());
        }
        std::sort(outputs.begin(), outputs.end());
        CHECK(outputs == std::vector<std::string>{"Summarize cats in one word.",
                                                  "Tell a joke about cats.",
                                                  "Write a haiku about cats."});
    }
}

} // namespace llmops::test
