#include <llmops/prompt/stat_index.hpp>

#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/prompt/operations.hpp>
#include <llmops/prompt/workspace.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/status_entry.hpp"
#include "support/test_project.hpp"

using llmops::prompt::FileState;
using llmops::prompt::PromptFile;
using llmops::prompt::StatIndex;
using llmops::prompt::WorkspaceStatus;
using llmops::test::entry_for;
namespace fs = std::filesystem;
namespace prompt = llmops::prompt;
namespace util = llmops::util;

namespace {

// 2020-01-01T00:00:00.5Z: file times set by the tests, long before any index they write.
constexpr int64_t k_past_ns = 1'577'836'800'500'000'000;
// The parser generation workspace.cpp writes its index with.
constexpr std::string_view k_generation = "2";

// Sets the mtime (and atime) of `path` to `ns`, as `touch -d` does: deterministic times, no
// sleeping for the clock to move.
void set_mtime(const fs::path& path, int64_t ns) {
    const struct timespec t {
        static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)
    };
    const struct timespec times[2] = {t, t};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

// A project whose status goes through the stat index.
struct Indexed : llmops::test::TestProject {
    fs::path index_path() const { return prompt::stat_index_path(project); }

    std::vector<PromptFile> files() const {
        auto files = prompt::list_prompt_files(project);
        REQUIRE_OK(files);
        return *files;
    }

    WorkspaceStatus status() {
        auto status = prompt::workspace_status(*db, files(), index_path());
        REQUIRE_OK(status);
        return *status;
    }

    // Writes `rel` with `text`, dated `k_past_ns` (or `ns`).
    fs::path write(std::string_view rel, std::string_view text, int64_t ns = k_past_ns) {
        const fs::path path = dir.write(rel, text);
        set_mtime(path, ns);
        return path;
    }

    PromptFile file(std::string_view display) const {
        for (auto& f : files()) {
            if (f.display == display) {
                return f;
            }
        }
        FAIL("no file " << display);
        return {};
    }

    StatIndex load() const { return StatIndex::load(index_path(), k_generation); }

    // Rewrites the index so that `display` is recorded as prompt `name`, version `id`, with the
    // file's current stat data, and the index's time is `time_ns`: what the index says then
    // shows through `status` only when the entry is trusted.
    void doctor(std::string_view display, const std::string& name, const std::string& id,
                int64_t time_ns) {
        StatIndex index = load();
        const PromptFile f = file(display);
        const auto st = prompt::stat_file(f.path);
        REQUIRE(st.has_value());
        index.record(f, prompt::IndexEntry{f.default_name, f.format, *st, name, id});
        REQUIRE_OK(index.save(index_path(), time_ns));
    }

    void commit_all() { REQUIRE_OK(prompt::commit_files(*db, files(), "test", "tester")); }
};

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::StatIndex in workspace_status") {
        Indexed ws;
        ws.write("prompts/greet.yaml", "template: Hello\n");
        ws.commit_all();
        const auto first = ws.status();
        const std::string id = entry_for(first, "prompts/greet.yaml").id;
        REQUIRE(entry_for(first, "prompts/greet.yaml").state == FileState::unchanged);

        SUBCASE("the first status writes the index; an unchanged file is then not read") {
            CHECK(ws.load().size() == 1);
            // What the index says shows through: the file's bytes were not looked at.
            ws.doctor("prompts/greet.yaml", "greet", std::string(64, 'a'),
                      llmops::prompt::index_scan_time_ns());
            const auto e = entry_for(ws.status(), "prompts/greet.yaml");
            CHECK(e.id == std::string(64, 'a'));
            CHECK(e.state == FileState::modified);
        }

        SUBCASE("an edit in the same second, keeping the size and the mtime, is seen") {
            ws.write("prompts/greet.yaml", "template: Howdy\n"); // same size, same mtime
            const auto e = entry_for(ws.status(), "prompts/greet.yaml");
            CHECK(e.state == FileState::modified);
            CHECK(e.id != id);
        }

        SUBCASE("a racily-clean entry (mtime not older than the index) is re-hashed") {
            // Stat data equal in every field, as an edit in the tick the index was written leaves
            // it: only the racily-clean rule stands between the index's word and the file.
            ws.doctor("prompts/greet.yaml", "greet", std::string(64, 'b'), k_past_ns);
            CHECK(entry_for(ws.status(), "prompts/greet.yaml").id == id);
            // The index written by that status is newer than the file: the entry is trusted now.
            const StatIndex after = ws.load();
            CHECK(after.time_ns() > k_past_ns);
            const auto* entry = after.find(ws.file("prompts/greet.yaml"),
                                           *prompt::stat_file(ws.dir / "prompts/greet.yaml"));
            REQUIRE(entry != nullptr);
            CHECK(entry->id == id);
        }

