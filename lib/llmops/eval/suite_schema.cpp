// The suite file's JSON Schema (suite_schema.hpp). The shapes follow the readers: suite.cpp (the
// top-level keys, run options, `tests`, `defaultTest`), suite_prompts.cpp (`prompts`,
// `providers`), case_draft.cpp (a test case and its options), provider/config.cpp (a provider
// entry) and assertion.cpp (an assertion). promptfoo keys those readers refuse are listed with
// a schema that accepts nothing and says why, so an editor shows the reason on hover.
// tests/cli/test_schema_cli.cpp validates every shipped suite against it with Python's
// jsonschema, and checks that broken ones are rejected.

#include <llmops/eval/suite_schema.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/suite_detail.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;

// ---- building blocks ------------------------------------------------------------------------

json ref(std::string_view name) {
    return json{{"$ref", "#/$defs/" + std::string(name)}};
}

json described(json schema, std::string_view description) {
    schema["description"] = description;
    return schema;
}

json string_schema(std::string_view description) {
    return json{{"type", "string"}, {"description", description}};
}

// promptfoo's transform (transform.hpp): JavaScript run on the output that `what` sees.
json transform_schema(std::string_view what) {
    return json{{"type", "string"},
                {"pattern", "\\S"},
                {"description", "JavaScript run on the output " + std::string(what) +
                                    ": an expression of `output` and `context`, a function "
                                    "body with `return`, or file://x.js[:function] (needs node)"}};
}

json whole_number(int64_t minimum, int64_t maximum, std::string_view description) {
    return json{{"type", "integer"},
                {"minimum", minimum},
                {"maximum", maximum},
                {"description", description}};
}

// A promptfoo key llmops refuses: no value is valid, and the description says what to do.
json refused(std::string_view key, std::string_view hint) {
    return json{{"not", json::object()},
                {"description",
                 "promptfoo's '" + std::string(key) + "' is not supported" +
                     (hint.empty() ? " by llmops; remove it" : " (" + std::string(hint) + ")")}};
}

using Refusals = std::vector<std::pair<std::string_view, std::string_view>>;

// `properties` with a refusing schema added for each of `keys`.
json with_refused(json properties, const Refusals& keys) {
    for (const auto& [key, hint] : keys) {
        properties[std::string(key)] = refused(key, hint);
    }
    return properties;
}

// A map holding only `properties`.
json closed_map(json properties, std::string_view description) {
    return json{{"type", "object"},
                {"properties", std::move(properties)},
                {"additionalProperties", false},
                {"description", description}};
}

// ---- assertions, from the assertion table ---------------------------------------------------

// Whether the loader refuses the assertion `entry` with a message holding `phrase`. The rules of
// each type (does it take a threshold, a value, a `not-`?) live in assertion.cpp's table; asking
// parse_assertion keeps the schema from restating them. Should a message change, its rule drops
// out (the schema gets looser, never wrong); tests/cli/test_schema_cli.cpp checks the schema
// and the loader agree.
// NEEDSWORK: assertion.hpp could expose each type's threshold and value use, read here directly.
bool refuses(const json& entry, std::string_view phrase) {
    auto parsed = parse_assertion(entry, "", "");
    return !parsed && parsed.error().message().find(phrase) != std::string::npos;
}

// Assertion types as the loader sorts them: by how they read `threshold` and `value`.
struct TypeGroups {
    json written = json::array();         // every name a suite may write, `not-` forms too
    json no_threshold = json::array();    // pass/fail types
    json needs_threshold = json::array(); // latency, cost
    json no_value = json::array();        // is-refusal, latency, assert-set, ...
};

TypeGroups type_groups() {
    TypeGroups groups;
    for (const auto& name : assertion_type_names()) {
        const std::string negated = "not-" + name;
        const bool negatable = !refuses(json{{"type", negated}}, "cannot be negated");
        for (const auto& written : negatable ? std::vector{name, negated} : std::vector{name}) {
            groups.written.push_back(written);
            const bool needs = refuses(json{{"type", written}}, "needs a 'threshold'");
            if (refuses(json{{"type", written}, {"threshold", 0.5}}, "takes no 'threshold'")) {
                groups.no_threshold.push_back(written);
            }
            if (needs) {
                groups.needs_threshold.push_back(written);
            }
            json valued{{"type", written}, {"value", "x"}};
            if (needs) {
                valued["threshold"] = 1;
            }
            if (refuses(valued, "takes no 'value'")) {
                groups.no_value.push_back(written);
            }
        }
    }
    return groups;
}

