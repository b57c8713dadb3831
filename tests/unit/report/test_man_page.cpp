// The man page's roff: escaping, and a small tree rendered section by section.

#include <doctest/doctest.h>

#include <llmops/report/man_page.hpp>

namespace llmops::report {

TEST_SUITE("report") {

    TEST_CASE("report::roff_text") {
        SUBCASE("hyphens become minus signs, backslashes \\e") {
            CHECK(roff_text("--fail-on-regression") == "\\-\\-fail\\-on\\-regression");
            CHECK(roff_text("a\\b") == "a\\eb");
        }
        SUBCASE("a line starting with . or ' is not read as a request") {
            CHECK(roff_text(".llmops/ holds it") == "\\&.llmops/ holds it");
            CHECK(roff_text("'quoted'") == "\\&'quoted'");
            CHECK(roff_text("one\n.two") == "one\n\\&.two");
            CHECK(roff_text("in the middle . and ' stay") == "in the middle . and ' stay");
        }
    }

    TEST_CASE("report::man_page") {
        CommandInfo root{"tool", "tool: does things", {}, {}, {}};
        ArgumentInfo dir;
        dir.long_names = {"--dir"};
        dir.name = "--dir";
        dir.value_name = "DIR";
        dir.description = "Where .tool lives";
        root.options.push_back(dir);
        CommandInfo show{"show", "Show one", {}, {}, {}};
        ArgumentInfo ref;
        ref.name = "ref";
        ref.value_name = "REF";
        ref.required = true;
        ref.description = "A ref";
        show.positionals.push_back(ref);
        ArgumentInfo format;
        format.long_names = {"--format"};
        format.short_names = {"-f"};
        format.name = "--format";
        format.value_name = "TEXT";
        format.kind = ValueKind::choice;
        format.choices = {"text", "json"};
        format.description = "Output";
        show.options.push_back(format);
        root.subcommands.push_back(show);

        const std::string page = man_page(root, "1.2.3");
        CHECK(page.find(".TH TOOL 1 \"\" \"tool 1.2.3\" \"User Commands\"\n.nh\n.ad l\n.SH "
                        "NAME\ntool \\- does "
                        "things\n") != std::string::npos);
        CHECK(page.find(".TP\n\\fB\\-\\-dir\\fR \\fIDIR\\fR\nWhere .tool lives\n") !=
              std::string::npos);
        CHECK(page.find(".SS \"tool show\"\n\\fBtool show\\fR [\\fIOPTIONS\\fR] \\fIREF\\fR\n.br\n"
                        "Show one\n.TP\n\\fIREF\\fR\nA ref\n.TP\n\\fB\\-f\\fR, "
                        "\\fB\\-\\-format\\fR \\fITEXT\\fR\nOutput (one of: text, json)\n") !=
              std::string::npos);
    }

} // TEST_SUITE

} // namespace llmops::report
