// The HTTP plugin, `libllmops_http.so` (http_api.hpp says why it is one): llmops's servers and
// the OTLP client over cpp-httplib, which only this file includes. It links cpp-httplib alone,
// nothing of llmops, and exports one symbol.

#include <llmops/traces/http_api.hpp>

#include <httplib.h>
#include <sys/socket.h>

namespace llmops::traces::http {

namespace {

Request request_of(const httplib::Request& req) {
    Request out{req.method, req.path, {}};
    out.headers.assign(req.headers.begin(), req.headers.end());
    return out;
}

// Copies what a handler answered into httplib's response.
void answer(const Response& from, httplib::Response& res) {
    res.status = from.status;
    for (const auto& [key, value] : from.headers) {
        res.set_header(key.c_str(), value);
    }
    if (!from.content_type.empty()) {
        res.set_content(from.body, from.content_type.c_str());
    }
}

httplib::Server::Handler wrap(Handler handler) {
    return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        Response out;
        handler(request_of(req), out);
        answer(out, res);
    };
}

httplib::Server::HandlerWithContentReader wrap(BodyHandler handler) {
    return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& read) {
        Response out;
        const BodyReader reader = [&](const BodySink& sink) {
            const bool whole =
                read([&](const char* data, size_t size) { return sink(data, size); });
            if (res.status >= 400) {
                out.status = res.status; // httplib's refusal (413, 415)
            }
            return whole;
        };
        handler(request_of(req), out, reader);
        answer(out, res);
    };
}

void add_route(httplib::Server& server, Routes::Route& route) {
    auto handler = wrap(std::move(route.handler));
    const std::string& method = route.method;
    const std::string& path = route.path;
    if (method == "GET") {
        server.Get(path, std::move(handler));
    } else if (method == "POST") {
        server.Post(path, std::move(handler));
    } else if (method == "PUT") {
        server.Put(path, std::move(handler));
    } else if (method == "PATCH") {
        server.Patch(path, std::move(handler));
    } else if (method == "DELETE") {
        server.Delete(path, std::move(handler));
    } else if (method == "OPTIONS") {
        server.Options(path, std::move(handler));
    }
}

class HttplibServer final : public Server {
public:
    explicit HttplibServer(Routes routes) {
        // httplib's default sets SO_REUSEPORT too, which lets a second server bind a port in use
        // and take half its connections: SO_REUSEADDR alone (a restart binds at once).
        m_server.set_socket_options([](socket_t sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        });
        for (auto& route : routes.routes) {
            add_route(m_server, route);
        }
        for (auto& route : routes.body_routes) {
            m_server.Post(route.path, wrap(std::move(route.handler)));
        }
        if (routes.pre_route) {
            m_server.set_pre_routing_handler(
                [pre = std::move(routes.pre_route)](const httplib::Request& req,
                                                    httplib::Response& res) {
                    Response out;
                    if (!pre(request_of(req), out)) {
                        return httplib::Server::HandlerResponse::Unhandled;
                    }
                    answer(out, res);
                    return httplib::Server::HandlerResponse::Handled;
                });
        }
        if (routes.on_error) {
            m_server.set_error_handler([on_error = std::move(routes.on_error)](
                                           const httplib::Request& req, httplib::Response& res) {
                Response out{res.status, res.body, {}, {}};
                on_error(request_of(req), out);
                answer(out, res);
            });
        }
        if (routes.max_body_bytes > 0) {
            m_server.set_payload_max_length(routes.max_body_bytes);
        }
    }

    int bind(const std::string& host, int port) override {
        if (port == 0) {
            return m_server.bind_to_any_port(host);
        }
        return m_server.bind_to_port(host, port) ? port : -1;
    }
    bool listen_after_bind() override { return m_server.listen_after_bind(); }
    bool is_running() const override { return m_server.is_running(); }
    void stop() override { m_server.stop(); }

private:
    httplib::Server m_server;
};

// A transport failure in words (never naming a header or the URL, which messages show apart).
std::string transport_failure(httplib::Error error) {
    switch (error) {
    case httplib::Error::Connection: return "cannot connect";
    case httplib::Error::ConnectionTimeout: return "the connection timed out";
    case httplib::Error::Read: return "no answer (the read failed or timed out)";
    case httplib::Error::Write: return "the request could not be sent";
    case httplib::Error::Canceled: return "the flush limit was reached";
    default: return "HTTP client error: " + httplib::to_string(error);
    }
}

class HttplibClient final : public Client {
public:
    HttplibClient(const std::string& origin, std::chrono::milliseconds timeout) : m_client(origin) {
        m_client.set_connection_timeout(timeout);
        m_client.set_read_timeout(timeout);
        m_client.set_write_timeout(timeout);
    }

    PostResult post(const std::string& path, const Headers& headers, const std::string& body,
                    const std::string& content_type) override {
        httplib::Headers sent(headers.begin(), headers.end());
        auto res = m_client.Post(path, sent, body, content_type);
        PostResult out;
        if (!res) {
            out.failure = transport_failure(res.error());
            return out;
        }
        out.status = res->status;
        out.retry_after = res->get_header_value("Retry-After");
        return out;
    }

    void stop() override { m_client.stop(); }

private:
    httplib::Client m_client;
};

std::unique_ptr<Server> make_server(Routes routes) {
    return std::make_unique<HttplibServer>(std::move(routes));
}

std::unique_ptr<Client> make_client(const std::string& origin, std::chrono::milliseconds timeout) {
    return std::make_unique<HttplibClient>(origin, timeout);
}

} // namespace

} // namespace llmops::traces::http

extern "C" __attribute__((visibility("default"))) const llmops::traces::http::Plugin*
llmops_http_plugin() {
    static const llmops::traces::http::Plugin k_plugin{llmops::traces::http::k_http_plugin_abi,
                                                       &llmops::traces::http::make_server,
                                                       &llmops::traces::http::make_client};
    return &k_plugin;
}