// "when `type` is one of `types`, `then` applies".
json when_type(json types, json then) {
    return json{
        {"if", {{"properties", {{"type", {{"enum", std::move(types)}}}}}, {"required", {"type"}}}},
        {"then", std::move(then)}};
}

json type_rules(const TypeGroups& groups) {
    const json null_only{{"type", "null"}};
    json rules = json::array({
        when_type(json::array({"assert-set"}), {{"required", {"assert"}}}),
        {{"if", {{"properties", {{"type", {{"not", {{"const", "assert-set"}}}}}}}}},
         {"then", {{"not", {{"required", {"assert"}}}}}}},
    });
    // A group the loader leaves empty (no type refusing a threshold, say) makes no rule.
    const std::pair<const json*, json> grouped[] = {
        {&groups.no_threshold, described({{"properties", {{"threshold", null_only}}}},
                                         "a pass/fail type takes no 'threshold'")},
        {&groups.needs_threshold, {{"required", {"threshold"}}}},
        {&groups.no_value, {{"properties", {{"value", null_only}}}}},
    };
    for (const auto& [types, then] : grouped) {
        if (!types->empty()) {
            rules.push_back(when_type(*types, then));
        }
    }
    return rules;
}

json assertion_properties(const TypeGroups& groups) {
    const json number_or_null{{"type", json::array({"number", "null"})}, {"minimum", 0}};
    return json{
        {"type",
         {{"enum", groups.written},
          {"description", "The assertion type; 'not-<type>' negates it"}}},
        {"value",
         {{"description", "What the type compares with: a string, number, list or "
                          "map, per type ({{variables}} are rendered)"}}},
        {"threshold",
         described(number_or_null, "The score needed to pass, or the limit (levenshtein edits, "
                                   "latency ms, cost USD)")},
        {"weight",
         described(number_or_null, "Weight in the case's weighted score (0: informational)")},
        {"metric",
         {{"type", json::array({"string", "null"})},
          {"description", "A named score reported per variant"}}},
        {"config",
         {{"type", json::array({"object", "null"})},
          {"description", "Type-specific settings (a judge prompt: config.prompt)"}}},
        {"assert",
         {{"type", "array"},
          {"minItems", 1},
          {"items", ref("assertionOrRef")},
          {"description", "assert-set: the assertions of the set"}}},
        {"rubricPrompt", ref("rubricPrompt")},
        {"transform", transform_schema("this assertion alone sees (not on assert-set or "
                                       "model-graded types)")},
    };
}

json assertion_schema() {
    const TypeGroups groups = type_groups();
    return json{{"type", "object"},
                {"description", "One assertion on the output"},
                {"required", {"type"}},
                {"properties", assertion_properties(groups)},
                {"additionalProperties", false},
                {"allOf", type_rules(groups)}};
}

// ---- prompts and providers ------------------------------------------------------------------

json prompt_defs() {
    const json text{{"type", "string"},
                    {"pattern", "\\S"},
                    {"description", "Inline text with {{variables}}, a file (file://path or a "
                                    ".txt/.md/.yaml/.yml/.json/.prompt path) or a prompt in the "
                                    "store (name, name@3, name@label)"}};
    json entry = closed_map(with_refused({{"id", string_schema("A file:// path or a prompt in the "
                                                               "store")},
                                          {"raw", string_schema("The prompt itself, or a file")},
                                          {"label", string_schema("How reports name it")}},
                                         {{"config", "put parameters in the prompt file's config "
                                                     "or the provider's"},
                                          {"function", ""}}),
                            "A prompt with a label");
    entry["anyOf"] = json::array({{{"required", {"raw"}}}, {{"required", {"id"}}}});
    return json{
        {"promptText", text},
        {"promptEntry", entry},
        {"prompts",
         {{"description", "The prompts: each runs on every provider"},
          {"anyOf", json::array({ref("promptText"),
                                 {{"type", "array"},
                                  {"minItems", 1},
                                  {"items", {{"anyOf", {ref("promptText"), ref("promptEntry")}}}}},
                                 {{"type", "object"},
                                  {"minProperties", 1},
                                  {"additionalProperties", {{"type", "string"}}},
                                  {"description", "promptfoo's {path or text: label} form"}}})}}},
    };
}

