// Dataset files (SPEC §7): CSV with promptfoo's conventions (RFC 4180 quoting, `__expected`
// columns), JSONL, JSON and YAML; every malformed file is an error naming the file and line.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

// Loads `content` written to `name` in `dir`; messages name files relative to the folder.
Expected<std::vector<eval::TestCase>> load(const test::TempDir& dir, std::string_view name,
                                           std::string_view content) {
    dir.write(name, content);
    return eval::load_dataset(dir / name, dir.path());
}

std::vector<eval::TestCase> cases(const test::TempDir& dir, std::string_view name,
                                  std::string_view content) {
    auto loaded = load(dir, name, content);
    REQUIRE_OK(loaded);
    return std::move(*loaded);
}

// The error loading `content` gives, with the temporary folder taken out of paths.
std::string error_of(const test::TempDir& dir, std::string_view name, std::string_view content) {
    auto loaded = load(dir, name, content);
    REQUIRE_FALSE(loaded.has_value());
    std::string message = loaded.error().message();
    const std::string prefix = dir.path().string() + "/";
    for (size_t at; (at = message.find(prefix)) != std::string::npos;) {
        message.erase(at, prefix.size());
    }
    return message;
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::load_dataset CSV columns") {
        test::TempDir dir;
        SUBCASE("columns are variables and __expected holds assertions") {
            auto c = cases(dir, "cases.csv",
                           "question,__expected\n"
                           "What is 2+2?,equals: 4\n"
                           "Capital of France?,contains: Paris\n");
            REQUIRE(c.size() == 2);
            CHECK(c[0].vars == json{{"question", "What is 2+2?"}});
            REQUIRE(c[0].asserts.size() == 1);
            CHECK(c[0].asserts[0].type == "equals");
            CHECK(c[0].asserts[0].value == "4");
            CHECK(c[1].asserts[0].type == "contains");
            CHECK(c[1].asserts[0].value == "Paris"); // trimmed, unlike promptfoo
            // Content ids: the first 12 hex digits of the SHA-256 of the row's variables as
            // canonical JSON ({"question":"What is 2+2?"}), not the row's position.
            CHECK(c[0].id == "83c079aca4fb");
            CHECK(c[1].id == "eb597da4268c");
            CHECK(c[1].where == dir.path().string() + "/cases.csv:3");
        }
        SUBCASE("the assertion shorthands map as promptfoo's do") {
            auto c = cases(dir, "cases.csv",
                           "q,__expected1,__expected2,__expected3,__expected4,__expected5\n"
                           "a,icontains:Hi,not-contains: sorry,regex:^[A-Z],is-json,"
                           "\"contains-any: yes, oui\"\n"
                           "b,Just this text,levenshtein(5):kitten,python: len(output) > 3,,\n");
            const auto& a = c[0].asserts;
            REQUIRE(a.size() == 5);
            CHECK(a[0].type == "icontains");
            CHECK(a[0].value == "Hi");
            CHECK(a[1].type == "contains");
            CHECK(a[1].negate);
            CHECK(a[1].value == "sorry");
            CHECK(a[2].type == "regex");
            CHECK(a[2].value == "^[A-Z]");
            CHECK(a[3].type == "is-json");
            CHECK(a[4].type == "contains-any");
            const auto& b = c[1].asserts;
            REQUIRE(b.size() == 3); // empty __expected cells add nothing
            CHECK(b[0].type == "equals");
            CHECK(b[0].value == "Just this text");
            CHECK(b[1].type == "levenshtein");
            CHECK(*b[1].threshold == 5.0);
            CHECK(b[1].value == "kitten");
            CHECK(b[2].type == "python");
        }
        SUBCASE("__description, __id, __threshold, __metric and __metadata") {
            auto c = cases(
                dir, "cases.csv",
                "q,__expected,__description,__id,__threshold,__metric,__metadata:topic,"
                "__metadata:tags[]\n"
                "a,contains: x,Greets by name,greet-1,0.5,tone,smalltalk,\"ai,global\\, warming\"\n"
                "b,contains: y,Says goodbye,,,,,\n");
            REQUIRE(c.size() == 2);
            CHECK(c[0].id == "greet-1");
            CHECK(c[0].description == "Greets by name");
            CHECK(*c[0].threshold == 0.5);
            CHECK(c[0].asserts[0].metric == "tone");
            CHECK(c[0].metadata ==
                  json::parse(R"({"topic": "smalltalk", "tags": ["ai", "global, warming"]})"));
            CHECK(c[0].vars == json{{"q", "a"}});
            CHECK(c[1].id == "Says goodbye"); // the description when there is no id
            CHECK_FALSE(c[1].threshold.has_value());
            CHECK(c[1].metadata == json::object());
        }
        SUBCASE("__config sets a setting on every assertion or on one column's") {
            auto c = cases(dir, "cases.csv",
                           "q,__expected1,__expected2,__config:__expected:weight,"
                           "__config:__expected2:metric\n"
                           "a,contains: x,contains: y,2,style\n");
            CHECK(c[0].asserts[0].weight == 2.0);
            CHECK(c[0].asserts[1].weight == 2.0);
            CHECK(c[0].asserts[0].metric.empty());
            CHECK(c[0].asserts[1].metric == "style");
        }
    }

    TEST_CASE("eval::load_dataset CSV quoting") {
        test::TempDir dir;
        SUBCASE("quoted fields hold commas, doubled quotes and line breaks") {
            auto c = cases(dir, "cases.csv",
                           "text,note\n"
                           "\"a, b\",\"she said \"\"hi\"\"\"\n"
                           "\"line one\nline two\",plain\n"
                           "last,\"\"\n");
            REQUIRE(c.size() == 3);
            CHECK(c[0].vars["text"] == "a, b");
            CHECK(c[0].vars["note"] == "she said \"hi\"");
            CHECK(c[1].vars["text"] == "line one\nline two");
            CHECK(c[2].vars["note"] == "");
            CHECK(c[2].where.ends_with("cases.csv:5")); // the quoted line break counts
        }
        SUBCASE("CRLF line ends, a byte order mark and blank lines are tolerated") {
            auto c = cases(dir, "cases.csv", "\xEF\xBB\xBFq,a\r\n1,2\r\n\r\n3,4\r\n");
            REQUIRE(c.size() == 2);
            CHECK(c[0].vars == json{{"q", "1"}, {"a", "2"}});
            CHECK(c[1].vars == json{{"q", "3"}, {"a", "4"}});
            CHECK(c[1].where.ends_with("cases.csv:4"));
        }
        SUBCASE("a quote inside an unquoted field is text, and header names are trimmed") {
            auto c = cases(dir, "cases.csv", "q , size\nthe 5\" disk,5\n");
            CHECK(c[0].vars == json{{"q", "the 5\" disk"}, {"size", "5"}});
        }
        SUBCASE("a ragged row names its line") {
            CHECK(error_of(dir, "cases.csv", "a,b,c\n1,2,3\n\"x\ny\",2,3\n1,2,3,4\n") ==
                  "cases.csv:5: row has 4 fields, the header has 3");
            CHECK(error_of(dir, "cases.csv", "a,b\n1\n") ==
                  "cases.csv:2: row has 1 field, the header has 2");
        }
        SUBCASE("broken quoting names its line") {
            CHECK(error_of(dir, "cases.csv", "a,b\n1,\"open\n2,3\n") ==
                  "cases.csv:2: a quoted field is not closed");
            CHECK(
                error_of(dir, "cases.csv", "a,b\n1,\"x\"y\n") ==
                "cases.csv:2: unexpected text after a closing quote (write a quote inside a quoted "
                "field as \"\")");
        }
        SUBCASE("invalid UTF-8 names its line and column") {
            CHECK(error_of(dir, "cases.csv", "a\nok\nb\xff\n") == "cases.csv:3:2: invalid UTF-8");
        }
    }

    TEST_CASE("eval::load_dataset CSV header errors") {
        test::TempDir dir;
        CHECK(error_of(dir, "cases.csv", "a,,b\n1,2,3\n") == "cases.csv:1: column 2 has no name");
        CHECK(error_of(dir, "cases.csv", "a,b,a\n1,2,3\n") ==
              "cases.csv:1: column 'a' appears twice");
        CHECK(error_of(dir, "cases.csv", "q,__descripton\n1,2\n") ==
              "cases.csv:1: unknown column '__descripton' (did you mean '__description'?)");
        CHECK(error_of(dir, "cases.csv", "q,_expected\n1,2\n") ==
              "cases.csv:1: unknown column '_expected' (did you mean '__expected'?)");
        CHECK(error_of(dir, "cases.csv", "q,__prefix\n1,2\n") ==
              "cases.csv:1: promptfoo's column '__prefix' is not supported by llmops; remove it");
        CHECK(error_of(dir, "cases.csv", "q,__metadata\n1,2\n") ==
              "cases.csv:1: column '__metadata' needs a key, as in '__metadata:category'");
        CHECK(
            error_of(dir, "cases.csv", "q,__config:__expected3:weight\n1,2\n") ==
            "cases.csv:1: column '__config:__expected3:weight' names '__expected3', which is not a "
            "column");
        CHECK(error_of(dir, "cases.csv", "q,__threshold\n1,high\n") ==
              "cases.csv:2: '__threshold' must be a number, not 'high'");
    }

    TEST_CASE("eval::load_dataset CSV assertion errors") {
        test::TempDir dir;
        SUBCASE("a typo in a type is reported with a did-you-mean, not read as equals") {
            CHECK(error_of(dir, "cases.csv", "q,__expected\n1,containz: x\n") ==
                  "cases.csv:2: __expected: unknown assertion type 'containz' (did you mean "
                  "'contains'?)");
        }
        SUBCASE("text that only looks like a prefix stays an equals") {
            auto c = cases(dir, "cases.csv", "q,__expected\n1,Answer: 42\n2,note: 3\n");
            CHECK(c[0].asserts[0].type == "equals");
            CHECK(c[0].asserts[0].value == "Answer: 42");
            CHECK(c[1].asserts[0].value == "note: 3");
        }
        SUBCASE("javascript shorthands are javascript assertions; grade: is llm-rubric") {
            const auto js = cases(dir, "js.csv", "q,__expected2\n1,fn: output.length < 9\n");
            CHECK(js[0].asserts[0].type == "javascript");
            CHECK(js[0].asserts[0].value == "output.length < 9");
            const auto graded = cases(dir, "graded.csv", "q,__expected\n1,grade: is polite\n");
            CHECK(graded[0].asserts[0].type == "llm-rubric");
            CHECK(graded[0].asserts[0].value == "is polite");
        }
    }

    TEST_CASE("eval::load_dataset JSONL, JSON and YAML") {
        test::TempDir dir;
        SUBCASE("JSONL holds one test case per line; blank lines are skipped") {
            auto c = cases(dir, "cases.jsonl",
                           R"({"vars": {"x": 5}, "assert": [{"type": "equals", "value": "8"}]})"
                           "\n\n"
                           R"({"description": "second", "vars": {"x": 10}})"
                           "\n");
            REQUIRE(c.size() == 2);
            CHECK(c[0].vars == json{{"x", 5}});
            CHECK(c[0].asserts[0].value == "8");
            CHECK(c[1].id == "second");
            CHECK(c[1].where.ends_with("cases.jsonl:3"));
        }
        SUBCASE("a JSONL line that is not JSON names its line and column") {
            CHECK(error_of(dir, "cases.jsonl", "{\"vars\": {}}\n{\"vars\": nope}\n") ==
                  "cases.jsonl:2:11: not JSON: syntax error while parsing value - invalid literal; "
                  "last read: '\"vars\": no'");
        }
        SUBCASE("a JSONL line must be a test case") {
            CHECK(error_of(dir, "cases.jsonl", "[1, 2]\n") ==
                  "cases.jsonl:1: a test case must be a map, not a list");
            CHECK(error_of(dir, "cases.jsonl", R"({"question": "hi"})") ==
                  "cases.jsonl:1: unknown key 'question' (variables go under 'vars')");
        }
        SUBCASE("JSON holds a list of test cases, or one") {
            auto c = cases(dir, "cases.json", R"([{"vars": {"a": 1}}, {"vars": {"a": 2}}])");
            REQUIRE(c.size() == 2);
            CHECK(c[1].where.ends_with("cases.json: [1]"));
            auto one = cases(dir, "one.json", R"({"vars": {"a": 1}})");
            CHECK(one.size() == 1);
            CHECK(
                error_of(dir, "bad.json", "[\n  {\"vars\": {}},\n  {\"vars\" {}}\n]") ==
                "bad.json:3:11: not JSON: syntax error while parsing object separator - unexpected "
                "'{'; expected ':'");
            CHECK(error_of(dir, "num.json", "42") ==
                  "num.json: a dataset must be a list of test cases");
            CHECK(error_of(dir, "typed.json", R"([{"vars": ["a"]}])") ==
                  "typed.json: [0]: 'vars' must be a map, not a list");
        }
        SUBCASE("YAML holds a list of test cases; syntax errors keep their line") {
            auto c = cases(dir, "cases.yaml",
                           "- vars: {a: 1}\n  assert:\n    - type: contains\n      value: x\n");
            CHECK(c[0].asserts[0].type == "contains");
            CHECK(error_of(dir, "bad.yaml", "- vars: {a: 1}\n- vars: [\n") ==
                  "bad.yaml:3:1: end of sequence flow not found");
            CHECK(error_of(dir, "asserts.yaml",
                           "- assert:\n    - type: containz\n      value: x\n") ==
                  "asserts.yaml: [0].assert[0]: unknown assertion type 'containz' (did you mean "
                  "'contains'?)");
        }
    }

    TEST_CASE("eval::load_dataset nesting") {
        // 100,000 levels in 200 KB once overflowed the stack (util::canonical_json, hashing the
        // case); every format refuses them at the bracket that opens one level too many.
        test::TempDir dir;
        const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
        std::string deep_objects;
        for (int i = 0; i < 100'000; ++i) {
            deep_objects += R"({"a":)";
        }
        deep_objects += "1" + std::string(100'000, '}');
        SUBCASE("JSONL names the line") {
            CHECK(error_of(dir, "cases.jsonl", "{\"vars\": {}}\n\n" + deep + "\n") ==
                  "cases.jsonl:3:513: nesting deeper than 512 levels");
            CHECK(error_of(dir, "cases.jsonl", R"({"vars": {"x": )" + deep_objects + "}}\n") ==
                  "cases.jsonl:1:2566: nesting deeper than 512 levels");
        }
        SUBCASE("JSON and YAML name the line and column") {
            CHECK(error_of(dir, "cases.json", "[\n  " + deep + "\n]") ==
                  "cases.json:2:514: nesting deeper than 512 levels");
            CHECK(error_of(dir, "cases.yaml", "- vars:\n    x: " + deep + "\n") ==
                  "cases.yaml:2:503: nesting deeper than 498 levels");
        }
        SUBCASE("a variable file nested too deeply") {
            dir.write("deep.yaml", "x: " + deep + "\n");
            CHECK(error_of(dir, "cases.jsonl", R"({"vars": {"x": "file://deep.yaml"}})") ==
                  "cases.jsonl:1: vars.x: deep.yaml:1:501: nesting deeper than 498 levels");
        }
        SUBCASE("a case nested as deeply as allowed loads") {
            // The case's map and 'vars' are two levels: 510 more reach the limit.
            auto c = cases(dir, "cases.jsonl",
                           R"({"vars": {"x": )" + deep.substr(0, 510) +
                               deep.substr(deep.size() - 510) + "}}\n");
            REQUIRE(c.size() == 1);
            CHECK(c[0].vars["x"].is_array());
        }
    }

    TEST_CASE("eval::load_dataset empty and unsupported files") {
        test::TempDir dir;
        CHECK(error_of(dir, "empty.csv", "") == "empty.csv: the dataset is empty");
        CHECK(error_of(dir, "header.csv", "q,__expected\n") == "header.csv: the dataset is empty");
        CHECK(error_of(dir, "blank.jsonl", "\n  \n") == "blank.jsonl: the dataset is empty");
        CHECK(error_of(dir, "empty.json", "[]") == "empty.json: the dataset is empty");
        CHECK(error_of(dir, "empty.yaml", "# nothing yet\n") == "empty.yaml: the dataset is empty");
        CHECK(error_of(dir, "cases.xlsx", "x") == "cases.xlsx: unsupported dataset format '.xlsx' "
                                                  "(use .csv, .jsonl, .json, .yaml or .yml)");
        auto missing = eval::load_dataset(dir / "missing.csv", dir.path());
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().code() == ErrorCode::not_found);
    }

    TEST_CASE("eval::load_dataset variables from files") {
        test::TempDir dir;
        dir.write("docs/policy.txt", "Refunds within 30 days.\n");
        dir.write("docs/user.json", "{\"name\": \"Ada\"}\n\n");
        dir.write("docs/user.yaml", "name: Ada\nage: 36\n");
        SUBCASE("file:// values load the file, relative to the base folder, as promptfoo does") {
            // Text (JSON included) trimmed; YAML as the compact JSON of its value, keys in order.
            auto c = cases(dir, "cases.csv",
                           "policy,user,profile\nfile://docs/policy.txt,file://docs/user.json,"
                           "file://docs/user.yaml\n");
            CHECK(c[0].vars["policy"] == "Refunds within 30 days.");
            CHECK(c[0].vars["user"] == "{\"name\": \"Ada\"}");
            CHECK(c[0].vars["profile"] == "{\"name\":\"Ada\",\"age\":36}");
        }
        SUBCASE("a missing file, a glob or a script is an error naming the variable") {
            auto missing = load(dir, "cases.csv", "policy\nfile://docs/gone.txt\n");
            REQUIRE_FALSE(missing.has_value());
            CHECK(missing.error().code() == ErrorCode::not_found);
            CHECK(error_of(dir, "cases.csv", "policy\nfile://docs/gone.txt\n") ==
                  "cases.csv:2: vars.policy: 'file://docs/gone.txt' does not exist");
            CHECK(error_of(dir, "cases.csv", "policy\nfile://docs/*.txt\n") ==
                  "cases.csv:2: vars.policy: 'file://docs/*.txt': promptfoo's variable globs are "
                  "not supported; name one file");
            CHECK(error_of(dir, "cases.jsonl", R"({"vars": {"p": "file://gen.py"}})") ==
                  "cases.jsonl:1: vars.p: 'file://gen.py': promptfoo's variables computed by "
                  "scripts are not supported; write the value to a file");
        }
    }

    TEST_CASE("eval::load_dataset content ids") {
        test::TempDir dir;
        const auto ids = [&](const std::string& name, const std::string& text) {
            std::vector<std::string> out;
            for (const auto& c : cases(dir, name, text)) {
                out.push_back(c.id);
            }
            return out;
        };
        SUBCASE("inserting, deleting and reordering rows keeps every other row's id") {
            const auto before = ids("a.csv", "q\none\ntwo\nthree\n");
            const auto inserted = ids("b.csv", "q\nzero\none\ntwo\nthree\n");
            const auto reordered = ids("c.csv", "q\nthree\none\n");
            REQUIRE(before.size() == 3);
            CHECK(std::vector<std::string>(inserted.begin() + 1, inserted.end()) == before);
            CHECK(reordered == std::vector<std::string>{before[2], before[0]});
        }
        SUBCASE("equal variables are told apart by assertions, then by #2, #3") {
            const auto c = ids("d.csv", "q,__expected\nx,contains: a\nx,contains: b\n"
                                        "x,contains: a\nx,contains: a\ny,\ny,\n");
            REQUIRE(c.size() == 6);
            CHECK(c[0].size() == 12);
            CHECK(c[1].size() == 12); // same variables as row 1: the digest of both
            CHECK(c[1] != c[0]);
            CHECK(c[2] == c[0] + "#2"); // the same variables and assertions as row 1
            CHECK(c[3] == c[0] + "#3");
            CHECK(c[5] == c[4] + "#2"); // a second identical row
        }
        SUBCASE("explicit ids and descriptions stay as written") {
            const auto c = ids("e.yaml", "- id: first\n  vars: {q: x}\n"
                                         "- description: second\n  vars: {q: x}\n");
            CHECK(c == std::vector<std::string>{"first", "second"});
        }
    }

    TEST_CASE("eval::load_dataset ids and list variables") {
        test::TempDir dir;
        SUBCASE("a list of strings gives one case per value, as promptfoo expands them") {
            auto c = cases(dir, "cases.yaml",
                           "- description: greet\n  vars: {lang: [French, German], name: Ada}\n"
                           "- vars: {items: [{n: 1}, {n: 2}]}\n");
            REQUIRE(c.size() == 3);
            CHECK(c[0].id == "greet [lang=French]");
            CHECK(c[0].vars == json{{"lang", "French"}, {"name", "Ada"}});
            CHECK(c[1].id == "greet [lang=German]");
            CHECK(c[2].id.size() == 12); // no id or description: a digest of its variables
            CHECK(c[2].vars["items"].size() == 2); // lists of maps are passed whole
        }
        SUBCASE("disableVarExpansion passes the list whole") {
            auto c =
                cases(dir, "cases.yaml",
                      "- vars: {lang: [French, German]}\n  options: {disableVarExpansion: true}\n");
            REQUIRE(c.size() == 1);
            CHECK(c[0].vars["lang"] == json{"French", "German"});
        }
        SUBCASE("duplicate ids name both places") {
            CHECK(
                error_of(dir, "cases.csv", "q,__description\n1,same\n2,other\n3,same\n") ==
                "cases.csv:4: duplicate case id 'same' (also cases.csv:2); give each case its own "
                "'id'");
        }
    }

} // TEST_SUITE
