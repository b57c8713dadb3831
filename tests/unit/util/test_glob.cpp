#include <llmops/util/glob.hpp>
#include <llmops/util/yaml.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace util = llmops::util;
using Strings = std::vector<std::string>;

TEST_SUITE("util") {

    TEST_CASE("util::expand_braces") {
        CHECK(util::expand_braces("a.yaml") == Strings{"a.yaml"});
        CHECK(util::expand_braces("*.{yaml,yml}") == Strings{"*.yaml", "*.yml"});
        CHECK(util::expand_braces("{a,b{1,2}}/x") == Strings{"a/x", "b1/x", "b2/x"});
        CHECK(util::expand_braces("{a,b}{c,d}") == Strings{"ac", "ad", "bc", "bd"});
        CHECK(util::expand_braces("x{y") == Strings{"x{y"}); // an unmatched brace is literal
    }

    TEST_CASE("util::glob_files") {
        llmops::test::TempDir dir;
        for (const char* file : {"a.yaml", "b.yml", "c.txt", ".hidden.yaml", "d/e.yaml",
                                 "d/f/g.yaml", "d/f/h/i.yaml", ".git/j.yaml"}) {
            dir.write(file, "x");
        }
        SUBCASE("one folder: *, ?, [...] and braces, hidden names left out") {
            CHECK(util::glob_files(dir.path(), "*.yaml") == Strings{"a.yaml"});
            CHECK(util::glob_files(dir.path(), "*.{yaml,yml}") == Strings{"a.yaml", "b.yml"});
            CHECK(util::glob_files(dir.path(), "[ab].y?ml") == Strings{"a.yaml"});
            CHECK(util::glob_files(dir.path(), ".*.yaml") == Strings{".hidden.yaml"});
        }
        SUBCASE("** is any number of folders, none included, not hidden ones") {
            CHECK(util::glob_files(dir.path(), "**/*.yaml") ==
                  Strings{"a.yaml", "d/e.yaml", "d/f/g.yaml", "d/f/h/i.yaml"});
            CHECK(util::glob_files(dir.path(), "d/**/*.yaml") ==
                  Strings{"d/e.yaml", "d/f/g.yaml", "d/f/h/i.yaml"});
            CHECK(util::glob_files(dir.path(), "d/*/*.yaml") == Strings{"d/f/g.yaml"});
            CHECK(util::glob_files(dir.path(), "./d/f/**/i.yaml") == Strings{"d/f/h/i.yaml"});
        }
        SUBCASE("folders are not files; nothing matched is empty") {
            CHECK(util::glob_files(dir.path(), "*").size() == 3); // a.yaml b.yml c.txt
            CHECK(util::glob_files(dir.path(), "nope/*.yaml").empty());
        }
    }

    TEST_CASE("util::parse_yaml_ordered keeps the file's key order") {
        const auto doc = util::parse_yaml_ordered("zeta: 1\nalpha: {y: 2, b: [x, 3]}\n", "o.yaml");
        REQUIRE(doc.has_value());
        CHECK(doc->dump() == R"({"zeta":1,"alpha":{"y":2,"b":["x",3]}})");
        CHECK(!util::parse_yaml_ordered("a: 1\na: 2\n", "o.yaml").has_value());
    }
}
