#include <llmops/report/diff_html.hpp>

// The HTML report of `llmops diff`, read as text: what it escapes, the policy that guards it, its
// charts. tests/cli/test_diff_html_cli.cpp opens it in a browser.

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>

namespace compare = llmops::compare;
namespace report = llmops::report;
namespace util = llmops::util;

namespace {

// A side of `n` cases "case-0"... of which the first `passing` pass, each result costing `cost`;
// case i's output is `output(i)`.
template <class Output>
compare::Side make_side(const std::string& label, int variant, int n, int passing, double cost,
                        Output output) {
    compare::Side s;
    s.name = "run 7";
    s.run_id = 7;
    s.variant = variant;
    s.label = label;
    for (int i = 0; i < n; ++i) {
        compare::SideCase sc;
        sc.id = fmt::format("case-{}", i);
        sc.position = i;
        compare::CaseResult r;
        r.status = i < passing ? "pass" : "fail";
        r.reason = i < passing ? "" : "expected 'yes'";
        r.output = output(i);
        r.cost_usd = cost;
        r.latency_ms = 100 + i;
        r.input_tokens = 10;
        r.output_tokens = 5;
        sc.results.push_back(std::move(r));
        s.cases.push_back(std::move(sc));
    }
    return s;
}

compare::Side plain_side(const std::string& label, int variant, int n, int passing, double cost) {
    return make_side(label, variant, n, passing, cost,
                     [](int i) { return fmt::format("answer {}", i); });
}

size_t count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

// The text between `open` (its first occurrence) and the next `close`.
std::string between(const std::string& s, const std::string& open, const std::string& close) {
    const size_t start = s.find(open);
    REQUIRE(start != std::string::npos);
    const size_t end = s.find(close, start + open.size());
    REQUIRE(end != std::string::npos);
    return s.substr(start + open.size(), end - start - open.size());
}

std::string csp_of(const std::string& html) {
    return between(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\"");
}

const std::string k_planted_script = "<script>alert(1)</script>";
const std::string k_planted_close = "</script><script>alert(2)</script><!--";

} // namespace

