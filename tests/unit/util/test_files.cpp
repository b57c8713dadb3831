#include <llmops/util/files.hpp>

#include <filesystem>
#include <string>

#include <sys/stat.h>

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"

using llmops::ErrorCode;
using llmops::test::TempDir;
namespace fs = std::filesystem;
namespace util = llmops::util;

TEST_SUITE("util") {

    TEST_CASE("util::write_file_atomic and util::read_file") {
        TempDir dir;
        const fs::path path = dir / "prompt.txt";
        SUBCASE("what is written is read back, byte for byte") {
            const std::string content = std::string("line 1\r\nnul \0 byte\n\xC3\xA9", 21);
            REQUIRE(util::write_file_atomic(path, content).has_value());
            CHECK(util::read_file(path).value() == content);
        }
        SUBCASE("a second write replaces the file and leaves no temporary file") {
            REQUIRE(util::write_file_atomic(path, "first, and longer").has_value());
            REQUIRE(util::write_file_atomic(path, "second").has_value());
            CHECK(util::read_file(path).value() == "second");
            CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
        }
        SUBCASE("the file is an ordinary 0644 file, not mkstemp's 0600") {
            REQUIRE(util::write_file_atomic(path, "x").has_value());
            CHECK((fs::status(path).permissions() & fs::perms::all) == fs::perms(0644));
        }
        SUBCASE("an empty file round-trips") {
            REQUIRE(util::write_file_atomic(path, "").has_value());
            CHECK(util::read_file(path).value() == "");
        }
    }

    TEST_CASE("util::read_file failures") {
        TempDir dir;
        SUBCASE("a missing file is not_found, named in the message") {
            const auto result = util::read_file(dir / "missing.yaml");
            REQUIRE_FALSE(result.has_value());
            CHECK(result.error().code() == ErrorCode::not_found);
            CHECK(result.error().message() == "cannot read '" + (dir / "missing.yaml").string() +
                                                  "': No such file or directory");
        }
        SUBCASE("a folder cannot be read as a file") {
            const auto result = util::read_file(dir.path());
            REQUIRE_FALSE(result.has_value());
            CHECK(result.error().code() == ErrorCode::io);
        }
    }

    TEST_CASE("util::write_file_atomic failures") {
        TempDir dir;
        const auto result = util::write_file_atomic(dir / "no/such/folder/x.txt", "x");
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().code() == ErrorCode::io);
        CHECK(result.error().message() == "cannot write '" +
                                              (dir / "no/such/folder/x.txt").string() +
                                              "': No such file or directory");
    }

    TEST_CASE("util::AtomicFile") {
        TempDir dir;
        const fs::path path = dir / "report.json";
        REQUIRE(util::write_file_atomic(path, "old").has_value());
        SUBCASE("the file changes only at commit") {
            auto file = util::AtomicFile::create(path);
            REQUIRE(file.has_value());
            REQUIRE(file->write("new, ").has_value());
            REQUIRE(file->write("in two writes").has_value());
            CHECK(util::read_file(path).value() == "old");
            REQUIRE(file->commit().has_value());
            CHECK(util::read_file(path).value() == "new, in two writes");
        }
        SUBCASE("without commit the old file stays and the temporary file goes") {
            {
                auto file = util::AtomicFile::create(path);
                REQUIRE(file.has_value());
                REQUIRE(file->write("half").has_value());
            }
            CHECK(util::read_file(path).value() == "old");
            CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
        }
    }

    TEST_CASE("util::relative_display") {
        const fs::path base = "/work/project";
        CHECK(util::relative_display("/work/project/prompts/a.yaml", base) == "prompts/a.yaml");
        CHECK(util::relative_display("/elsewhere/a.yaml", base) == "/elsewhere/a.yaml");
        CHECK(util::relative_display("/work/project", base) == ".");
    }

} // TEST_SUITE
