// `llmops diff -o report.html` (and a run's, from `eval` and `runs export`) opened in a real
// browser (Debian's chromium, headless, installed by scripts/setup.sh): the charts render, the
// report's script runs under its Content-Security-Policy, and a script planted in a model
// output does not.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

namespace fs = std::filesystem;
namespace util = llmops::util;
using nlohmann::json;

const std::string k_planted_script = "<script>document.title='pwned'</script>";
const std::string k_planted_img = "<img src=x onerror=\"document.title='pwned'\">";

// An export of one run with three variants of `n` cases; variant v fails its first 10 * v cases
// and costs 0.001 * (v + 1) per case. Variant 1's outputs, a description and a label carry the
// planted markup.
std::string three_variants(int n) {
    json results = json::array();
    for (int v = 0; v < 3; ++v) {
        for (int i = 0; i < n; ++i) {
            const std::string output = v == 1 && i == 0 ? k_planted_script
                                       : v == 1 && i == 1
                                           ? k_planted_img
                                           : fmt::format("answer {} of variant {}", i, v);
            results.push_back({{"variant", v},
                               {"case_id", fmt::format("case-{}", i)},
                               {"description", i == 2 ? k_planted_img : ""},
                               {"case_index", i},
                               {"repeat", 0},
                               {"status", i < 10 * v ? "fail" : "pass"},
                               {"output", output},
                               {"usage", {{"input", 10}, {"output", 5}}},
                               {"cost_usd", 0.001 * (v + 1)},
                               {"latency_ms", 100},
                               {"cached", false}});
        }
    }
    json variants = json::array();
    for (int v = 0; v < 3; ++v) {
        variants.push_back({{"index", v},
                            {"label", v == 2 ? "triage | " + k_planted_script
                                             : fmt::format("triage | model {}", v)},
                            {"prompt_version_id", "p"},
                            {"provider_id", "echo"}});
    }
    return json{{"llmops_export", 1},
                {"run", {{"id", 3}, {"dataset_hash", "d"}, {"suite_path", "suite.yaml"}}},
                {"variants", variants},
                {"results", results}}
        .dump();
}

std::optional<fs::path> find_program(std::string_view name) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const size_t colon = dirs.find(':');
        const fs::path candidate = fs::path(dirs.substr(0, colon)) / name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    }
    return std::nullopt;
}

