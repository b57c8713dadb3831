#include <llmops/traces/http_server.hpp>

#include <chrono>
#include <thread>

#include <sys/socket.h>

namespace llmops::traces {

HttpServer::HttpServer() {
    // httplib's default sets SO_REUSEPORT too, which lets a second server bind a port in use
    // and take half its connections: SO_REUSEADDR alone (a restart binds at once).
    m_server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
}

Expected<int> HttpServer::bind(const ListenAddress& listen) {
    const int port = listen.port == 0
                         ? m_server.bind_to_any_port(listen.host)
                         : (m_server.bind_to_port(listen.host, listen.port) ? listen.port : -1);
    if (port <= 0) {
        return fail(ErrorCode::io, "cannot listen on '{}:{}': address in use or not local",
                    listen.host, listen.port);
    }
    return port;
}

Expected<void> HttpServer::run() {
    m_in_run = true;
    const bool ok = m_stopping || m_server.listen_after_bind();
    m_in_run = false;
    if (!ok && !m_stopping) {
        return fail(ErrorCode::io, "the HTTP server stopped: cannot accept connections");
    }
    return {};
}

void HttpServer::stop() {
    m_stopping = true;
    // httplib's stop() does nothing until the listen loop runs: wait for it when run() began.
    while (m_in_run && !m_server.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    m_server.stop();
}

} // namespace llmops::traces