        SUBCASE("a touched but unchanged file is not reported, and re-recorded") {
            set_mtime(ws.dir / "prompts/greet.yaml", k_past_ns + 1'000'000'000);
            CHECK(entry_for(ws.status(), "prompts/greet.yaml").state == FileState::unchanged);
            const StatIndex index = ws.load(); // find() points into it: keep it alive
            const auto* entry = index.find(ws.file("prompts/greet.yaml"),
                                           *prompt::stat_file(ws.dir / "prompts/greet.yaml"));
            REQUIRE(entry != nullptr);
            CHECK(entry->stat.mtime_ns == k_past_ns + 1'000'000'000);
        }

        SUBCASE("a file replaced by a rename (new inode, same size and mtime) is re-hashed") {
            ws.write("prompts/.next", "template: Howdy\n");
            fs::rename(ws.dir / "prompts/.next", ws.dir / "prompts/greet.yaml");
            CHECK(entry_for(ws.status(), "prompts/greet.yaml").state == FileState::modified);
        }

        SUBCASE("deleted, renamed and new files") {
            ws.write("prompts/other.md", "Other\n");
            CHECK(entry_for(ws.status(), "prompts/other.md").state == FileState::added);
            CHECK(ws.load().size() == 2);
            fs::rename(ws.dir / "prompts/greet.yaml", ws.dir / "prompts/hello.yaml");
            const auto renamed = ws.status();
            CHECK(entry_for(renamed, "prompts/hello.yaml").state == FileState::added);
            CHECK(entry_for(renamed, "prompts/hello.yaml").name == "hello");
            CHECK(renamed.without_file == std::vector<std::string>{"greet"});
            fs::remove(ws.dir / "prompts/other.md");
            const auto deleted = ws.status();
            CHECK(deleted.files.size() == 1);
            CHECK(ws.load().size() == 1);
        }

        SUBCASE("a file the index does not know is read, and an invalid file is never indexed") {
            ws.write("prompts/broken.yaml", "description: no template\n");
            CHECK(entry_for(ws.status(), "prompts/broken.yaml").state == FileState::invalid);
            CHECK(entry_for(ws.status(), "prompts/broken.yaml").state == FileState::invalid);
            CHECK(ws.load().size() == 1);
        }
    }

    TEST_CASE("prompt::StatIndex::load") {
        Indexed ws;
        ws.write("prompts/greet.yaml", "template: Hello\n");
        ws.status();
        const std::string text = ws.dir.read(".llmops/index");
        REQUIRE(ws.load().size() == 1);

        SUBCASE("a corrupt or truncated index reads as empty, and status rebuilds it") {
            for (const std::string& bad :
                 {std::string("garbage\n"), std::string(), text.substr(0, text.size() / 2),
                  std::string(text).replace(text.find("greet"), 1, "G")}) {
                REQUIRE_OK(util::write_file_atomic(ws.index_path(), bad));
                CHECK(ws.load().size() == 0);
                CHECK(entry_for(ws.status(), "prompts/greet.yaml").name == "greet");
                CHECK(ws.load().size() == 1);
            }
        }

        SUBCASE("an index of another format or parser generation reads as empty") {
            std::string other = text.substr(0, text.size() - 17);
            other.replace(other.find("index\t1"), 7, "index\t0");
            REQUIRE_OK(util::write_file_atomic(
                ws.index_path(), other + llmops::prompt::index_checksum(other) + "\n"));
            CHECK(ws.load().size() == 0);
            REQUIRE_OK(util::write_file_atomic(ws.index_path(), text));
            CHECK(StatIndex::load(ws.index_path(), "1").size() == 0);
        }

        SUBCASE("the index's time is the earlier of the time in it and its file's mtime") {
            set_mtime(ws.index_path(), k_past_ns);
            CHECK(ws.load().time_ns() == k_past_ns);
        }

        SUBCASE("a read-only store keeps no index but gives the status") {
            fs::remove(ws.index_path());
            auto ro = llmops::store::Database::open(ws.project.db_path(),
                                                    llmops::store::OpenMode::read_only);
            REQUIRE_OK(ro);
            // A folder that cannot take the index's file stands for one the user cannot write.
            auto status = prompt::workspace_status(*ro, ws.files(), ws.dir / "no/such/dir/index");
            REQUIRE_OK(status);
            CHECK(entry_for(*status, "prompts/greet.yaml").state == FileState::added);
            CHECK_FALSE(fs::exists(ws.dir / "no"));
        }
    }

} // TEST_SUITE
