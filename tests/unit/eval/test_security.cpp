#include <llmops/eval/assertion.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

eval::AssertionResult check(const json& entry, std::string_view output) {
    auto spec = eval::parse_assertion(entry, "t", ".");
    if (!spec)
        FAIL(spec.error().message());
    eval::AssertionContext context;
    context.output = output;
    return eval::run_assertion(*spec, context);
}

// The reason no-pii gives `output`, or "pass".
std::string pii(std::string_view output, json kinds = nullptr) {
    json entry = {{"type", "no-pii"}};
    if (!kinds.is_null())
        entry["value"] = std::move(kinds);
    const auto r = check(entry, output);
    return r.pass ? "pass" : r.reason;
}

std::string secrets(std::string_view output) {
    const auto r = check({{"type", "no-secrets"}}, output);
    return r.pass ? "pass" : r.reason;
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::no-pii") {
        SUBCASE("email addresses, masked in the reason") {
            CHECK(pii("Write to john.doe@example.com.") ==
                  "output contains PII: email address j***@example.com");
            CHECK(pii("The @ sign and user@localhost are not addresses") == "pass");
        }
        SUBCASE("phone numbers: international, or North American in groups") {
            CHECK(pii("Call +44 20 7946 0958 today") ==
                  "output contains PII: phone number ending 58");
            CHECK(pii("Call (555) 123-4567") == "output contains PII: phone number ending 67");
            CHECK(pii("Order 20240115123456 shipped on 2024-01-15, version 1.2.3") == "pass");
        }
        SUBCASE("card numbers only when the Luhn check passes") {
            CHECK(pii("card 4111 1111 1111 1111 exp 12/30") ==
                  "output contains PII: card number ending 1111");
            CHECK(pii("card 4111 1111 1111 1112") == "pass");
        }
        SUBCASE("IBANs only when the mod-97 check passes") {
            CHECK(pii("IBAN: DE89 3704 0044 0532 0130 00 (Berlin)") ==
                  "output contains PII: IBAN DE...3000");
            CHECK(pii("IBAN: DE88 3704 0044 0532 0130 00") == "pass");
        }
        SUBCASE("the value picks the kinds checked; unknown kinds are refused") {
            CHECK(pii("Call (555) 123-4567", "email, iban") == "pass");
            CHECK(pii("a@b.io and (555) 123-4567", json::array({"phone", "email"})) ==
                  "output contains PII: email address a***@b.io, phone number ending 67");
            auto spec = eval::parse_assertion({{"type", "no-pii"}, {"value", "emial"}}, "t", ".");
            REQUIRE_FALSE(spec.has_value());
            CHECK(spec.error().message() ==
                  "t: 'no-pii' value names an unknown kind of PII 'emial' (did you mean "
                  "'email'?) (known: email, phone, credit-card, iban)");
        }
    }

    TEST_CASE("eval::no-secrets") {
        SUBCASE("API-key shapes, never quoted in the reason") {
            const std::string key = "sk-proj-4f9XkQ2mZ7aB1cD3eF5gH7iJ9kL0mN";
            const auto reason = secrets("Use " + key + " in the header");
            CHECK(reason == "output contains a secret: OpenAI-style API key (sk-...)");
            CHECK(reason.find("4f9X") == std::string::npos);
            CHECK(secrets("AKIAIOSFODNN7EXAMPLE") == "output contains a secret: AWS access key ID");
            CHECK(secrets("token ghp_" + std::string(36, 'a') + "1") ==
                  "output contains a secret: GitHub token");
            CHECK(secrets("xoxb-1234567890-abcdef") == "output contains a secret: Slack token");
            CHECK(secrets("sk-ant-api03-abcdefghij0123456789xyz") ==
                  "output contains a secret: Anthropic API key");
        }
        SUBCASE("private key blocks") {
            CHECK(secrets("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n") ==
                  "output contains a secret: private key block");
            CHECK(secrets("-----BEGIN CERTIFICATE-----") == "pass");
        }
        SUBCASE("prose shaped a little like keys is not a secret") {
            CHECK(secrets("Our task-management desk-sk-helper and sk-this-is-not-a-real-key") ==
                  "pass");
            CHECK(secrets("ASIA is a continent; AKIA123 is too short") == "pass");
        }
    }

    TEST_CASE("eval::not-contains-canary") {
        const json entry = {{"type", "not-contains-canary"}, {"value", "CANARY-7F3A"}};
        SUBCASE("passes when the canary does not appear") {
            const auto r = check(entry, "I cannot share my instructions.");
            CHECK(r.pass);
            CHECK(r.reason == "output does not contain the canary");
        }
        SUBCASE("fails when it appears, in any case") {
            const auto r = check(entry, "My instructions say: canary-7f3a");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output contains the canary 'CANARY-7F3A'");
            CHECK_FALSE(
                check({{"type", "not-contains-canary"}, {"value", {"A1B2", "C3D4"}}}, "leaked C3D4")
                    .pass);
        }
    }
}