// Runs headless chromium on `page` with `args` (--dump-dom, --screenshot=...) and returns what
// it printed. Everything that could reach the network is off; the page itself allows no fetch
// anyway.
std::string chromium(const TempDir& dir, const fs::path& page,
                     const std::vector<std::string>& args) {
    const auto chromium = find_program("chromium");
    REQUIRE_MESSAGE(chromium.has_value(),
                    "chromium is not installed: scripts/setup.sh installs it (Debian's package "
                    "'chromium'); the HTML report's browser test needs it");
    RunOptions options;
    options.cwd = dir.path();
    options.env = {{"HOME", dir.path().string()}};
    std::vector<std::string> argv{"timeout",
                                  "300",
                                  chromium->string(),
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-quic",
                                  "--no-first-run",
                                  "--disable-background-networking",
                                  "--disable-component-update",
                                  "--disable-sync",
                                  "--disable-extensions",
                                  "--disable-default-apps",
                                  "--hide-scrollbars",
                                  "--user-data-dir=" + (dir / "chromium").string(),
                                  "--virtual-time-budget=2000"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("file://" + page.string());
    const auto r = run_program(argv, options);
    REQUIRE_MESSAGE(r.exit_code == 0, "chromium failed (exit " << r.exit_code << "): " << r.err);
    return r.out;
}

// The DOM of `page` after its scripts ran, as headless chromium serialises it.
std::string dump_dom(const TempDir& dir, const fs::path& page) {
    return chromium(dir, page, {"--dump-dom"});
}

// `page` with `probe` added after the report's script, admitted by its hash as the report's own
// script is (the policy is left strict); written beside it as `name`.
fs::path with_probe(const TempDir& dir, const fs::path& page, const std::string& probe,
                    const std::string& name) {
    std::string text = dir.read(page.filename().string());
    const std::string policy_script = "script-src ";
    const size_t at = text.find(policy_script);
    REQUIRE(at != std::string::npos);
    text.insert(at + policy_script.size(),
                "'sha256-" + util::base64_encode(util::sha256_digest(probe)) + "' ");
    text.insert(text.rfind("</body>"), "<script>" + probe + "</script>\n");
    return dir.write(name, text);
}

// Lays `page` out `width` CSS pixels wide with every <details> open (folded prompts, the prompt
// diff) and returns what a probe saw: "fits at 390" when the document is no wider than its
// viewport, else "overflows: 512 > 390". Headless chromium's window is at least 500 px wide,
// so the page goes in an iframe of that width on a page of the test's own, to which the probe
// posts what it saw. Also takes a screenshot, `<page>-<width>.png` in `dir` (kept with the
// directory when the test fails), to look at.
std::string fit_at(const TempDir& dir, const fs::path& page, int width) {
    const std::string probe = R"js(
(function () {
  var ds = document.querySelectorAll('details');
  for (var i = 0; i < ds.length; i++) ds[i].open = true;
  var w = document.documentElement.scrollWidth, v = window.innerWidth;
  parent.postMessage(w <= v ? 'fits at ' + v : 'overflows: ' + w + ' > ' + v, '*');
})();
)js";
    const std::string stem = fmt::format("{}-{}", page.stem().string(), width);
    const fs::path probed = with_probe(dir, page, probe, stem + "-probed.html");
    const fs::path frame = dir.write(
        stem + ".html",
        fmt::format("<!DOCTYPE html>\n<html><body style=\"margin:0\"><iframe src=\"{}\" "
                    "style=\"width:{}px;height:1550px;border:0;display:block\"></iframe><script>"
                    "addEventListener('message', function (e) {{ "
                    "document.body.setAttribute('data-fit', String(e.data)); }});</script>"
                    "</body></html>\n",
                    probed.filename().string(), width));
    const std::string size = fmt::format("--window-size={},1600", std::max(width, 500));
    chromium(dir, frame, {size, "--screenshot=" + (dir / (stem + ".png")).string()});
    CHECK(fs::file_size(dir / (stem + ".png")) > 10000);
    const std::string dom = chromium(dir, frame, {size, "--dump-dom"});
    const std::string attribute = "data-fit=\"";
    const size_t at = dom.find(attribute);
    REQUIRE_MESSAGE(at != std::string::npos, "the probe did not report");
    const size_t start = at + attribute.size();
    return dom.substr(start, dom.find('"', start) - start);
}

