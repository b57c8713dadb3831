// OTLP/HTTP, JSON encoding: https://opentelemetry.io/docs/specs/otlp/#otlphttp. The responses
// follow its rules: 200 with an ExportTraceServiceResponse (partialSuccess when spans were
// rejected), 400 for a request that cannot be decoded (not retried by senders), 503 for a store
// that cannot be written (retried: import is idempotent by span id), error bodies a
// google.rpc.Status in JSON.

#include <llmops/traces/serve.hpp>

#include <charconv>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/store/calls.hpp>
#include <llmops/traces/http_server.hpp>
#include <llmops/traces/import.hpp>
#include <llmops/traces/read.hpp>
#include <llmops/util/json.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;

// google.rpc.Status codes used in error bodies.
constexpr int k_rpc_invalid_argument = 3;
constexpr int k_rpc_not_found = 5;
constexpr int k_rpc_unavailable = 14;

// How many unreadable spans `errorMessage` names (the count is always complete).
constexpr size_t k_max_named_rejections = 5;

ExportResponse error_response(int status, int rpc_code, std::string message) {
    ExportResponse r;
    r.status = status;
    r.body = json{{"code", rpc_code}, {"message", message}}.dump(-1, ' ', false,
                                                                 json::error_handler_t::replace);
    r.message = std::move(message);
    return r;
}

// A header's value lowercased, without parameters (after `;`) or blanks: a Content-Type's media
// type, a Content-Encoding.
std::string media_type(std::string_view content_type) {
    const std::string_view type = content_type.substr(0, content_type.find(';'));
    std::string out;
    for (const char c : type) {
        if (c != ' ' && c != '\t') {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

// The 415 answer, or nullopt when `content_type` is OTLP's JSON.
std::optional<ExportResponse> refuse_content_type(std::string_view content_type) {
    const std::string type = media_type(content_type);
    if (type == "application/json") {
        return std::nullopt;
    }
    if (type == "application/x-protobuf" || type == "application/protobuf") {
        return error_response(415, k_rpc_invalid_argument,
                              "protobuf is not supported: send OTLP/HTTP JSON (Content-Type: "
                              "application/json; OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json)");
    }
    return error_response(
        415, k_rpc_invalid_argument,
        fmt::format("Content-Type '{}' is not supported: send OTLP/HTTP JSON (application/json)",
                    content_type));
}

// The body of a 200: `{}`, or the partial success naming the first rejected spans.
std::string success_body(const OtlpBatch& batch, std::string& message) {
    if (batch.bad.empty()) {
        return "{}";
    }
    message =
        fmt::format("{} span{} rejected: ", batch.bad.size(), batch.bad.size() == 1 ? "" : "s");
    for (size_t i = 0; i < batch.bad.size() && i < k_max_named_rejections; ++i) {
        message +=
            fmt::format("{}{}: {}", i == 0 ? "" : "; ", batch.bad[i].where, batch.bad[i].why);
    }
    if (batch.bad.size() > k_max_named_rejections) {
        message += fmt::format("; and {} more", batch.bad.size() - k_max_named_rejections);
    }
    // OTLP's JSON writes 64-bit integers as decimal strings.
    const json body = {
        {"partialSuccess",
         {{"rejectedSpans", std::to_string(batch.bad.size())}, {"errorMessage", message}}}};
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Stores the calls of `batch`, all committed before returning.
Expected<void> store_calls(store::Database& db, const provider::PriceTable& prices,
                           OtlpBatch& batch, ExportResponse& response) {
    store::CallWriter writer(db);
    LabelResolver labels(db);
    for (auto& call : batch.calls) {
        price_call(call, prices);
        LLMOPS_TRY(labels.resolve(call));
        LLMOPS_TRY(writer.add(std::move(call)));
    }
    LLMOPS_TRY(writer.flush());
    response.imported = writer.inserted();
    response.duplicates = writer.duplicates();
    return {};
}

} // namespace

Expected<ListenAddress> parse_listen_address(std::string_view text) {
    const auto bad = [&] {
        return fail(ErrorCode::invalid_input,
                    "--listen: '{}' is not HOST:PORT (such as '127.0.0.1:4318')", text);
    };
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return bad();
    }
    ListenAddress out;
    std::string_view host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') {
            return bad();
        }
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return bad(); // an IPv6 address needs brackets
    }
    out.host = std::string(host);
    const std::string_view port = text.substr(colon + 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || out.port < 0 ||
        out.port > 65535) {
        return fail(ErrorCode::invalid_input, "--listen: '{}' is not a port (0 to 65535)", port);
    }
    return out;
}

