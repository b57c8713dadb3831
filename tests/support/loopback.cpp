#include <support/loopback.hpp>
#include <support/transcript.hpp>

#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace llmops::test {

LoopbackServer::LoopbackServer(int threads) {
    m_server.new_task_queue = [threads] {
        return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    m_server.set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
        ++m_requests;
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // Every request answered goes into the test's transcript, printed if a check fails.
    m_server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        transcript::add_request(m_port, req.method, req.path, res.status, req.body, res.body);
    });
    // Binding here, before any thread exists, avoids the start-up race of listen() in a thread.
    m_port = m_server.bind_to_any_port("127.0.0.1");
    if (m_port <= 0) {
        throw std::runtime_error("loopback server: cannot bind to 127.0.0.1");
    }
}

LoopbackServer::~LoopbackServer() {
    m_stopping = true;
    if (m_thread.joinable()) {
        // stop() is a no-op until the listen loop runs, so wait for it (start() already did).
        m_server.stop();
        m_thread.join();
    }
}

void LoopbackServer::get(const std::string& pattern, httplib::Server::Handler handler) {
    m_server.Get(pattern, std::move(handler));
}

void LoopbackServer::post(const std::string& pattern, httplib::Server::Handler handler) {
    m_server.Post(pattern, std::move(handler));
}

void LoopbackServer::start() {
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

std::string LoopbackServer::url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + std::string(path);
}

bool LoopbackServer::sleep_unless_stopping(std::chrono::milliseconds duration) const {
    auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
        if (m_stopping) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

int LoopbackServer::unused_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        throw std::runtime_error("loopback server: cannot create a socket");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("loopback server: cannot bind a socket");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

} // namespace llmops::test
