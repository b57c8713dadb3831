#pragma once
// The vocabulary of providers: what is asked of a model, what comes back, and the HTTP exchange
// in between. Wire formats (openai.cpp, anthropic.cpp, google.cpp) translate between these and
// the vendors' JSON; the HTTP engine (http.hpp) moves the bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <llmops/provider/pricing.hpp>

namespace llmops::provider {

// One chat message: role is system, developer, user or assistant.
struct ChatMessage {
    std::string role;
    std::string content;
};

// Generation parameters (SPEC §4). Unset fields are not sent, so the vendor's default applies.
struct Params {
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<int64_t> max_tokens;
    std::optional<int64_t> seed;
    std::vector<std::string> stop;
    std::optional<std::string> response_format_json; // JSON text, e.g. {"type":"json_object"}
    std::optional<std::string> tools_json;           // JSON text of the tools array
    bool stream = false;                             // SSE, to measure time to first token
    bool logprobs = false; // ask for the log-probabilities of the output tokens and their 5 most
                           // likely alternatives (OpenAI-compatible APIs; others ignore it)
    bool embed = false; // an embeddings request (the `similar` assertion): each message's content
                        // is one input; OpenAI-compatible APIs only (POST /embeddings)
};

// A request to a model.
struct CompletionRequest {
    std::string model;
    std::vector<ChatMessage> messages;
    Params params;
};

// What a model answered. Usage follows pricing.hpp's conventions (input includes cached tokens,
// output includes reasoning tokens).
struct CompletionResult {
    std::string output;
    std::string finish_reason; // normalised: stop, length, tool_calls, content_filter, refusal, ...
    Usage usage;
    std::optional<std::string> refusal;         // the model's refusal text, when it refused
    std::optional<std::string> tool_calls_json; // JSON text of tool calls, when it made some
    std::optional<std::string> context; // the retrieved context an app (exec:) returned with its
                                        // answer, for the RAG assertions
    std::vector<std::vector<double>> embeddings; // an embeddings request's vectors, one per input
    std::optional<std::string> logprobs_json;    // OpenAI's choices[0].logprobs.content as JSON
                                                 // text, when asked and given
};

// One HTTP request as the engine sends it.
struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers; // may hold secrets: never log them
    std::string body;
    int64_t timeout_ms = 120000;                   // whole-request timeout
    int64_t max_response_bytes = 32 * 1024 * 1024; // larger bodies fail the request
};

// One HTTP response (or a transport failure, when `transport_error` is set and `status` is 0).
struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased
    std::string body;
    std::string transport_error;         // e.g. "connection refused", "timed out after 5000 ms"
    double latency_ms = 0;               // from send to the last byte
    std::optional<double> first_byte_ms; // from send to the first body byte
    int attempts = 1;                    // 1 + retries made
};

} // namespace llmops::provider
