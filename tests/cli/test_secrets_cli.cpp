// No secret on disk (SPEC §1, §4): a key planted in the environment reaches an eval by every
// road (URL credentials and query, headers, `{{env.X | urlencode}}`, a JSON body), comes back
// in answers (a loopback service reflecting what it was sent, an exec: program printing it) and
// in a python assertion's reason; then every byte llmops wrote is searched for it in each form
// it could take: raw, URL-encoded, JSON-escaped, HTML-escaped and base64.

#include <algorithm>
#include <filesystem>
#include <mutex>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

// Has characters that URL encoding, JSON and HTML each change.
const std::string k_key = "sk-pl@nted\"key/+0123456789";
// Written in the suite itself, as credentials in URLs.
const std::string k_literal_password = "LiteralPass-98765";
const std::string k_literal_query = "LiteralQueryKey-4321";

std::string percent_encoded(std::string_view text, bool lower) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += lower ? fmt::format("%{:02x}", c) : fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::string url_safe(std::string text) {
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    return text;
}

// Every form of `secret` that must not be found. For base64: the part that any blob holding
// the secret contains, at each of the three alignments.
std::vector<std::string> forms_of(const std::string& secret) {
    const std::string json = nlohmann::json(secret).dump();
    std::string html = secret;
    for (size_t at = 0; (at = html.find('"', at)) != std::string::npos; at += 6) {
        html.replace(at, 1, "&quot;");
    }
    std::vector<std::string> forms = {secret, json.substr(1, json.size() - 2),
                                      percent_encoded(secret, false), percent_encoded(secret, true),
                                      html};
    for (size_t offset = 0; offset < 3; ++offset) {
        const size_t whole = (secret.size() - offset) / 3 * 3;
        const std::string b64 = util::base64_encode(secret.substr(offset, whole));
        forms.push_back(b64);
        forms.push_back(url_safe(b64));
    }
    return forms;
}

// The service: answers {"text": what it was sent}; a prompt saying FAIL gets a 500 whose body
// says it too.
void serve_reflection(LoopbackServer& server, std::mutex& mutex, std::vector<std::string>& seen) {
    server.post("/chat", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string sent = "auth=" + req.get_header_value("Authorization") +
                                 " xkey=" + req.get_header_value("X-Api-Key") +
                                 " xb64=" + req.get_header_value("X-B64") +
                                 " target=" + req.target + " body=" + req.body;
        {
            std::lock_guard lock(mutex);
            seen.push_back(sent);
        }
        if (req.body.find("FAIL") != std::string::npos) {
            res.status = 500;
            res.set_content("service failed: " + sent, "text/plain");
            return;
        }
        res.set_content(nlohmann::json{{"text", sent}}.dump(), "application/json");
    });
    server.post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string sent =
            "auth=" + req.get_header_value("Authorization") + " target=" + req.target;
        if (req.body.find("FAIL") != std::string::npos) {
            res.status = 401;
            res.set_content(nlohmann::json{{"error", {{"message", "bad key: " + sent}}}}.dump(),
                            "application/json");
            return;
        }
        res.set_content(
            nlohmann::json{{"choices",
                            {{{"index", 0},
                              {"finish_reason", "stop"},
                              {"message", {{"role", "assistant"}, {"content", sent}}}}}},
                           {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 5}}}}
                .dump(),
            "application/json");
    });
}

std::string suite_yaml(int port) {
    return fmt::format(
        "description: planted keys\n"
        "prompts: ['Answer {{{{word}}}}']\n"
        "providers:\n"
        "  - id: 'http://user:{{{{ env.TOK | urlencode }}}}@127.0.0.1:{0}/chat?api_key="
        "{{{{ env.TOK | urlencode }}}}&token={2}&v=1'\n"
        "    config:\n"
        "      headers: {{X-Api-Key: '{{{{env.TOK}}}}', X-B64: 'Basic {{{{env.B64}}}}'}}\n"
        "      body: {{q: '{{{{prompt}}}}', k: '{{{{env.TOK}}}}'}}\n"
        "      transformResponse: json.text\n"
        "      retries: 0\n"
        "  - id: openai:gpt-4o-mini\n"
        "    config: {{base_url: 'http://lit-user:{1}@127.0.0.1:{0}/v1', retries: 0}}\n"
        "  - exec:python3 printer.py\n"
        "tests:\n"
        "  - vars: {{word: one}}\n"
        "    assert:\n"
        "      - type: python\n"
        "        value: file://check.py\n"
        "  - vars: {{word: FAIL}}\n",
        port, k_literal_password, k_literal_query);
}

