#include <llmops/prompt/workspace.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/prompt/operations.hpp>
#include <llmops/store/project.hpp>

#include "support/expected.hpp"
#include "support/status_entry.hpp"
#include "support/temp_dir.hpp"
#include "support/test_project.hpp"

using llmops::ErrorCode;
using llmops::prompt::FileFormat;
using llmops::prompt::FileState;
using llmops::prompt::PromptFile;
using llmops::prompt::StatusEntry;
using llmops::prompt::WorkspaceStatus;
using llmops::test::entry_for;
namespace fs = std::filesystem;
namespace prompt = llmops::prompt;
namespace store = llmops::store;

namespace {

// A project with a store in a temporary folder.
struct Workspace : llmops::test::TestProject {
    std::vector<PromptFile> files() const {
        auto files = prompt::list_prompt_files(project);
        REQUIRE_OK(files);
        return *files;
    }

    WorkspaceStatus status() {
        auto status = prompt::workspace_status(*db, files());
        REQUIRE_OK(status);
        return *status;
    }

    void commit_all() { commit(files()); }

    void commit(const std::vector<PromptFile>& some) {
        auto commits = prompt::commit_files(*db, some, "test", "tester");
        REQUIRE_OK(commits);
    }

    // Runs one SQL statement that returns a single integer.
    int64_t count(std::string_view sql) {
        auto stmt = db->prepare(sql);
        REQUIRE(stmt.has_value());
        auto row = stmt->step();
        REQUIRE((row.has_value() && *row));
        return stmt->integer(0);
    }
};

std::vector<std::string> displays(const std::vector<PromptFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) {
        out.push_back(f.display);
    }
    return out;
}

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::list_prompt_files") {
        Workspace ws;

        SUBCASE("no prompts folder is an empty list") {
            CHECK(ws.files().empty());
        }

        SUBCASE("prompt files are listed sorted; hidden entries and other extensions are skipped") {
            for (const char* rel : {"prompts/sub/d.prompt", "prompts/b.yaml", "prompts/sub/c.txt",
                                    "prompts/a.md", "prompts/e.yml", "prompts/.hidden.yaml",
                                    "prompts/.git/x.yaml", "prompts/sub/.cache/y.md",
                                    "prompts/notes.json", "prompts/README", "other/z.yaml"}) {
                ws.dir.write(rel, "template: x\n");
            }
            fs::create_directories(ws.dir / "prompts/folder.yaml");
            const auto files = ws.files();
            CHECK(displays(files) == std::vector<std::string>{"prompts/a.md", "prompts/b.yaml",
                                                              "prompts/e.yml", "prompts/sub/c.txt",
                                                              "prompts/sub/d.prompt"});
            REQUIRE(files.size() == 5);
            CHECK(files[0].default_name == "a");
            CHECK(files[0].format == FileFormat::markdown);
            CHECK(files[1].format == FileFormat::yaml);
            CHECK(files[3].default_name == "sub/c");
            CHECK(files[4].default_name == "sub/d");
            CHECK(files[4].path == ws.dir / "prompts/sub/d.prompt");
        }
    }

    TEST_CASE("prompt::prompt_files_for") {
        Workspace ws;
        ws.dir.write("prompts/sub/a.yaml", "template: a\n");
        ws.dir.write("prompts/sub/b.md", "b\n");
        ws.dir.write("prompts/top.yaml", "template: t\n");

        SUBCASE("a folder gives every prompt file in it, named from prompts/") {
            auto files = prompt::prompt_files_for(ws.dir / "prompts/sub", ws.project);
            REQUIRE(files.has_value());
            CHECK(displays(*files) ==
                  std::vector<std::string>{"prompts/sub/a.yaml", "prompts/sub/b.md"});
            CHECK(files->at(0).default_name == "sub/a");
        }

        SUBCASE("a file outside prompts/ is named by its stem") {
            const auto path = ws.dir.write("elsewhere/greet.md", "hi\n");
            auto files = prompt::prompt_files_for(path, ws.project);
            REQUIRE(files.has_value());
            REQUIRE(files->size() == 1);
            CHECK(files->front().default_name == "greet");
            CHECK(files->front().display == "elsewhere/greet.md");
        }

        SUBCASE("a file with another extension is refused") {
            const auto path = ws.dir.write("prompts/notes.json", "{}");
            auto files = prompt::prompt_files_for(path, ws.project);
            REQUIRE_FALSE(files.has_value());
            CHECK(files.error().code() == ErrorCode::invalid_input);
            CHECK(files.error().message() ==
                  "'" + path.string() +
                      "' is not a prompt file (expected .yaml, .yml, .md, .txt or .prompt)");
        }

        SUBCASE("a missing file is not found") {
            const auto path = ws.dir / "prompts/nope.yaml";
            auto files = prompt::prompt_files_for(path, ws.project);
            REQUIRE_FALSE(files.has_value());
            CHECK(files.error().code() == ErrorCode::not_found);
            CHECK(files.error().message() == "no such file '" + path.string() + "'");
        }
    }

    TEST_CASE("prompt::workspace_status") {
        Workspace ws;
        ws.dir.write("prompts/greet.yaml", "template: Hello\n");
        ws.dir.write("prompts/broken.yaml", "description: no template\n");

        SUBCASE("new files are added, broken ones invalid with the reason") {
            const auto status = ws.status();
            REQUIRE(status.files.size() == 2);
            const auto& greet = entry_for(status, "prompts/greet.yaml");
            CHECK(greet.state == FileState::added);
            CHECK(greet.name == "greet");
            CHECK_FALSE(greet.latest_number.has_value());
            const auto& broken = entry_for(status, "prompts/broken.yaml");
            CHECK(broken.state == FileState::invalid);
            CHECK(
                broken.error ==
                "prompts/broken.yaml: prompt file has no template (add 'template' or 'messages')");
            CHECK(status.without_file.empty());
        }

        SUBCASE("committed files are unchanged until edited, then modified") {
            fs::remove(ws.dir / "prompts/broken.yaml");
            ws.commit_all();
            const auto unchanged = entry_for(ws.status(), "prompts/greet.yaml");
            CHECK(unchanged.state == FileState::unchanged);
            CHECK(unchanged.latest_number == 1);
            ws.dir.write("prompts/greet.yaml", "template: Hello there\n");
            const auto modified = entry_for(ws.status(), "prompts/greet.yaml");
            CHECK(modified.state == FileState::modified);
            CHECK(modified.latest_number == 1);
            CHECK(modified.id != unchanged.id);
        }

        SUBCASE("a second file declaring the same name is invalid") {
            ws.dir.write("prompts/zz.md", "---\nname: greet\n---\nHi\n");
            const auto status = ws.status();
            CHECK(entry_for(status, "prompts/greet.yaml").state == FileState::added);
            const auto& dup = entry_for(status, "prompts/zz.md");
            CHECK(dup.state == FileState::invalid);
            CHECK(dup.error ==
                  "prompts/zz.md: prompt 'greet' is also declared by 'prompts/greet.yaml'");
        }

        SUBCASE("committed prompts that no file declares are listed") {
            fs::remove(ws.dir / "prompts/broken.yaml");
            ws.dir.write("prompts/old.md", "old\n");
            ws.dir.write("prompts/older.md", "older\n");
            ws.commit_all();
            fs::remove(ws.dir / "prompts/old.md");
            fs::remove(ws.dir / "prompts/older.md");
            CHECK(ws.status().without_file == std::vector<std::string>{"old", "older"});
        }

        SUBCASE("parse results are cached by content") {
            const auto first = ws.status();
            const std::string first_id = entry_for(first, "prompts/greet.yaml").id;
            CHECK(ws.count("SELECT count(*) FROM worktree_cache") == 1); // the valid file only
            // The cache answers for unchanged bytes, so a doctored entry shows through ...
            REQUIRE(ws.db->exec("UPDATE worktree_cache SET name = 'from/cache'").has_value());
            const auto second = ws.status();
            CHECK(entry_for(second, "prompts/greet.yaml").name == "from/cache");
            CHECK(entry_for(second, "prompts/greet.yaml").id == first_id);
            // ... and edited bytes are parsed afresh.
            ws.dir.write("prompts/greet.yaml", "template: Hello again\n");
            const auto third = ws.status();
            CHECK(entry_for(third, "prompts/greet.yaml").name == "greet");
            CHECK(entry_for(third, "prompts/greet.yaml").id != first_id);
            CHECK(ws.count("SELECT count(*) FROM worktree_cache") == 2);
        }

        SUBCASE("a read-only store gives the status without caching") {
            fs::remove(ws.dir / "prompts/broken.yaml");
            ws.commit_all();
            ws.dir.write("prompts/greet.yaml", "template: Edited\n");
            auto ro = store::Database::open(ws.project.db_path(), store::OpenMode::read_only);
            REQUIRE_OK(ro);
            auto status = prompt::workspace_status(*ro, ws.files());
            REQUIRE_OK(status);
            CHECK(entry_for(*status, "prompts/greet.yaml").state == FileState::modified);
            CHECK(ws.count("SELECT count(*) FROM worktree_cache") == 0);
        }

        SUBCASE("the same status twice gives the same answer") {
            ws.commit({ws.files().at(1)}); // greet, leaving broken invalid
            ws.dir.write("prompts/new.md", "new\n");
            const auto a = ws.status();
            const auto b = ws.status();
            REQUIRE(a.files.size() == 3);
            CHECK(entry_for(a, "prompts/greet.yaml").state == FileState::unchanged);
            CHECK(entry_for(a, "prompts/new.md").state == FileState::added);
            REQUIRE(a.files.size() == b.files.size());
            for (size_t i = 0; i < a.files.size(); ++i) {
                CHECK(a.files[i].file.display == b.files[i].file.display);
                CHECK(a.files[i].state == b.files[i].state);
                CHECK(a.files[i].id == b.files[i].id);
                CHECK(a.files[i].name == b.files[i].name);
                CHECK(a.files[i].error == b.files[i].error);
            }
        }
    }

    TEST_CASE("prompt::find_file_for") {
        Workspace ws;
        ws.dir.write("prompts/greet.yaml", "template: Hello\n");
        ws.dir.write("prompts/misc/other.md", "---\nname: support/triage\n---\nTriage\n");

        SUBCASE("the file at the implied path or the one that names the prompt is found") {
            auto greet = prompt::find_file_for(*ws.db, ws.files(), "greet");
            REQUIRE(greet.has_value());
            REQUIRE(greet->has_value());
            CHECK((*greet)->display == "prompts/greet.yaml");
            auto triage = prompt::find_file_for(*ws.db, ws.files(), "support/triage");
            REQUIRE(triage.has_value());
            REQUIRE(triage->has_value());
            CHECK((*triage)->display == "prompts/misc/other.md");
        }

        SUBCASE("a file at the implied path that declares another name does not count") {
            auto other = prompt::find_file_for(*ws.db, ws.files(), "misc/other");
            REQUIRE(other.has_value());
            CHECK_FALSE(other->has_value());
        }
    }

} // TEST_SUITE
