#pragma once
// `llmops traces serve`: an OTLP/HTTP receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp)
// that stores the GenAI spans of each `POST /v1/traces` as calls, JSON encoding only.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <llmops/provider/pricing.hpp>
#include <llmops/store/database.hpp>

namespace llmops::traces {

// Where to listen: a host (an IPv4 address, a name, or an IPv6 address in brackets) and a port
// (0: any free one).
struct ListenAddress {
    std::string host;
    int port = 0;
};

// Parses `HOST:PORT` (`127.0.0.1:4318`, `[::1]:4318`, `localhost:0`). Fails with
// `invalid_input` naming `--listen`.
Expected<ListenAddress> parse_listen_address(std::string_view text);

// The answer to one request: the HTTP status, its JSON body, and what it stored.
struct ExportResponse {
    int status = 200;
    std::string body = "{}";
    int64_t imported = 0;   // calls new to the store
    int64_t duplicates = 0; // calls whose span id was stored already
    int64_t skipped = 0;    // spans that are not LLM calls
    int64_t rejected = 0;   // GenAI spans that could not be read
    std::string message;    // why the request failed or spans were rejected, for the log
};

// Handles the body of one export request whose Content-Type is `content_type`: an
// ExportTraceServiceRequest in OTLP's JSON encoding. Its GenAI spans are priced from `prices`,
// redacted and written to `db` in one commit per k_batch calls, all committed before it returns
// (an acknowledged span survives a kill -9). Returns 200 with `{}`, or with
// `{"partialSuccess": {"rejectedSpans", "errorMessage"}}` when some spans were unreadable; 400
// when the body is not such a request; 415 for another content type (protobuf is not read);
// 503 when the store cannot be written (the sender retries; import is idempotent by span id).
// Error bodies are `{"code", "message"}` (google.rpc.Status in JSON). Not thread-safe: one
// writer at a time (`Receiver` serialises).
ExportResponse handle_export(store::Database& db, const provider::PriceTable& prices,
                             std::string_view content_type, std::string_view body);

// One request as the receiver answered it, for `--verbose`.
struct RequestLog {
    std::string method;
    std::string path;
    ExportResponse response;
};

// The receiver's settings.
struct ServeOptions {
    ListenAddress listen;
    size_t max_body_bytes = 32u << 20;                 // a larger body (decoded) gets 413
    std::function<void(const RequestLog&)> on_request; // called from the server's threads
};

// An HTTP server on `options.listen`: `POST /v1/traces` goes to `handle_export`, one request
// at a time; `GET /healthz` answers `ok`; bodies may be gzip- or deflate-encoded; any other
// path gets 404, another method 405, another encoding 415, a body past the cap 413.
class Receiver {
public:
    Receiver(store::Database& db, const provider::PriceTable& prices, ServeOptions options);
    ~Receiver();
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    // Binds the listening socket; returns the port (the one picked when the port was 0). Fails
    // with `io` when the address cannot be bound (in use, not local, no permission).
    Expected<int> bind();
    // Serves until `stop()`; call after `bind()`. Fails with `io` when the listen loop fails.
    Expected<void> run();
    // Stops `run()` after the requests in progress (callable from any thread, before or while
    // `run()` runs).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace llmops::traces
