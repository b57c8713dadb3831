#pragma once
// The generic `http` provider (SPEC §4): a user's own service, described by a URL, a method,
// headers, a body template and a path to the output in the JSON response. Promptfoo's keys are
// accepted (`url`, `method`, `headers`, `body`, `transformResponse` when it is a plain path).
// Pure functions; the HTTP engine moves the bytes.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/outcome.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/util/error.hpp>

namespace llmops::provider {

struct HttpTarget {
    std::string url;             // may hold {{var}} tags, rendered like the body
    std::string method = "POST"; // GET, POST, PUT or PATCH
    std::vector<std::pair<std::string, std::string>> headers; // values may be templates
    nlohmann::json body;       // a JSON value whose strings are templates, or a string template;
                               // null: no body
    bool body_is_text = false; // `body` is a string sent as is (after rendering), not JSON
    std::string response_path; // "json.output", "choices[0].message.content"; empty: whole body
};

// Reads an http provider's config (the object under `config:`). Keys: url (required, http://
// or https:// unless it starts with a tag), method (GET, POST, PUT, PATCH; any case), headers
// (map of strings; numbers and booleans taken as text), body (object, array or string; a string
// holding a JSON object or array is taken as JSON; none with GET), transformResponse or
// response_path (a path: `json.a.b[0].c`, `data["a b"]`, the leading `json.` optional; `json`
// alone is the whole JSON body; transformResponse `text`, like an empty path, the raw body; a
// JavaScript expression or file:// is refused with a message saying only paths are supported).
// Template syntax (not variables) is checked here. Fails with `invalid_input` naming `where`
// and the key: "WHERE: 'url' is required", "WHERE: body.input: unterminated tag '{{prompt'".
Expected<HttpTarget> parse_http_target(const nlohmann::json& config, std::string_view where);

// Builds the request: every string in the body, the URL and header values is rendered as a
// Mustache-like template where `{{prompt}}` is the messages' contents joined by blank lines,
// `{{messages}}` their JSON array, `{{vars.NAME}}` or `{{NAME}}` a case variable (dotted names
// reach into objects and arrays), and `{{env.NAME}}` an environment variable (looked up with
// `env`; for secrets in headers). Filters as in promptfoo's Nunjucks: `{{prompt | dump}}` (JSON
// text, for a JSON document written as a string body) and `{{prompt | urlencode}}` (for URLs,
// which are otherwise not encoded). `{{{name}}}` and `{{! comment }}` work as in Mustache;
// sections and partials do not. Inside a JSON body, a string that is exactly one tag takes the
// value's JSON type; otherwise values are inserted as text (JSON-escaped by the serializer,
// never by hand; null as ""). A content-type header (application/json, or text/plain for a text
// body) is added unless one is set. Fails with `invalid_input` naming where: "http: body.q:
// unknown variable 'qestion' (did you mean 'question'?)", "http: header 'Authorization':
// environment variable 'TOKEN' is not set". `secrets` receives the values read from `env.`
// tags so the caller can redact them.
Expected<HttpRequest>
build_http_target_request(const HttpTarget& target, const CompletionRequest& request,
                          const nlohmann::json& vars,
                          const std::function<std::optional<std::string>(std::string_view)>& env,
                          std::vector<std::string>& secrets);

// Extracts the output from a 2xx response: the value at `response_path` (a string is taken as
// is; any other JSON value is serialised), or the whole body when the path is empty (bytes that
// are not UTF-8 become U+FFFD). Fails with ErrorCode::provider: "http: response is not JSON:
// '<quote>'" (also "response body is empty", "cut off mid-JSON") when a path is set and the
// body is not JSON; "http: response has no 'a.b[0]'" naming the part of the path that does not
// resolve ("...: 'a.b' is a string" when the type is wrong); "http: response has null at
// 'a'"; detail::http_error's message for a status other than 2xx. Usage is estimated (marked
// so) unless the JSON has an OpenAI-style `usage` object (prompt_tokens/completion_tokens, or
// input_tokens/output_tokens). Latency and attempts come from `response`; no cost is set.
Expected<CallOutcome> parse_http_target_response(const HttpTarget& target,
                                                 const CompletionRequest& request,
                                                 const HttpResponse& response);

} // namespace llmops::provider