// The keys of a provider's `config` that llmops reads (exec: programs take any key: their
// config is theirs).
json provider_config_properties() {
    const json number{{"type", "number"}};
    const json whole{{"type", "integer"}};
    const json text{{"type", "string"}};
    return json{
        {"temperature", number},
        {"top_p", number},
        {"max_tokens", whole},
        {"max_completion_tokens", whole},
        {"seed", whole},
        {"stop", {{"anyOf", {text, {{"type", "array"}, {"items", text}}}}}},
        {"response_format", {{"type", "object"}}},
        {"tools", {{"type", "array"}}},
        {"stream", {{"type", "boolean"}}},
        {"base_url", text},
        {"apiBaseUrl", text},
        {"api_key_env", described(text, "The environment variable holding the key")},
        {"apiKeyEnvar", text},
        {"apiKey", described(text, "A literal key (a warning: prefer api_key_env)")},
        {"api_key", text},
        {"headers", {{"type", "object"}, {"additionalProperties", text}}},
        {"timeout_ms", {{"type", "integer"}, {"exclusiveMinimum", 0}}},
        {"timeout", {{"type", "integer"}, {"exclusiveMinimum", 0}}},
        {"retries", whole_number(0, 100, "Retries after a failed call")},
        {"max_retries", whole_number(0, 100, "Retries after a failed call")},
        {"rpm", {{"type", "number"}, {"exclusiveMinimum", 0}}},
        {"tpm", {{"type", "number"}, {"exclusiveMinimum", 0}}},
        {"cost", closed_map({{"input", number},
                             {"output", number},
                             {"cached_input", number},
                             {"cache_write", number}},
                            "USD per million tokens, replacing the price table's")},
        {"url", text},
        {"method", text},
        {"body", json::object()},
        {"transformResponse", text},
        {"response_path", text},
        {"provider", described(text, "replay: whose answers the recording holds")},
    };
}

// A provider's `config`: `closed` for every kind but exec:, whose program gets its config on
// stdin and so may take any key.
json provider_config(bool closed) {
    json config{{"type", "object"},
                {"description", closed ? "The provider's settings (unknown keys are refused)"
                                       : "The settings: llmops reads these; an exec: program "
                                         "gets every key on stdin"},
                {"properties", provider_config_properties()}};
    if (closed) {
        config["additionalProperties"] = false;
    }
    return config;
}

constexpr const char* k_exec_id = "^\\s*exec:";

json provider_entry() {
    json entry = closed_map(
        with_refused(
            {{"id", ref("providerId")},
             {"label", string_schema("How reports name it")},
             {"config", ref("providerConfig")}},
            {{"prompts", "every prompt runs on every provider; split the suite to pair them"},
             {"transform", "transform the output in an exec: provider or a python assertion"},
             {"delay", "use 'rpm' in the provider's config to pace requests"},
             {"env", "set the variables in the environment that runs llmops"}}),
        "A provider with a label and settings");
    entry["required"] = {"id"};
    entry["if"] = {{"properties", {{"id", {{"pattern", k_exec_id}}}}}};
    entry["else"] = {{"properties", {{"config", ref("closedProviderConfig")}}}};
    return entry;
}

// promptfoo's {<id>: {label, config}} form.
json provider_shorthand() {
    const auto settings = [](std::string_view config) {
        return closed_map(
            {{"label", string_schema("How reports name it")}, {"config", ref(config)}},
            "The provider's label and settings");
    };
    return json{{"type", "object"},
                {"description", "promptfoo's {<id>: {label, config}} form"},
                {"minProperties", 1},
                {"maxProperties", 1},
                {"propertyNames", {{"not", {{"enum", {"id", "label", "config"}}}}}},
                {"patternProperties", {{k_exec_id, settings("providerConfig")}}},
                {"additionalProperties", settings("closedProviderConfig")}};
}