// Prints the key from the environment as a program would that leaks it: plain, encoded,
// JSON-escaped and inside base64.
constexpr const char* k_printer = R"(import base64, json, os, sys, urllib.parse
sys.stdin.read()
k = os.environ["TOK"]
print("exec says", k, urllib.parse.quote(k, safe=""), urllib.parse.quote_plus(k).lower(),
      json.dumps(k), base64.b64encode(("u:" + k).encode()).decode())
)";

constexpr const char* k_check = R"(import base64, os, urllib.parse
def get_assert(output, context):
    k = os.environ["TOK"]
    return {"pass": False, "score": 0,
            "reason": "python saw " + k + " " + urllib.parse.quote(k, safe="") + " " +
                      base64.urlsafe_b64encode(k.encode()).decode()}
)";

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::eval writes no secret anywhere") {
        TempDir dir;
        LoopbackServer server;
        std::mutex mutex;
        std::vector<std::string> seen;
        serve_reflection(server, mutex, seen);
        server.start();
        dir.write("suite.yaml", suite_yaml(server.port()));
        dir.write("printer.py", k_printer);
        dir.write("check.py", k_check);
        const std::map<std::string, std::string> env = {
            {"TOK", k_key},
            {"B64", util::base64_encode("user:" + k_key)},
            {"OPENAI_API_KEY", k_key}};

        std::string printed;
        const auto run = [&](const std::vector<std::string>& args) {
            const auto r = llmops(dir.path(), args, env);
            printed += r.out + r.err;
            return r;
        };
        const auto first = run({"eval", "suite.yaml", "--record", "r.jsonl", "-o", "out.json", "-o",
                                "out.csv", "-o", "out.html"});
        CHECK_MESSAGE(first.exit_code == 3, first.err);  // the FAIL cases errored
        run({"eval", "suite.yaml", "-o", "again.json"}); // answered from the cache
        run({"runs", "show", "latest", "--failures"});
        const auto shown = run({"runs", "show", "latest", "--json"});
        run({"runs", "export", "latest", "-o", "exported.json", "-o", "exported.md"});

        // The key did travel: the service saw it in every place it was planted.
        {
            std::lock_guard lock(mutex);
            REQUIRE_FALSE(seen.empty());
            CHECK(seen[0].find(" xkey=" + k_key) != std::string::npos);
            CHECK(seen[0].find("api_key=" + percent_encoded(k_key, false)) != std::string::npos);
        }
        // The answers and reasons were kept, redacted.
        const std::string exported = dir.read("exported.json");
        CHECK(exported.find(
                  R"(exec says [redacted] [redacted] [redacted] \"[redacted]\" [redacted])") !=
              std::string::npos);
        CHECK(exported.find("python saw [redacted] [redacted] [redacted]") != std::string::npos);
        CHECK(exported.find("auth=Bearer [redacted] target=/v1/chat/completions") !=
              std::string::npos);
        CHECK(exported.find("xkey=[redacted] xb64=Basic [redacted] "
                            "target=/chat?api_key=[redacted]&token=[redacted]&v=1") !=
              std::string::npos);
        // The provider's id is stored without its credentials.
        const auto doc = nlohmann::json::parse(shown.out);
        CHECK(doc.dump().find(fmt::format("\"http://127.0.0.1:{}/chat?v=1\"", server.port())) !=
              std::string::npos);

        std::string written;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
            const auto rel = std::filesystem::relative(entry.path(), dir.path()).string();
            if (entry.is_regular_file() && rel != "suite.yaml") {
                written += dir.read(rel);
            }
        }
        CHECK(std::filesystem::exists(dir.path() / ".llmops" / "llmops.db"));
        CHECK(std::filesystem::exists(dir.path() / ".llmops" / "cache.db"));
        CHECK(std::filesystem::exists(dir.path() / "r.jsonl"));
        const std::string everything = written + printed + dir.read("suite.yaml");
        for (const auto& form : forms_of(k_key)) {
            CHECK_MESSAGE(everything.find(form) == std::string::npos, form);
        }
        for (const auto& form : forms_of("user:" + k_key)) {
            CHECK_MESSAGE(everything.find(form) == std::string::npos, form);
        }
        for (const auto& literal : {k_literal_password, k_literal_query}) {
            CHECK_MESSAGE((written + printed).find(literal) == std::string::npos, literal);
        }
    }

} // TEST_SUITE

} // namespace llmops::test
