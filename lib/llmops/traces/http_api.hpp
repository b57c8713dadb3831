#pragma once
// The interface between llmops and its HTTP plugin (`libllmops_http.so`, built from
// `http_plugin.cpp`): the servers of `traces serve` and `metrics serve` and the OTLP exporter's
// client, implemented with cpp-httplib. The plugin is opened by `load_http_plugin`
// (`http_server.hpp`) the first time a server or an export needs it, so the binary does not link
// cpp-httplib, which brings OpenSSL, zlib and brotli into every start (docs/development.md,
// "Dependencies"). Standard types only: the plugin links nothing of llmops. Both sides are built
// together by the same compiler; `k_http_plugin_abi` changes with any change here.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmops::traces::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// A request as a handler sees it.
struct Request {
    std::string method;
    std::string path;
    Headers headers;

    // The value of header `name` (compared without case), "" when absent.
    std::string header(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (key.size() == name.size() &&
                std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                return value;
            }
        }
        return {};
    }
};

// The answer a handler fills. An error handler receives the server's status and body.
struct Response {
    int status = 200;
    std::string body;
    std::string content_type; // "" leaves the body as the server made it
    Headers headers;

    void set_content(std::string text, std::string type) {
        body = std::move(text);
        content_type = std::move(type);
    }
    void set_header(std::string key, std::string value) {
        headers.emplace_back(std::move(key), std::move(value));
    }
};

// Reads a request's body, decoded (gzip, deflate), calling `sink` with each piece until it returns
// false. Returns whether the body was read whole; when the server refused it (too large, an
// encoding it cannot decode), the response's status says so.
using BodySink = std::function<bool(const char* data, size_t size)>;
using BodyReader = std::function<bool(const BodySink& sink)>;

using Handler = std::function<void(const Request&, Response&)>;
using BodyHandler = std::function<void(const Request&, Response&, const BodyReader&)>;
// Returns true when it answered the request itself (no route runs).
using PreRouter = std::function<bool(const Request&, Response&)>;

// What a server answers: routes by method and exact path, `body_routes` (POST) read their body
// themselves; `pre_route` sees every request first; `on_error` every answer of status >= 400
// (404 for an unknown path included).
struct Routes {
    struct Route {
        std::string method; // GET (HEAD too), POST, PUT, PATCH, DELETE, OPTIONS
        std::string path;
        Handler handler;
    };
    struct BodyRoute {
        std::string path;
        BodyHandler handler;
    };
    std::vector<Route> routes;
    std::vector<BodyRoute> body_routes;
    PreRouter pre_route;
    Handler on_error;
    size_t max_body_bytes = 0; // a larger declared body gets 413 before any handler; 0: no cap
};

// A server (SO_REUSEADDR, never SO_REUSEPORT: a second server cannot take a port in use).
class Server {
public:
    virtual ~Server() = default;
    // Binds to `host`:`port`, any free port when `port` is 0; returns the port, or -1.
    virtual int bind(const std::string& host, int port) = 0;
    // Serves until `stop`; false when the loop could not run.
    virtual bool listen_after_bind() = 0;
    virtual bool is_running() const = 0;
    // Ends the loop after the requests in progress; does nothing before the loop runs.
    virtual void stop() = 0;
};

// What a POST got: the status, or 0 with the transport failure in words.
struct PostResult {
    int status = 0;
    std::string retry_after; // the Retry-After header
    std::string failure;
};

// A client of one origin (`scheme://host[:port]`), with one timeout for connecting, reading and
// writing.
class Client {
public:
    virtual ~Client() = default;
    virtual PostResult post(const std::string& path, const Headers& headers,
                            const std::string& body, const std::string& content_type) = 0;
    // Cuts the request in flight (from another thread).
    virtual void stop() = 0;
};

inline constexpr int k_http_plugin_abi = 1;
// The one symbol the plugin exports: `extern "C" const Plugin* llmops_http_plugin()`.
inline constexpr const char* k_http_plugin_symbol = "llmops_http_plugin";

struct Plugin {
    int abi = k_http_plugin_abi;
    std::unique_ptr<Server> (*make_server)(Routes routes) = nullptr;
    std::unique_ptr<Client> (*make_client)(const std::string& origin,
                                           std::chrono::milliseconds timeout) = nullptr;
};

} // namespace llmops::traces::http