json provider_defs() {
    return json{
        {"providerId",
         {{"type", "string"},
          {"pattern", "^\\s*(echo|https?|https?://\\S+|(openai|azure|anthropic|google|ollama|"
                      "exec|replay):\\s*\\S.*)\\s*$"},
          {"description", "openai:<model>, anthropic:<model>, google:<model>, azure:<deployment>, "
                          "ollama:<model>, an http(s) URL, exec:<command line>, replay:<file> "
                          "or echo"}}},
        {"providerConfig", provider_config(false)},
        {"closedProviderConfig", provider_config(true)},
        {"provider", {{"anyOf", {ref("providerId"), provider_entry(), provider_shorthand()}}}},
        {"providers",
         {{"description", "The models or apps under test: an id or a list"},
          {"anyOf",
           {ref("providerId"), {{"type", "array"}, {"minItems", 1}, {"items", ref("provider")}}}}}},
    };
}

// ---- test cases -----------------------------------------------------------------------------

const Refusals k_case_refusals = {
    {"provider", "name the providers the case runs on with 'providers: [label]'"},
    {"providerOutput", ""},
    {"assertScoringFunction", "use 'threshold' and assertion weights"},
    {"transform", "a test's transform is written 'options: {transform: ...}'"}};

const Refusals k_option_refusals = {{"transformVars", ""},
                                    {"postprocess", ""},
                                    {"prefix", "put the text in the prompt"},
                                    {"suffix", "put the text in the prompt"},
                                    {"runSerially", ""},
                                    {"storeOutputAs", ""},
                                    {"disableConversationVar", ""}};

// The options of a test (`test`) or of the defaults.
json case_options(bool test) {
    json properties = with_refused(
        {{"disableVarExpansion",
          described({{"type", "boolean"}}, "Variables' file:// values are left as written")},
         {"rubricPrompt", ref("rubricPrompt")},
         {"transform", transform_schema("the assertions and the stored result see")}},
        k_option_refusals);
    if (test) {
        properties["disableDefaultAsserts"] =
            described({{"type", "boolean"}}, "The defaults' assertions do not apply to this test");
        properties["provider"] = described({{"not", json::object()}},
                                           "'options.provider' (the judge) is only supported in "
                                           "defaultTest: one judge for every case");
    } else {
        properties["provider"] = described(ref("provider"), "The judge of model-graded assertions");
    }
    return closed_map(std::move(properties), "Options of the case");
}

// The keys a test and the defaults share.
json case_properties(bool test) {
    return with_refused(
        {{"vars", ref("vars")},
         {"assert", ref("assertList")},
         {"threshold", described(ref("fraction"), "The weighted score that passes the case "
                                                  "(default: every assertion must pass)")},
         {"metadata", {{"type", "object"}, {"description", "Free-form data kept with results"}}},
         {"options", case_options(test)}},
        k_case_refusals);
}

