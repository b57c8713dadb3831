#pragma once
// Wire formats of the main LLM APIs (SPEC §4) as pure functions: a CompletionRequest becomes an
// HttpRequest (URL, headers, JSON body), and an HttpResponse becomes a CompletionResult or an
// Error. No I/O here; http.hpp moves the bytes. One file per API: openai.cpp (also Azure and
// the shared helpers), anthropic.cpp, google.cpp.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/provider/types.hpp>
#include <llmops/util/error.hpp>

namespace llmops::provider {

// The wire format a provider speaks.
enum class Api { openai, azure, anthropic, google };

// Where and how to reach one API.
struct Endpoint {
    Api api = Api::openai;
    // Empty means the vendor's public URL (openai: https://api.openai.com/v1, anthropic:
    // https://api.anthropic.com, google: https://generativelanguage.googleapis.com); Azure's
    // resource endpoint (https://NAME.openai.azure.com) is required. For openai the base
    // includes the version path, as OPENAI_BASE_URL does (http://localhost:11434/v1).
    std::string base_url;
    std::string api_key;     // a secret: never logged; no auth header is sent when empty
    std::string api_version; // azure only; empty means k_azure_default_api_version
    std::vector<std::pair<std::string, std::string>> extra_headers; // replace same-named ones
};

// The Azure OpenAI api-version used when an Endpoint names none.
inline constexpr std::string_view k_azure_default_api_version = "2024-10-21";

// The Anthropic max_tokens sent when the request sets none (the API requires one).
inline constexpr int64_t k_anthropic_default_max_tokens = 1024;

// Returns the API's name as used in messages: openai, azure, anthropic, google.
std::string_view api_name(Api api);

// Builds the HTTP request for `request` on `endpoint` (URL, headers with the auth header, JSON
// body). Parameters are sent only when set. Fails with invalid_input naming the API for a
// message role the API cannot take, an empty model, no user or assistant message (anthropic,
// google), a missing Azure endpoint, or response_format/tools that are not valid JSON.
Expected<HttpRequest> build_request(const Endpoint& endpoint, const CompletionRequest& request);

// Parses the 2xx `response` to `request` (SSE when request.params.stream, JSON otherwise; a
// JSON body is accepted for a streamed request too). Fails with ErrorCode::provider and a
// one-line message naming the API: a non-JSON body (quoting at most its first 200 bytes), a
// body cut off mid-JSON, a wrong shape ("openai: response has no choices"), empty choices, a
// vendor error body ("openai: HTTP 200: <vendor message>"), a stream without its end. A refusal
// is not an error: it sets `refusal` and finish_reason ("refusal", or "content_filter" for
// Gemini's blocks). When the response reports no usage, usage is estimated at ceil(code
// points / 4) of the request's message contents (input) and of the output, and marked
// `estimated`.
Expected<CompletionResult> parse_response(Api api, const CompletionRequest& request,
                                          const HttpResponse& response);

// Turns a failed exchange into an error: "<api>: HTTP 401: <vendor message>" (the body quoted
// when it holds no vendor message), or "<api>: <transport error>" when `response.status` is 0.
// Codes: rate_limited for 429, timeout for 408 and transport time-outs, network for other
// transport failures, provider otherwise.
Error error_from_response(Api api, const HttpResponse& response);

// ---------------------------------------------------------------------------------------------
// Private: the per-API translations and the helpers they share (defined in openai.cpp).
namespace detail {

// One request builder and one response parser per API, behind build_request and
// parse_response (which check what all APIs share first).
Expected<HttpRequest> build_openai_request(const Endpoint& endpoint,
                                           const CompletionRequest& request);
Expected<CompletionResult> parse_openai_response(Api api, const CompletionRequest& request,
                                                 const HttpResponse& response);
Expected<HttpRequest> build_anthropic_request(const Endpoint& endpoint,
                                              const CompletionRequest& request);
Expected<CompletionResult> parse_anthropic_response(const CompletionRequest& request,
                                                    const HttpResponse& response);
Expected<HttpRequest> build_google_request(const Endpoint& endpoint,
                                           const CompletionRequest& request);
Expected<CompletionResult> parse_google_response(const CompletionRequest& request,
                                                 const HttpResponse& response);

// error_from_response for an API called `api` (also the generic http provider's "http"). With
// `api` empty, a transport failure is its bare message ("connection refused") and an HTTP
// error reads "HTTP 500: ...": for callers that name the provider themselves.
Error http_error(std::string_view api, const HttpResponse& response);

// One Server-Sent Event: its `event:` name (empty when none) and its `data:` lines joined.
struct SseEvent {
    std::string event;
    std::string data;
};

// Splits an SSE body into events (comments and empty events dropped).
std::vector<SseEvent> parse_sse(std::string_view body);

// True when `body` starts (after white space) with '{': a whole JSON answer rather than an SSE
// stream, which vendors send even to streamed requests when they answer with an error.
bool looks_like_json(std::string_view body);

// Parses a JSON body; fails with provider errors "<api>: response is not JSON: '<quote>'",
// "<api>: response is cut off mid-JSON after N bytes" or "<api>: response is not usable JSON:
// nesting deeper than 512 levels" (util/nesting.hpp).
Expected<nlohmann::json> parse_json_body(std::string_view api, std::string_view body);

// Parses the user's JSON text of a request parameter; fails with invalid_input.
Expected<nlohmann::json> parse_param_json(std::string_view api, std::string_view field,
                                          const std::string& text);

// Returns at most the first 200 bytes of `body` (never half a UTF-8 sequence, "..." when
// cut) on one line: control characters become spaces.
std::string quote_body(std::string_view body);

// Returns the vendor's error message in `body` ({"error":{"message"}}, also Anthropic's and
// Gemini's shapes), or an empty string when there is none.
std::string vendor_error_message(const nlohmann::json& body);

// Returns `base` (without trailing slashes, or `fallback` when empty) followed by `path`.
std::string join_url(std::string_view base, std::string_view fallback, std::string_view path);

// Percent-encodes `segment` for use as one URL path segment.
std::string encode_path_segment(std::string_view segment);

// Adds `extra` to `headers`, replacing headers of the same name (case-insensitively).
void add_headers(std::vector<std::pair<std::string, std::string>>& headers,
                 const std::vector<std::pair<std::string, std::string>>& extra);

// Returns the token count at `key` of `object`, or 0 when missing, null, not a number,
// negative or above 2^53 (a broken or hostile server's count).
int64_t int_field(const nlohmann::json& object, std::string_view key);

// Returns ceil(code points / 4) of `text`: the usage estimate when a response reports none.
int64_t estimate_tokens(std::string_view text);

// Sets `result.usage` to estimates for `request` and `result.output`, marked `estimated`.
void estimate_usage(const CompletionRequest& request, CompletionResult& result);

} // namespace detail

} // namespace llmops::provider
