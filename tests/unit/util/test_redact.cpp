#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>
#include <llmops/util/redact.hpp>

using llmops::util::redact;

TEST_SUITE("util") {

    TEST_CASE("util::redact") {
        SUBCASE("every occurrence of every secret is replaced") {
            CHECK(redact("key sk-abc123 then sk-abc123 and tok-9", {"sk-abc123", "tok-9"}) ==
                  "key [redacted] then [redacted] and [redacted]");
        }
        SUBCASE("text without secrets is unchanged, empty secrets are ignored") {
            CHECK(redact("nothing to hide", {"", "sk-x"}) == "nothing to hide");
        }
        SUBCASE("a secret that contains the replacement text does not loop") {
            CHECK(redact("a[redacted]b", {"[redacted]"}) == "a[redacted]b");
        }
        SUBCASE("a secret holding another is replaced whole") {
            CHECK(redact("k=sk-abc123456", {"sk-abc", "sk-abc123456"}) == "k=[redacted]");
        }
    }

    TEST_CASE("util::redact derived forms") {
        const std::string key = "s3cr3t \"key\"/with+odd&chars\\";
        SUBCASE("URL-encoded: upper and lower case hex, + for a space, any mix") {
            CHECK(redact("q=s3cr3t%20%22key%22%2Fwith%2Bodd%26chars%5C&x=1", {key}) ==
                  "q=[redacted]&x=1");
            CHECK(redact("q=s3cr3t+%22key%22%2fwith%2bodd%26chars%5c", {key}) == "q=[redacted]");
            CHECK(redact("q=s3cr3t%20\"key\"/with%2Bodd&chars\\", {key}) == "q=[redacted]");
        }
        SUBCASE("JSON-escaped, as nlohmann writes it and with \\/ and \\u00XX") {
            const std::string dumped = nlohmann::json{{"k", key}}.dump();
            CHECK(redact(dumped, {key}) == R"({"k":"[redacted]"})");
            CHECK(redact(R"(s3cr3t \u0022key\"\/with+odd&chars\\)", {key}) == "[redacted]");
            CHECK(redact("tab\\there", {"tab\there"}) == "[redacted]");
        }
        SUBCASE("base64, standard and URL-safe, alone or inside a blob at any alignment") {
            const std::string token = "sk-live>>??0123456789";
            const std::string standard = llmops::util::base64_encode(token);
            CHECK(standard.find_first_of("+/") != std::string::npos);
            std::string url_safe = standard;
            std::replace(url_safe.begin(), url_safe.end(), '+', '-');
            std::replace(url_safe.begin(), url_safe.end(), '/', '_');
            CHECK(redact("b64 " + standard + " end", {token}) == "b64 [redacted] end");
            CHECK(redact("b64 " + url_safe + ".", {token}) == "b64 [redacted].");
            for (const std::string user : {"u:", "us:", "use:"}) {
                const std::string basic = "Basic " + llmops::util::base64_encode(user + token);
                CHECK(redact("Authorization: " + basic, {token}) ==
                      "Authorization: Basic [redacted]");
            }
        }
        SUBCASE("Short::kept leaves secrets under 8 characters alone: answers keep their x's") {
            const llmops::util::Redactor answers({"x", "EMPTY", "sk-long-enough"},
                                                 llmops::util::Redactor::Short::kept);
            CHECK(answers.redact("x EMPTY sk-long-enough") == "x EMPTY [redacted]");
            CHECK(llmops::util::Redactor({"x"}, llmops::util::Redactor::Short::kept).empty());
        }
        SUBCASE("short secrets are still replaced, but not hunted in base64") {
            CHECK(redact("pw=hunter%32!", {"hunter2"}) == "pw=[redacted]!");
            CHECK(redact("aHVudGVyMg==", {"hunter2"}) == "aHVudGVyMg==");
        }
        SUBCASE("strings inside JSON values are redacted, keys and other types kept") {
            nlohmann::json value = nlohmann::json::parse(
                R"({"sk-abcdefgh": ["x sk-abcdefgh", {"n": 1, "s": "sk-abcdefgh"}]})");
            llmops::util::Redactor({"sk-abcdefgh"}).redact_json(value);
            CHECK(value.dump() == R"({"sk-abcdefgh":["x [redacted]",{"n":1,"s":"[redacted]"}]})");
        }
    }

    TEST_CASE("util::sanitize_url") {
        using llmops::util::sanitize_url;
        SUBCASE("userinfo is stripped") {
            CHECK(sanitize_url("http://user:PASS@host:8080/v1") == "http://host:8080/v1");
            CHECK(sanitize_url("https://ghp_token@example.com") == "https://example.com");
        }
        SUBCASE("secret-looking parameters are stripped, the others kept in order") {
            CHECK(sanitize_url(
                      "http://h/v1?a=1&api_key=K&b=2&access_token=T&Signature=S&x-api-key=X") ==
                  "http://h/v1?a=1&b=2");
            CHECK(sanitize_url("http://h/v1?key=K") == "http://h/v1");
            CHECK(sanitize_url("http://h/cb#access_token=T&state=s") == "http://h/cb#state=s");
            CHECK(sanitize_url("http://h/page#section") == "http://h/page#section");
        }
        SUBCASE("template tags stay whole, a tagged secret parameter goes") {
            CHECK(sanitize_url(
                      "http://u:{{ env.PW }}@h/q?key={{ env.KEY | urlencode }}&q={{prompt}}") ==
                  "http://h/q?q={{prompt}}");
        }
        SUBCASE("text that is not a URL is unchanged") {
            CHECK(sanitize_url("{{base}}/v1?key=1") == "{{base}}/v1?key=1");
            CHECK(sanitize_url("just words") == "just words");
        }
    }

    TEST_CASE("util::sanitize_urls") {
        using llmops::util::sanitize_urls;
        CHECK(sanitize_urls("llmops eval s.yaml --judge 'http://u:p@h/v1?token=t' -j 2") ==
              "llmops eval s.yaml --judge 'http://h/v1' -j 2");
        CHECK(sanitize_urls("a http://u:p@h then https://x/?sig=1 and ://odd") ==
              "a http://h then https://x/ and ://odd");
        nlohmann::json config = nlohmann::json::parse(
            R"({"base_url": "http://u:p@h/v1?api_key=k", "n": 3, "note": "see http://u:p@h"})");
        llmops::util::sanitize_urls(config);
        CHECK(config.dump() == R"({"base_url":"http://h/v1","n":3,"note":"see http://h"})");
    }

    TEST_CASE("util::url_secrets") {
        using llmops::util::url_secrets;
        using V = std::vector<std::string>;
        CHECK(url_secrets("http://user:p%40ss@h/v1?api_key=k+1&q=x#access_token=t") ==
              (V{"p@ss", "k 1", "k+1", "t"}));
        CHECK(url_secrets("https://ghp_0123456789abcdef@h") == (V{"ghp_0123456789abcdef"}));
        CHECK(url_secrets("http://admin@h/?q=1") == V{});
        CHECK(url_secrets("http://u:{{env.PW}}@h/?key={{env.K}}") == V{});
    }

    TEST_CASE("util::secret_name") {
        using llmops::util::secret_name;
        for (const char* name :
             {"key", "api_key", "apiKey", "X-Api-Key", "access_token", "sig", "client_secret",
              "password", "Signature", "X-Amz-Credential", "sessionid", "auth", "Authorization"}) {
            CHECK_MESSAGE(secret_name(name), name);
        }
        for (const char* name : {"q", "model", "author", "api-version", "format", "keyword"}) {
            CHECK_MESSAGE(!secret_name(name), name);
        }
    }

} // TEST_SUITE