json case_defs() {
    json test_properties = case_properties(true);
    test_properties["description"] = string_schema("How reports name the case");
    const json refs = {{"anyOf",
                        {{{"type", "string"}, {"minLength", 1}},
                         {{"type", "array"},
                          {"minItems", 1},
                          {"items", {{"type", "string"}, {"minLength", 1}}}}}}};
    test_properties["prompts"] =
        described(refs, "The prompts the case runs on, by label or id ('Group:*' for a group)");
    test_properties["providers"] =
        described(refs, "The providers the case runs on, by label or id");
    test_properties["id"] = {
        {"anyOf", {{{"type", "integer"}}, {{"type", "string"}, {"pattern", "\\S"}}}},
        {"description", "A stable id, to pair cases across runs"}};
    json default_properties = case_properties(false);
    for (const char* key : {"description", "id", "prompts", "providers"}) {
        default_properties[key] =
            described({{"not", json::object()}}, "belongs in a test, not in defaultTest");
    }
    return json{
        {"testCase", closed_map(std::move(test_properties), "One test case")},
        {"defaultCase",
         closed_map(std::move(default_properties), "What every test case starts from")},
        {"dataset",
         {{"type", "string"},
          {"description", "A dataset file (CSV, JSONL, JSON or YAML), file:// or not, or a glob "
                          "pattern of several (file://cases/*.yaml)"}}},
        {"traces",
         {{"type", "object"},
          {"description", "Cases taken from imported production calls (docs/online-evals.md)"},
          {"additionalProperties", false},
          {"required", {"traces"}},
          {"properties",
           {{"traces",
             {{"type", "object"},
              {"additionalProperties", false},
              {"required", {"prompt"}},
              {"properties",
               {{"prompt", {{"type", "string"}, {"description", "The calls' prompt name"}}},
                {"version", {{"type", {"string", "integer"}}}},
                {"model", {{"type", "string"}}},
                {"since", {{"type", "string"}, {"description", "24h, 7d or an ISO 8601 time"}}},
                {"until", {{"type", "string"}, {"description", "24h, 7d or an ISO 8601 time"}}},
                {"sample", {{"type", "integer"}, {"minimum", 1}}},
                {"seed", {{"type", {"string", "integer"}}}},
                {"stratify", {{"enum", {"version"}}}}}}}}}}}},
        {"tests",
         {{"description", "The test cases: a list (of cases and dataset files), a dataset file, "
                          "or production calls ({traces: ...})"},
          {"anyOf",
           {ref("dataset"),
            ref("traces"),
            {{"type", "array"},
             {"minItems", 1},
             {"items", {{"anyOf", {ref("dataset"), ref("testCase"), ref("suiteRef")}}}}},
            {{"type", "null"}}}}}},
    };
}

json shared_defs() {
    return json{
        {"fraction", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
        {"vars",
         {{"type", "object"},
          {"description", "The variables of the prompts; a 'file://' value is the file's text"},
          {"propertyNames",
           described({{"not", {{"const", "assert"}}}}, "assertions go beside 'vars', not in it")}}},
        {"rubricPrompt",
         {{"description", "The judge prompt: its text, a file:// path or a list of messages"},
          {"anyOf", {{{"type", "string"}, {"pattern", "\\S"}}, {{"type", "array"}}}}}},
        {"suiteRef",
         {{"type", "object"},
          {"description", "promptfoo's $ref into this suite (\"#/assertionTemplates/name\"); "
                          "keys beside it are kept over the target's"},
          {"required", {"$ref"}},
          {"properties", {{"$ref", {{"type", "string"}, {"pattern", "^#/"}}}}}}},
        {"assertion", assertion_schema()},
        {"assertionOrRef", {{"anyOf", {ref("assertion"), ref("suiteRef")}}}},
        {"assertList", {{"type", "array"}, {"items", ref("assertionOrRef")}}},
    };
}

json all_defs() {
    json defs = shared_defs();
    for (json part : {prompt_defs(), provider_defs(), case_defs()}) {
        defs.update(part);
    }
    return defs;
}

// ---- the suite ------------------------------------------------------------------------------

json run_option_properties() {
    return json{
        {"description", string_schema("What the suite measures")},
        {"repeat", whole_number(1, 1000000, "Runs of every case (pass@k, flakiness)")},
        {"threshold", described(ref("fraction"), "The least pass rate: below it eval exits 1")},
        {"outputPath",
         {{"description", "Reports written after the run, as -o writes them (-o replaces it)"},
          {"anyOf",
           {{{"type", "string"}, {"minLength", 1}},
            {{"type", "array"}, {"items", {{"type", "string"}, {"minLength", 1}}}}}}}},
        {"evaluateOptions",
         closed_map(with_refused(
                        {{"maxConcurrency", whole_number(1, 1000000, "Calls in flight (like -j)")},
                         {"repeat", whole_number(1, 1000000, "Same as 'repeat'")}},
                        {{"delay", "use --delay MS"},
                         {"showProgressBar", "llmops shows progress on a terminal"},
                         {"cache", "use --no-cache"},
                         {"timeoutMs", "set 'timeout_ms' on the provider"},
                         {"maxEvalTimeMs", ""},
                         {"generateSuggestions", ""}}),
                    "promptfoo's run options")},
        {"judge",
         {{"type", json::array({"object", "null"})},
          {"description", "The judge of model-graded assertions"},
          {"properties",
           {{"provider", described(ref("provider"), "The judge model")},
            {"samples", whole_number(1, 25, "Judge calls per verdict (majority, mean score)")},
            {"embedding", described(ref("provider"), "The embedding model of 'similar'")}}},
          {"additionalProperties", false}}},
    };
}

json suite_properties() {
    json p = run_option_properties();
    p["prompts"] = ref("prompts");
    p["providers"] = ref("providers");
    p["targets"] = described(ref("providers"), "promptfoo's other name for 'providers'");
    p["tests"] = ref("tests");
    json drift_keys = json::object();
    for (const char* key : {"ks_alpha", "max_js", "embedding_alpha", "max_refusal_increase",
                            "max_pass_rate_drop", "alpha"}) {
        drift_keys[key] = {{"type", "number"}, {"minimum", 0}, {"maximum", 1}};
    }
    drift_keys["max_psi"] = {{"type", "number"}, {"minimum", 0}};
    p["drift"] = {{"type", "object"},
                  {"description",
                   "Thresholds of `llmops drift --thresholds SUITE` (docs/drift.md); "
                   "eval ignores them"},
                  {"additionalProperties", false},
                  {"properties", drift_keys}};
    p["defaultTest"] = {
        {"anyOf", {ref("defaultCase"), {{"type", "string"}, {"pattern", "^file://"}}}},
        {"description", "What every test case starts from: a map or a file:// path to one"}};
    p["vars"] = described(ref("vars"), "Variables of every case (after defaultTest's)");
    p["assert"] = described(ref("assertList"), "Assertions on every case");
    p["options"] = case_options(false);
    p["assertionTemplates"] = {{"type", "object"},
                               {"description", "Assertions that tests use with $ref"},
                               {"additionalProperties", ref("assertionOrRef")}};
    p["nunjucksFilters"] = {{"type", json::array({"object", "null"})},
                            {"description", "Nunjucks filters: name -> file://filter.js"},
                            {"propertyNames", {{"pattern", "^[A-Za-z_$][A-Za-z0-9_$]*$"}}},
                            {"additionalProperties", {{"type", "string"}}}};
    Refusals refusals; // the loader's own list
    for (const auto& r : detail::k_suite_keys.refused) {
        refusals.emplace_back(r.key, r.hint);
    }
    return with_refused(std::move(p), refusals);
}

} // namespace

