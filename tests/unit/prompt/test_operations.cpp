#include <llmops/prompt/operations.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/prompt/display.hpp>
#include <llmops/store/project.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"
#include "support/test_project.hpp"

using llmops::ErrorCode;
using llmops::prompt::Force;
using llmops::prompt::PromptFile;
namespace fs = std::filesystem;
namespace prompt = llmops::prompt;
namespace store = llmops::store;

namespace {

// A project with a store in a temporary folder.
struct Project : llmops::test::TestProject {
    std::optional<store::PromptStore> prompts;

    Project() { prompts.emplace(*db); }

    std::vector<PromptFile> files() const {
        auto files = prompt::list_prompt_files(project);
        REQUIRE_OK(files);
        return *files;
    }

    // Writes prompts/`rel` and commits it.
    store::VersionInfo commit(const std::string& rel, std::string_view text) {
        const auto path = dir.write("prompts/" + rel, text);
        auto files = prompt::prompt_files_for(path, project);
        REQUIRE_OK(files);
        auto commits = prompt::commit_files(*db, *files, "test", "tester");
        REQUIRE_OK(commits);
        return commits->front().outcome.version;
    }

    std::string checkout_error(std::string_view ref, const std::optional<std::string>& output,
                               ErrorCode code = ErrorCode::conflict) {
        auto result = prompt::checkout(*db, project, ref, output, Force::no);
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().code() == code);
        return result.error().message();
    }