ExportResponse handle_export(store::Database& db, const provider::PriceTable& prices,
                             std::string_view content_type, std::string_view body) {
    if (auto refused = refuse_content_type(content_type)) {
        return std::move(*refused);
    }
    auto doc = util::parse_json(body, "request");
    if (!doc) {
        return error_response(400, k_rpc_invalid_argument, doc.error().message());
    }
    if (!doc->is_object()) {
        return error_response(400, k_rpc_invalid_argument,
                              "request: not an ExportTraceServiceRequest (a JSON object)");
    }
    if (!is_otlp_request(*doc)) {
        return {}; // an empty request (no resourceSpans) is valid: nothing to store
    }
    OtlpBatch batch = read_otlp_request(*doc);
    if (batch.bad.size() == 1 && batch.bad.front().where == "request") {
        return error_response(400, k_rpc_invalid_argument, "request: " + batch.bad.front().why);
    }
    ExportResponse response;
    response.skipped = batch.skipped;
    response.rejected = static_cast<int64_t>(batch.bad.size());
    if (auto stored = store_calls(db, prices, batch, response); !stored) {
        return error_response(503, k_rpc_unavailable,
                              "cannot store the spans: " + stored.error().message());
    }
    response.body = success_body(batch, response.message);
    return response;
}

// ---------------------------------------------------------------------------------------------

struct Receiver::Impl {
    store::Database* db;
    const provider::PriceTable* prices;
    ServeOptions options;
    HttpServer server;
    std::mutex writer; // one request read and written at a time: memory stays one request's

    void log(const http::Request& req, const ExportResponse& response) const {
        if (options.on_request) {
            options.on_request({req.method, req.path, response});
        }
    }

    void answer(const http::Request& req, http::Response& res, const ExportResponse& r) {
        res.status = r.status;
        res.set_content(r.body, "application/json");
        log(req, r);
    }

    // POST /v1/traces: the body read (decoded) up to the cap, then handled.
    void on_export(const http::Request& req, http::Response& res, const http::BodyReader& read) {
        std::string body;
        bool too_large = false;
        const bool complete = read([&](const char* data, size_t size) {
            if (body.size() + size > options.max_body_bytes) {
                too_large = true;
                return false;
            }
            body.append(data, size);
            return true;
        });
        if (too_large || res.status == 413) {
            res.set_header("Connection", "close"); // the rest of the body is not read
            return answer(req, res,
                          error_response(413, k_rpc_invalid_argument,
                                         fmt::format("request body larger than {} bytes",
                                                     options.max_body_bytes)));
        }
        if (!complete) {
            // The server set the status when the encoding failed to decode; else the body ended
            // early.
            const int status = res.status >= 400 ? res.status : 400;
            return answer(req, res,
                          error_response(status, k_rpc_invalid_argument,
                                         status == 400 ? "the request body could not be read"
                                                       : fmt::format("HTTP status {}", status)));
        }
        const std::lock_guard lock(writer);
        answer(req, res, handle_export(*db, *prices, req.header("Content-Type"), body));
    }

    // Refuses what no handler should see: unknown encodings. Returns true when it answered.
    bool pre_route(const http::Request& req, http::Response& res) {
        const std::string encoding = media_type(req.header("Content-Encoding"));
        if (!encoding.empty() && encoding != "identity" && encoding != "gzip" &&
            encoding != "deflate") {
            res.set_header("Connection", "close"); // the body is not read
            answer(req, res,
                   error_response(415, k_rpc_invalid_argument,
                                  fmt::format("Content-Encoding '{}' is not supported (gzip "
                                              "or none)",
                                              encoding)));
            return true;
        }
        return false;
    }

    void on_error(const http::Request& req, http::Response& res) {
        if (res.status == 404) {
            answer(req, res,
                   error_response(404, k_rpc_not_found,
                                  fmt::format("no such path '{}': OTLP/HTTP traces go to "
                                              "POST /v1/traces",
                                              req.path)));
        } else if (res.body.empty()) {
            answer(req, res,
                   error_response(res.status, k_rpc_invalid_argument,
                                  fmt::format("HTTP status {}", res.status)));
        }
    }

    void routes() {
        http::Routes& routes = server.routes();
        routes.pre_route = [this](const http::Request& req, http::Response& res) {
            return pre_route(req, res);
        };
        routes.body_routes.push_back(
            {"/v1/traces", [this](const http::Request& req, http::Response& res,
                                  const http::BodyReader& read) { on_export(req, res, read); }});
        routes.routes.push_back(
            {"GET", "/v1/traces", [this](const http::Request& req, http::Response& res) {
                 res.set_header("Allow", "POST");
                 answer(req, res,
                        error_response(405, k_rpc_invalid_argument, "use POST for /v1/traces"));
             }});
        routes.routes.push_back({"GET", "/healthz", [](const http::Request&, http::Response& res) {
                                     res.set_content("ok\n", "text/plain");
                                 }});
        routes.on_error = [this](const http::Request& req, http::Response& res) {
            on_error(req, res);
        };
        // The server answers a declared body past this with 413 before any handler runs.
        routes.max_body_bytes = options.max_body_bytes;
    }
};

Receiver::Receiver(store::Database& db, const provider::PriceTable& prices, ServeOptions options)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->db = &db;
    m_impl->prices = &prices;
    m_impl->options = std::move(options);
    m_impl->routes();
}

Receiver::~Receiver() = default;

Expected<int> Receiver::bind() {
    return m_impl->server.bind(m_impl->options.listen);
}

Expected<void> Receiver::run() {
    return m_impl->server.run();
}

void Receiver::stop() {
    m_impl->server.stop();
}

} // namespace llmops::traces