// A suite whose `tests` is `{traces: ...}`.
json takes_traces() {
    return {{"required", {"tests"}},
            {"properties", {{"tests", {{"type", "object"}, {"required", {"traces"}}}}}}};
}

json suite_schema() {
    return json{
        {"$schema", "https://json-schema.org/draft/2020-12/schema"},
        {"title", "llmops eval suite"},
        {"description", "An llmops eval suite: promptfoo's configuration format, as llmops "
                        "reads it (llmops schema suite)"},
        {"type", "object"},
        {"properties", suite_properties()},
        {"additionalProperties", false},
        {"allOf",
         // A suite grading production calls may leave out its prompts and providers.
         {{{"anyOf", {{{"required", {"prompts"}}}, takes_traces()}}},
          {{"anyOf", {{{"required", {"providers"}}}, {{"required", {"targets"}}}, takes_traces()}}},
          {{"not", {{"required", {"providers", "targets"}}}}},
          {{"not",
            {{"required", {"repeat", "evaluateOptions"}},
             {"properties", {{"evaluateOptions", {{"required", {"repeat"}}}}}}}}}}},
        {"$defs", all_defs()},
    };
}

std::string suite_schema_text() {
    // `$schema` first and `$defs` last, as schemas are written (json sorts its keys).
    const json schema = suite_schema();
    nlohmann::ordered_json out;
    for (const char* key : {"$schema", "title", "description", "type", "properties",
                            "additionalProperties", "allOf"}) {
        out[key] = nlohmann::ordered_json::parse(schema.at(key).dump());
    }
    for (const auto& [key, value] : schema.items()) {
        if (!out.contains(key)) {
            out[key] = nlohmann::ordered_json::parse(value.dump());
        }
    }
    return out.dump(2) + "\n";
}

} // namespace llmops::eval