size_t count(const std::string& haystack, std::string_view needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

std::string title_of(const std::string& html) {
    const size_t start = html.find("<title>");
    const size_t end = html.find("</title>");
    REQUIRE(start != std::string::npos);
    REQUIRE(end != std::string::npos);
    return html.substr(start + 7, end - start - 7);
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::diff -o report.html in a browser") {
        TempDir dir;
        dir.write("run.json", three_variants(250));
        const auto r = llmops(dir.path(), {"diff", "run.json", "-o", "report.html"});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const std::string html = dir.read("report.html");
        // One browser run for all the checks (a SUBCASE would run it again for each).
        const std::string dom = dump_dom(dir, dir / "report.html");

        // The planted script and image did not run...
        CHECK(title_of(dom) == title_of(html));
        CHECK(dom.find("pwned</title>") == std::string::npos);
        CHECK(dom.find("<img") == std::string::npos);
        // ...and are shown as text, in the rows the report's script built.
        CHECK(dom.find("<div class=\"text\">&lt;script&gt;document.title='pwned'&lt;/script&gt;"
                       "</div>") != std::string::npos);
        CHECK(dom.find("&lt;img src=x onerror=\"document.title='pwned'\"&gt;") !=
              std::string::npos);

        // The report's own script and stylesheet ran under its policy.
        CHECK(dom.find("data-llmops-ready=\"1\"") != std::string::npos);
        CHECK(dom.find("data-llmops-style=\"1\"") != std::string::npos);
        // One page of 100 rows per comparison (variant 0 against 1, and against 2).
        CHECK(count(dom, "<tr class=\"ch-") == 200);
        CHECK(dom.find("<span class=\"pager-info\">cases 1–100 of 250</span>") !=
              std::string::npos);

        // The charts are drawn.
        CHECK(dom.find("data-llmops-charts=\"2\"") != std::string::npos);
        CHECK(dom.find("<svg class=\"chart\" id=\"chart-pass-rate\"") != std::string::npos);
        CHECK(count(dom, "<rect class=\"bar ") == 3);
        CHECK(dom.find("<svg class=\"chart\" id=\"chart-cost-quality\"") != std::string::npos);
        // Variant 0 is cheapest and best: it alone is on the Pareto front.
        CHECK(count(dom, "<circle class=\"pt front\" data-variant=") == 1);
        CHECK(count(dom, "<circle class=\"pt dominated\" data-variant=") == 2);
    }

    TEST_CASE("cli::diff -o report.html: filters, search and pages in a browser") {
        TempDir dir;
        dir.write("run.json", three_variants(250));
        REQUIRE(llmops(dir.path(), {"diff", "run.json", "-o", "report.html"}).exit_code == 0);
        // A probe that works the first table's controls as a reader would and writes what the pager
        // said on <body>. The policy is left strict: the probe is admitted by its hash, as the
        // report's own script is.
        const std::string probe = R"js(
(function () {
  var s = document.querySelector('section[data-table="0"]'), log = [];
  function info(step) {
    log.push(step + ': ' + s.querySelector('.pager-info').textContent + ' / ' + s.querySelectorAll('tbody tr').length);
  }
  function search(text, then) {
    var q = s.querySelector('[data-filter=search]');
    q.value = text;
    q.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(then, 400);
  }
  s.querySelector('[data-page=next]').click(); info('next');
  s.querySelector('[data-page=next]').click(); s.querySelector('[data-page=next]').click(); info('last');
  s.querySelector('[data-filter=regressions]').click(); info('regressions');
  s.querySelector('[data-filter=regressions]').click();
  s.querySelector('[data-filter=failures]').click(); info('failures');
  s.querySelector('[data-filter=failures]').click();
  search(' PWNED ', function () {
    info('search');
    log.push('first: ' + s.querySelector('tbody .case-id').textContent);
    search('', function () { info('cleared'); document.body.setAttribute('data-probe', log.join('; ')); });
  });
})();
)js";
        const auto probed = with_probe(dir, dir / "report.html", probe, "probed.html");
        const std::string dom = dump_dom(dir, probed);
        // Variant 1 fails cases 0-9 where variant 0 passes them all: 10 regressions, 10 failures;
        // 'pwned' is in the outputs of cases 0 and 1 and the description of case 2.
        CHECK(dom.find(
                  "data-probe=\"next: cases 101–200 of 250 / 100; last: cases 201–250 of 250 / 50; "
                  "regressions: cases 1–10 of 10 matching (250 in all) / 10; failures: cases 1–10 "
                  "of 10 "
                  "matching (250 in all) / 10; search: cases 1–3 of 3 matching (250 in all) / 3; "
                  "first: case-0; cleared: cases 1–100 of 250 / 100\"") != std::string::npos);
    }

    TEST_CASE("cli::eval -o report.html: one variant, in a browser") {
        TempDir dir;
        // echo answers with the prompt: case 0's output carries the planted script; case 1 fails.
        dir.write("suite.yaml",
                  "prompts: ['Say {{x}}']\nproviders: [echo]\ntests:\n"
                  "  - {description: planted, vars: {x: \"" +
                      k_planted_script +
                      "\"}}\n"
                      "  - {vars: {x: nothing}, assert: [{type: contains, value: absent}]}\n"
                      "  - {vars: {x: hello}}\n");
        const auto r =
            llmops(dir.path(), {"eval", "suite.yaml", "-o", "report.html", "--no-progress"});
        REQUIRE_MESSAGE(r.exit_code == 1, r.err); // case 1 fails
        const std::string html = dir.read("report.html");
        CHECK(title_of(html) == "llmops run 1: suite.yaml, 2 of 3 passed");
        CHECK(html.find("<td>variant</td>") != std::string::npos);
        CHECK(html.find("<p>2 passed, 1 failed, 0 errored.</p>") != std::string::npos);
        const std::string dom = dump_dom(dir, dir / "report.html");
        CHECK(dom.find("pwned</title>") == std::string::npos);
        CHECK(dom.find("data-llmops-ready=\"1\"") != std::string::npos);
        CHECK(dom.find("data-llmops-style=\"1\"") != std::string::npos);
        // One row per case, built by the script: status and output, the planted markup as text.
        CHECK(count(dom, "<tr class=\"ch-pass\"") == 2);
        CHECK(count(dom, "<tr class=\"ch-fail\"") == 1);
        CHECK(dom.find("<div class=\"text\">Say &lt;script&gt;document.title='pwned'&lt;/script&gt;"
                       "</div>") != std::string::npos);
        CHECK(dom.find("contains: output does not contain") != std::string::npos);
        CHECK(dom.find("<span class=\"pager-info\">cases 1–3 of 3</span>") != std::string::npos);
        // Each case's inputs, and its rendered prompt folded under the output.
        CHECK(dom.find("<td class=\"inputs\">x=\"hello\"</td>") != std::string::npos);
        CHECK(dom.find("<td class=\"inputs\">x=\"&lt;script&gt;document.title='pwned'&lt;/"
                       "script&gt;\"</td>") != std::string::npos);
        CHECK(dom.find("<details class=\"prompt\"><summary>prompt</summary><div "
                       "class=\"text\">[user]\nSay hello</div></details>") != std::string::npos);
        // One variant is one point: no chart.
        CHECK(dom.find("<svg") == std::string::npos);
        CHECK(dom.find("data-llmops-charts=\"0\"") != std::string::npos);
    }

    TEST_CASE("cli::eval -o report.html: both pages fit 1400 and 390 px wide in a browser") {
        TempDir dir;
        // Long inputs without a break, two prompts (so a prompt diff), a failure (so a reason).
        const std::string unbroken(300, 'w');
        dir.write("one.yaml", "prompts: ['Say {{x}}']\nproviders: [echo]\ntests:\n"
                              "  - {vars: {x: " +
                                  unbroken +
                                  ", lang: fr}, assert: [{type: contains, value: absent}]}\n"
                                  "  - {vars: {x: hello}}\n");
        dir.write("two.yaml", "prompts: ['Say {{x}}', \"Reply to {{x}}\\nin French\"]\n"
                              "providers: [echo]\ntests:\n"
                              "  - {vars: {x: " +
                                  unbroken +
                                  "}, assert: [{type: contains, value: Say}]}\n"
                                  "  - {vars: {x: hello}}\n");
        REQUIRE(llmops(dir.path(), {"eval", "one.yaml", "-o", "run.html"}).exit_code == 1);
        REQUIRE(llmops(dir.path(), {"eval", "two.yaml", "-o", "diff.html"}).exit_code == 1);
        CHECK(dir.read("diff.html").find("<span class=\"add\">+in French</span>") !=
              std::string::npos);
        for (const char* page : {"run.html", "diff.html"}) {
            for (int width : {1400, 390}) {
                INFO(page << " at " << width << " px");
                CHECK(fit_at(dir, dir / page, width) == fmt::format("fits at {}", width));
            }
        }
    }

    TEST_CASE("cli::runs export -o report.html: several variants are compared as diff RUN does") {
        TempDir dir;
        // A stored run of two variants: two prompts on echo.
        dir.write("suite.yaml", "prompts: ['A {{x}}', 'B {{x}}']\nproviders: [echo]\ntests:\n"
                                "  - {vars: {x: one}, assert: [{type: contains, value: A}]}\n"
                                "  - {vars: {x: two}}\n");
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml", "--no-progress"}).exit_code == 1);
        REQUIRE(llmops(dir.path(), {"runs", "export", "latest", "-o", "run.html"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"diff", "latest", "-o", "diff.html"}).exit_code == 0);
        const std::string run = dir.read("run.html");
        const std::string diff = dir.read("diff.html");
        CHECK(title_of(run) == "llmops run 1: suite.yaml, 3 of 4 passed");
        // The same page as llmops diff RUN but for the title: both carry each case's inputs
        // and prompts.
        const size_t run_start = run.find("<section class=\"variants\">");
        const size_t diff_start = diff.find("<section class=\"variants\">");
        CHECK(run.substr(run_start) == diff.substr(diff_start));
        CHECK(run.find("\"x=\\\"one\\\"\"") != std::string::npos);
        CHECK(diff.find("\"x=\\\"one\\\"\"") != std::string::npos);
        CHECK(run.find("<h2>#1 → #2</h2>") != std::string::npos);
    }

    TEST_CASE("cli::diff -o with an unknown extension") {
        TempDir dir;
        dir.write("run.json", three_variants(20));
        const auto r = llmops(dir.path(), {"diff", "run.json", "-o", "report.htm"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: -o 'report.htm': unknown report format '.htm' (use .json, "
                       ".md or .html)\n");
    }

} // TEST_SUITE

} // namespace llmops::test