    // The file text `ref` is written as.
    std::string file_text(std::string_view ref, prompt::FileFormat format,
                          prompt::IncludeName include) {
        auto loaded = prompt::load_version(*prompts, ref);
        REQUIRE_OK(loaded);
        return prompt::to_file_text(loaded->def, format, include);
    }
};

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::commit_files") {
        Project p;
        p.dir.write("prompts/greet.yaml", "template: Hello\n");
        p.dir.write("prompts/sub/bye.md", "Bye\n");

        SUBCASE("every file becomes a version; committing again is a no-op") {
            auto first = prompt::commit_files(*p.db, p.files(), "first", "ada");
            REQUIRE_OK(first);
            REQUIRE(first->size() == 2);
            CHECK(first->at(0).file.display == "prompts/greet.yaml");
            CHECK(first->at(0).outcome.created);
            CHECK(first->at(0).outcome.version.name == "greet");
            CHECK(first->at(0).outcome.version.number == 1);
            CHECK(first->at(0).outcome.version.message == "first");
            CHECK(first->at(0).outcome.version.author == "ada");
            CHECK(first->at(1).outcome.version.name == "sub/bye");
            auto again = prompt::commit_files(*p.db, p.files(), "again", "ada");
            REQUIRE(again.has_value());
            CHECK_FALSE(again->at(0).outcome.created);
            CHECK(again->at(0).outcome.version.number == 1);
        }

        SUBCASE("a file listed twice is committed once") {
            auto files = p.files();
            files.push_back(files.front());
            auto commits = prompt::commit_files(*p.db, files, "m", "a");
            REQUIRE_OK(commits);
            CHECK(commits->size() == 2);
            CHECK(p.prompts->log(std::nullopt)->size() == 2);
        }

        SUBCASE("the version id is the parsed definition's") {
            auto commits = prompt::commit_files(*p.db, p.files(), "m", "a");
            REQUIRE(commits.has_value());
            auto def = prompt::load_prompt_file(p.files().front());
            REQUIRE(def.has_value());
            CHECK(commits->front().outcome.version.id == prompt::version_id(*def));
        }

        SUBCASE("one invalid file writes nothing") {
            p.dir.write("prompts/zz.yaml", "templte: oops\n");
            auto result = prompt::commit_files(*p.db, p.files(), "m", "a");
            REQUIRE_FALSE(result.has_value());
            CHECK(result.error().code() == ErrorCode::invalid_input);
            CHECK(result.error().message() ==
                  "prompts/zz.yaml:1:1: unknown key 'templte' in prompt "
                  "file (did you mean 'template'?)");
            CHECK(p.prompts->list()->empty());
            CHECK(p.prompts->log(std::nullopt)->empty());
        }

        SUBCASE("two files declaring one prompt write nothing") {
            p.dir.write("prompts/zz.md", "---\nname: greet\n---\nHi\n");
            auto result = prompt::commit_files(*p.db, p.files(), "m", "a");
            REQUIRE_FALSE(result.has_value());
            CHECK(result.error().message() ==
                  "prompts/zz.md: prompt 'greet' is also declared by 'prompts/greet.yaml'");
            CHECK(p.prompts->list()->empty());
        }
    }

    TEST_CASE("prompt::load_version") {
        Project p;
        const auto v1 = p.commit("greet.yaml", "template: Hello\ndescription: d\n");
        auto loaded = prompt::load_version(*p.prompts, "greet@1");
        REQUIRE(loaded.has_value());
        CHECK(loaded->version.id == v1.id);
        CHECK(loaded->def.name == "greet");
        CHECK(loaded->def.template_text == "Hello");
        CHECK(prompt::version_id(loaded->def) == v1.id);
        CHECK(prompt::canonical_content(loaded->def) == loaded->content);
        auto missing = prompt::load_version(*p.prompts, "nope");
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().code() == ErrorCode::not_found);
    }

    TEST_CASE("prompt::checkout") {
        Project p;
        p.commit("greet.yaml", "template: Hello\n");
        p.commit("greet.yaml", "template: Hello there\n");
        const std::string v1_text =
            p.file_text("greet@1", prompt::FileFormat::yaml, prompt::IncludeName::no);
        REQUIRE(v1_text == "template: \"Hello\"\n");

        SUBCASE("the working file is overwritten when its content is committed") {
            auto result = prompt::checkout(*p.db, p.project, "greet@1", std::nullopt, Force::no);
            REQUIRE_OK(result);
            CHECK(result->path == p.dir / "prompts/greet.yaml");
            // The file as committed, byte for byte (not the canonical rendering, v1_text).
            CHECK(result->text == "template: Hello\n");
            CHECK(result->loaded.version.number == 1);
            CHECK(p.dir.read("prompts/greet.yaml") == "template: Hello\n");
        }

        SUBCASE("comments, quoting and key order survive a round trip") {
            const std::string text = "# The greeting.\ndescription: 'says hi'   # short\n"
                                     "template: |\n  Hello {{who}}\n";
            p.commit("greet.yaml", text);
            p.commit("greet.yaml", "template: Bye\n");
            REQUIRE_OK(prompt::checkout(*p.db, p.project, "greet@3", std::nullopt, Force::no));
            CHECK(p.dir.read("prompts/greet.yaml") == text);
            // Elsewhere, where the path does not give the name, the canonical text (with it).
            const std::string out = (p.dir / "out/g.yaml").string();
            REQUIRE_OK(prompt::checkout(*p.db, p.project, "greet@3", out, Force::no));
            CHECK(p.dir.read("out/g.yaml").starts_with("name: \"greet\"\n"));
        }

        SUBCASE("uncommitted content is not overwritten unless forced") {
            p.dir.write("prompts/greet.yaml", "template: Draft\n");
            CHECK(p.checkout_error("greet@1", std::nullopt) ==
                  "'prompts/greet.yaml' holds content that no version of 'greet' has; commit it "
                  "first or use --force to overwrite it");
            CHECK(p.dir.read("prompts/greet.yaml") == "template: Draft\n");
            p.dir.write("prompts/greet.yaml", "templte: invalid\n");
            CHECK(p.checkout_error("greet@1", std::nullopt)
                      .starts_with("'prompts/greet.yaml' holds"));
            auto forced = prompt::checkout(*p.db, p.project, "greet@1", std::nullopt, Force::yes);
            REQUIRE_OK(forced);
            CHECK(p.dir.read("prompts/greet.yaml") == "template: Hello\n");
        }

        SUBCASE("'-' returns the text, with the name, and writes nothing") {
            fs::remove(p.dir / "prompts/greet.yaml");
            auto result = prompt::checkout(*p.db, p.project, "greet@1", "-", Force::no);
            REQUIRE(result.has_value());
            CHECK_FALSE(result->path.has_value());
            CHECK(result->text == "name: \"greet\"\ntemplate: \"Hello\"\n");
            CHECK_FALSE(fs::exists(p.dir / "prompts/greet.yaml"));
        }

        SUBCASE("without a working file the prompt goes to prompts/<name>.yaml") {
            p.commit("misc/x.md", "---\nname: support/triage\n---\nTriage\n");
            fs::remove(p.dir / "prompts/misc/x.md");
            auto result =
                prompt::checkout(*p.db, p.project, "support/triage", std::nullopt, Force::no);
            REQUIRE_OK(result);
            CHECK(result->path == p.dir / "prompts/support/triage.yaml");
            CHECK(p.dir.read("prompts/support/triage.yaml") == "template: \"Triage\"\n");
        }

        SUBCASE("a working file elsewhere keeps its format and gets the name") {
            p.commit("misc/x.md", "---\nname: support/triage\n---\nTriage\n");
            auto result =
                prompt::checkout(*p.db, p.project, "support/triage", std::nullopt, Force::no);
            REQUIRE_OK(result);
            CHECK(result->path == p.dir / "prompts/misc/x.md");
            CHECK(p.dir.read("prompts/misc/x.md") == "---\nname: support/triage\n---\nTriage\n");
        }

        SUBCASE("an output path picks the format and the name is written when not implied") {
            const std::string out = (p.dir / "out/greeting.md").string();
            auto result = prompt::checkout(*p.db, p.project, "greet@1", out, Force::no);
            REQUIRE_OK(result);
            CHECK(p.dir.read("out/greeting.md") == "---\nname: \"greet\"\n---\nHello\n");
            const std::string implied = (p.dir / "prompts/greet.md").string();
            REQUIRE(prompt::checkout(*p.db, p.project, "greet@1", implied, Force::no).has_value());
            CHECK(p.dir.read("prompts/greet.md") == "Hello\n");
        }

        SUBCASE("an output path that is not a prompt file name is refused") {
            const std::string out = (p.dir / "out.json").string();
            CHECK(p.checkout_error("greet", out, ErrorCode::invalid_input) ==
                  "'" + out +
                      "' is not a prompt file name (use .yaml, .yml, .md, .txt or .prompt)");
            p.dir.write("prompts/sub/only.yaml", "template: other\n");
            const std::string folder = (p.dir / "prompts/sub").string();
            CHECK(p.checkout_error("greet", folder, ErrorCode::invalid_input) ==
                  "'" + folder + "' is a folder, not a prompt file name");
            CHECK(p.dir.read("prompts/sub/only.yaml") == "template: other\n");
        }

        SUBCASE("a chat prompt is not written as Markdown") {
            p.commit("chat.yaml", "messages: [{role: user, content: hi}]\n");
            const std::string out = (p.dir / "chat.md").string();
            CHECK(p.checkout_error("chat", out, ErrorCode::invalid_input) ==
                  "'chat' is a chat prompt and cannot be written as Markdown; use a .yaml path");
            CHECK_FALSE(fs::exists(out));
        }

        SUBCASE("a template with outer line breaks is not written as Markdown") {
            p.commit("block.yaml", "template: |\n  Hello\n");
            const std::string out = (p.dir / "block.md").string();
            CHECK(p.checkout_error("block", out, ErrorCode::invalid_input) ==
                  "'block' starts or ends with a line break, which Markdown cannot keep; use a "
                  ".yaml path");
            CHECK_FALSE(fs::exists(out));
        }

        SUBCASE("an unknown ref is the store's error") {
            CHECK(p.checkout_error("greet@9", std::nullopt, ErrorCode::not_found).find("greet") !=
                  std::string::npos);
        }
    }

    TEST_CASE("prompt::diff_sides") {
        Project p;
        const auto v1 = p.commit("greet.yaml", "template: Hello\n");
        const auto v2 = p.commit("greet.yaml", "template: Hello there\n");

        SUBCASE("two refs give two stored versions as YAML without the name") {
            auto sides = prompt::diff_sides(*p.db, p.project, "greet@1", "greet");
            REQUIRE_OK(sides);
            CHECK(sides->first.label == "greet@1 (" + v1.id.substr(0, 12) + ")");
            CHECK(sides->first.text == "template: \"Hello\"\n");
            REQUIRE(sides->first.version.has_value());
            CHECK(sides->first.version->number == 1);
            CHECK(sides->second.label == "greet@2 (" + v2.id.substr(0, 12) + ")");
            CHECK(sides->second.text == "template: \"Hello there\"\n");
        }

        SUBCASE("one ref is compared with the working file that declares the prompt") {
            p.dir.write("prompts/greet.yaml", "template: |-\n  Hello\n  world\n");
            auto sides = prompt::diff_sides(*p.db, p.project, "greet@1", std::nullopt);
            REQUIRE_OK(sides);
            CHECK(sides->first.text == "template: \"Hello\"\n");
            CHECK(sides->second.label == "prompts/greet.yaml");
            CHECK_FALSE(sides->second.version.has_value());
            CHECK(sides->second.text == "template: |-\n  Hello\n  world\n");
        }

        SUBCASE("one ref with a broken working file gives the file's error") {
            p.dir.write("prompts/greet.yaml", "templte: Hello\n");
            auto sides = prompt::diff_sides(*p.db, p.project, "greet", std::nullopt);
            REQUIRE_FALSE(sides.has_value());
            CHECK(sides.error().message() == "prompts/greet.yaml:1:1: unknown key 'templte' in "
                                             "prompt file (did you mean 'template'?)");
        }

        SUBCASE("one ref without a working file is an error") {
            fs::remove(p.dir / "prompts/greet.yaml");
            auto sides = prompt::diff_sides(*p.db, p.project, "greet", std::nullopt);
            REQUIRE_FALSE(sides.has_value());
            CHECK(sides.error().code() == ErrorCode::not_found);
            CHECK(sides.error().message() ==
                  "no working file declares prompt 'greet' (give two refs to compare versions)");
        }
    }

    TEST_CASE("prompt::export_versions") {
        Project p;
        const auto greet1 = p.commit("greet.yaml", "template: Hello\n");
        p.commit("greet.yaml", "template: Hello there\n");
        p.commit("other.md", "Other\n");
        REQUIRE(p.prompts->set_label(greet1, "production", "tester", "ship").has_value());

        SUBCASE("without a label every prompt's latest version is exported") {
            std::vector<std::string> skipped;
            auto versions = prompt::export_versions(*p.prompts, std::nullopt, skipped);
            REQUIRE(versions.has_value());
            REQUIRE(versions->size() == 2);
            CHECK(versions->at(0).version.name == "greet");
            CHECK(versions->at(0).version.number == 2);
            CHECK(versions->at(1).version.name == "other");
            CHECK(skipped.empty());
        }

        SUBCASE("with a label, prompts without it are skipped") {
            std::vector<std::string> skipped;
            auto versions = prompt::export_versions(*p.prompts, "production", skipped);
            REQUIRE(versions.has_value());
            REQUIRE(versions->size() == 1);
            CHECK(versions->at(0).version.id == greet1.id);
            CHECK(versions->at(0).def.template_text == "Hello");
            CHECK(skipped == std::vector<std::string>{"other"});
        }

        SUBCASE("the latest label is every prompt's newest version") {
            std::vector<std::string> skipped;
            auto versions = prompt::export_versions(*p.prompts, "latest", skipped);
            REQUIRE(versions.has_value());
            CHECK(versions->size() == 2);
            CHECK(skipped.empty());
        }
    }

} // TEST_SUITE