TEST_SUITE("report") {

    TEST_CASE("report::diff_html escapes model and dataset text") {
        auto nasty = [](int i) {
            return i == 0 ? k_planted_script : i == 1 ? k_planted_close : "fine & dandy";
        };
        compare::Side a = make_side("prompt@1 | <b>bold</b>", 0, 3, 3, 0.001, nasty);
        compare::Side b = make_side("prompt@2 | model", 1, 3, 1, 0.001, nasty);
        a.cases[2].description = "<img src=x onerror=alert(3)>";
        const compare::Options options;
        const std::vector<compare::Comparison> cs{compare::compare(a, b, options)};
        const std::string html = report::diff_html(cs, options, {{"gate <i>x</i> failed"}});

        SUBCASE("no tag a model wrote survives: two script elements, both the report's") {
            CHECK(count(html, "<script") == 2);
            CHECK(count(html, "</script>") == 2);
            const std::string block = between(html, "id=\"llmops-cases\">", "</script>");
            std::string rest = html;
            rest.erase(rest.find(block), block.size());
            CHECK(rest.find("alert(") == std::string::npos); // model text is only in the data block
            CHECK(html.find("<img") == std::string::npos);
            CHECK(html.find("<b>bold") == std::string::npos);
            CHECK(html.find("&lt;b&gt;bold&lt;/b&gt;") != std::string::npos);
            CHECK(html.find("gate failed: gate &lt;i&gt;x&lt;/i&gt; failed") != std::string::npos);
        }
        SUBCASE("the cases travel as JSON with <, > and & escaped, and read back unchanged") {
            const std::string block = between(
                html, "<script type=\"application/json\" id=\"llmops-cases\">", "</script>");
            CHECK(block.find('<') == std::string::npos);
            CHECK(block.find('>') == std::string::npos);
            CHECK(block.find('&') == std::string::npos);
            CHECK(block.find("fine \\u0026 dandy") != std::string::npos);
            CHECK(block.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e") !=
                  std::string::npos);
            const auto data = nlohmann::json::parse(block);
            // Each side's cases once, as [status, output, reason, prompt]; each comparison's rows
            // point into them: [id, description, change, case on side a, case on side b,
            // candidate fails, inputs].
            REQUIRE(data["sides"].size() == 2);
            const auto& base = data["sides"][0];
            const auto& cand = data["sides"][1];
            CHECK(base[0] == nlohmann::json::array({"pass", k_planted_script, "", ""}));
            CHECK(cand[1] ==
                  nlohmann::json::array({"fail", k_planted_close, "expected 'yes'", ""}));
            const auto& table = data["tables"][0];
            CHECK(table["a"] == 0);
            CHECK(table["b"] == 1);
            CHECK(table["rows"] ==
                  nlohmann::json::parse(R"([["case-0", "", "unchanged pass", 0, 0, 0, ""],
            ["case-1", "", "regression", 1, 1, 1, ""],
            ["case-2", "<img src=x onerror=alert(3)>", "regression", 2, 2, 1, ""]])"));
        }
    }

    TEST_CASE("report::diff_html inputs") {
        const compare::Side a = plain_side("a", 0, 2, 2, 0.001);
        const compare::Side b = plain_side("b", 1, 2, 1, 0.001);
        const compare::Options options;
        report::CaseInputs inputs;
        inputs.vars["case-1"] = "q=\"" + k_planted_script + "\"";
        inputs.prompts[{7, 1, "case-1"}] = "[user]\n" + k_planted_close;
        const std::string html =
            report::diff_html({compare::compare(a, b, options)}, options, {{}}, inputs);
        const std::string block =
            between(html, "<script type=\"application/json\" id=\"llmops-cases\">", "</script>");
        CHECK(block.find('<') == std::string::npos);
        const auto data = nlohmann::json::parse(block);
        // The inputs close each row (searched with it); the prompt is the candidate's, case-1's.
        CHECK(data["tables"][0]["rows"][1][6] == "q=\"" + k_planted_script + "\"");
        CHECK(data["tables"][0]["rows"][0][6] == "");
        CHECK(data["sides"][1][1][3] == "[user]\n" + k_planted_close);
        CHECK(data["sides"][0][1][3] == "");
        CHECK(html.find("<th>case</th><th>inputs</th>") != std::string::npos);
        CHECK(html.find("search ids, descriptions, inputs, outputs and reasons") !=
              std::string::npos);
    }

    TEST_CASE("report::diff_html prompt diff") {
        const compare::Side a = plain_side("a", 0, 2, 2, 0.001);
        const compare::Side b = plain_side("b", 1, 2, 2, 0.001);
        const compare::Options options;
        compare::Comparison c = compare::compare(a, b, options);
        c.prompt_diff =
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-Answer <briefly>.\n+Answer in detail.\n same\n";
        const std::string html = report::diff_html({c}, options, {{}});
        CHECK(html.find("<pre class=\"text\"><span class=\"file\">--- a</span>\n"
                        "<span class=\"file\">+++ b</span>\n"
                        "<span class=\"hunk\">@@ -1,2 +1,2 @@</span>\n"
                        "<span class=\"del\">-Answer &lt;briefly&gt;.</span>\n"
                        "<span class=\"add\">+Answer in detail.</span>\n"
                        "<span class=\"same\"> same</span>\n</pre>") != std::string::npos);
        c.prompt_diff.clear();
        CHECK(report::diff_html({c}, options, {{}}).find("prompt-diff\">") == std::string::npos);
    }

    TEST_CASE("report::diff_html prompt change as a line diff of the prompts' texts") {
        compare::Side a = plain_side("a", 0, 2, 2, 0.001);
        compare::Side b = plain_side("b", 1, 2, 2, 0.001);
        a.prompt_label = "qa@1";
        b.prompt_label = "qa@2";
        a.prompt_content = R"({"messages": [{"role": "system", "content": "Be brief.\nUse <b>."},
            {"role": "user", "content": "{{q}}"}], "variables": {}})";
        b.prompt_content = R"({"messages": [{"role": "system", "content": "Be thorough.\nUse <b>."},
            {"role": "user", "content": "{{q}}"}], "variables": {}})";
        const compare::Options options;
        compare::Comparison c = compare::compare(a, b, options);
        c.prompt_diff = "the contents' diff, as JSON";
        const std::string html = report::diff_html({c}, options, {{}});
        const std::string diff = between(html, "<pre class=\"text\">", "</pre>");
        CHECK(diff == "<span class=\"file\">--- qa@1</span>\n"
                      "<span class=\"file\">+++ qa@2</span>\n"
                      "<span class=\"hunk\">@@ -1,5 +1,5 @@</span>\n"
                      "<span class=\"same\"> [system]</span>\n"
                      "<span class=\"del\">-Be brief.</span>\n"
                      "<span class=\"add\">+Be thorough.</span>\n"
                      "<span class=\"same\"> Use &lt;b&gt;.</span>\n"
                      "<span class=\"same\"> </span>\n"
                      "<span class=\"same\"> [user]</span>\n");
    }

    TEST_CASE("report::run_html of one variant") {
        const std::vector<compare::Side> sides{plain_side("only", 0, 3, 2, 0.001)};
        report::CaseInputs inputs;
        inputs.vars["case-2"] = "lang=\"fr\"";
        inputs.prompts[{7, 0, "case-2"}] = "[user]\nSay it in French";
        const std::string html = report::run_html("run 7", sides, {}, {}, inputs);
        SUBCASE("no chart for a single point") {
            CHECK(html.find("<svg") == std::string::npos);
            CHECK(html.find("<td>variant</td>") != std::string::npos);
        }
        SUBCASE("each case with its inputs, status, output, reason and prompt") {
            const auto data = nlohmann::json::parse(between(
                html, "<script type=\"application/json\" id=\"llmops-cases\">", "</script>"));
            CHECK(data["tables"][0]["rows"][2] ==
                  nlohmann::json::parse(R"(["case-2", "", "fail", 2, -1, 1, "lang=\"fr\""])"));
            CHECK(data["sides"][0][2] ==
                  nlohmann::json::array(
                      {"fail", "answer 2", "expected 'yes'", "[user]\nSay it in French"}));
            CHECK(html.find("<th>case</th><th>inputs</th><th>status</th><th>output</th>") !=
                  std::string::npos);
        }
    }

    TEST_CASE("report::diff_html Content-Security-Policy") {
        const compare::Side a = plain_side("a", 0, 4, 3, 0.002);
        const compare::Side b = plain_side("b", 1, 4, 4, 0.001);
        const compare::Options options;
        const std::string html =
            report::diff_html({compare::compare(a, b, options)}, options, {{}});
        const std::string csp = csp_of(html);

        SUBCASE("admits the inline stylesheet and script by their SHA-256, nothing else") {
            const std::string style = between(html, "<style>", "</style>");
            const std::string script = between(html, "<script>", "</script>");
            auto source = [](const std::string& text) {
                return "'sha256-" + util::base64_encode(util::sha256_digest(text)) + "'";
            };
            CHECK(csp ==
                  fmt::format("default-src 'none'; style-src {}; script-src {}; base-uri 'none'; "
                              "form-action 'none'",
                              source(style), source(script)));
            CHECK(csp.find("unsafe") == std::string::npos);
        }
        SUBCASE("the policy comes before any style or script, and nothing is fetched") {
            CHECK(html.find("Content-Security-Policy") < html.find("<style>"));
            CHECK(html.find(" src=") == std::string::npos);
            CHECK(html.find(" href=") == std::string::npos);
            CHECK(html.find("url(") == std::string::npos);
            CHECK(html.find("@import") == std::string::npos);
            CHECK(html.find(" style=") == std::string::npos); // inline style attributes are refused
            CHECK_FALSE(
                std::regex_search(html, std::regex(" on[a-z]+="))); // no inline event handler
            // The one URL is SVG's namespace name, which is never fetched.
            CHECK(count(html, "http") == count(html, "xmlns=\"http://www.w3.org/2000/svg\"") + 1);
        }
    }

    TEST_CASE("report::diff_html charts") {
        // Three variants: #1 80% at $0.010, #2 90% at $0.020 (both on the front: one cheaper, one
        // better), #3 70% at $0.030 (worse and dearer than both: dominated).
        const compare::Side a = plain_side("cheap", 0, 10, 8, 0.010);
        const compare::Side b = plain_side("good", 1, 10, 9, 0.020);
        const compare::Side c = plain_side("dear", 2, 10, 7, 0.030);
        const compare::Options options;
        const std::vector<compare::Comparison> cs{compare::compare(a, b, options),
                                                  compare::compare(a, c, options)};
        const std::string html = report::diff_html(cs, options, {{}, {}});

        SUBCASE("pass rate per variant with its interval, the baseline once") {
            const std::string chart =
                between(html, "<svg class=\"chart\" id=\"chart-pass-rate\"", "</svg>");
            CHECK(count(chart, "<rect class=\"bar baseline\"") == 1);
            CHECK(count(chart, "<rect class=\"bar candidate\"") == 2);
            CHECK(count(chart, "<path class=\"err\"") == 3);
            CHECK(chart.find(">#1 cheap</text>") != std::string::npos);
            CHECK(chart.find(">80.0% [49.0, 94.3]</text>") != std::string::npos);
        }
        SUBCASE("cost against quality: the Pareto front marked") {
            const std::string chart =
                between(html, "<svg class=\"chart\" id=\"chart-cost-quality\"", "</svg>");
            CHECK(chart.find("<circle class=\"pt front\" data-variant=\"1\"") != std::string::npos);
            CHECK(chart.find("<circle class=\"pt front\" data-variant=\"2\"") != std::string::npos);
            CHECK(chart.find("<circle class=\"pt dominated\" data-variant=\"3\"") !=
                  std::string::npos);
            CHECK(count(chart, "<path class=\"front-line\"") == 1);
            CHECK(html.find("<tr data-variant=\"3\"><td class=\"num\">#3</td><td>candidate</td>") !=
                  std::string::npos);
        }
        SUBCASE("a variant as cheap and as good as another does not dominate it") {
            const compare::Side twin = plain_side("twin", 3, 10, 8, 0.010);
            const std::string twins =
                report::diff_html({compare::compare(a, twin, options)}, options, {{}});
            CHECK(count(twins, "<circle class=\"pt front\" data-variant=") == 2);
        }
        SUBCASE("unpriced variants are not drawn, and say so") {
            compare::Side free_a = plain_side("a", 0, 4, 4, 0);
            for (auto& sc : free_a.cases)
                sc.results[0].cost_usd.reset();
            compare::Side free_b = free_a;
            free_b.variant = 1;
            const std::string none =
                report::diff_html({compare::compare(free_a, free_b, options)}, options, {{}});
            CHECK(none.find("no cost against quality chart") != std::string::npos);
            CHECK(none.find("id=\"chart-pass-rate\"") != std::string::npos);
        }
    }

    TEST_CASE("report::diff_html at 10,000 cases") {
        // Outputs of 300 to 900 characters; the table keeps 500 of each.
        auto output = [](int i) {
            return std::string(300 + static_cast<size_t>(i % 7) * 100, 'a' + i % 26);
        };
        const compare::Side a = make_side("a", 0, 10000, 9000, 0.001, output);
        const compare::Side b = make_side("b", 1, 10000, 8800, 0.0012, output);
        const compare::Options options;
        const std::vector<compare::Comparison> cs{compare::compare(a, b, options)};
        const auto start = std::chrono::steady_clock::now();
        const std::string html = report::diff_html(cs, options, {{}});
        const auto took = std::chrono::steady_clock::now() - start;
        MESSAGE(fmt::format("10,000 cases: {:.1f} MB in {} ms", html.size() / 1e6,
                            std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
        CHECK(html.size() < 12'000'000); // two outputs of at most ~530 bytes per case, and the rest
        CHECK(html.find(std::string(500, 'g') + " … (300 more characters)") != std::string::npos);
        CHECK(html.find(std::string(501, 'g')) == std::string::npos);
    }

} // TEST_SUITE
