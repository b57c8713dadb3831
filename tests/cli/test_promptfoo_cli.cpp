// promptfoo's configs run unchanged (SPEC §7, §8, §9): its prompt files, judge defaults and
// flags, end to end with the real binary.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

TEST_SUITE("cli") {

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
