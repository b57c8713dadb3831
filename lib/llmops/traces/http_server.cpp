#include <llmops/traces/http_server.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include <dlfcn.h>

#include <fmt/format.h>

// The plugin's folder relative to the executable's, as installed (lib/CMakeLists.txt sets it
// from the install's bin and lib folders; the build tree mirrors it).
#ifndef LLMOPS_HTTP_PLUGIN_DIR
#define LLMOPS_HTTP_PLUGIN_DIR "../lib/llmops"
#endif

namespace llmops::traces {

namespace {

namespace fs = std::filesystem;

constexpr const char* k_plugin_file = "libllmops_http.so";

// Where the plugin may be, in order: the override, else beside the executable and where the
// install puts it.
std::vector<fs::path> plugin_candidates() {
    if (const char* path = std::getenv("LLMOPS_HTTP_PLUGIN"); path != nullptr && *path != '\0') {
        return {fs::path(path)};
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return {};
    }
    const fs::path dir = exe.parent_path();
    return {dir / k_plugin_file, (dir / LLMOPS_HTTP_PLUGIN_DIR / k_plugin_file).lexically_normal()};
}

// Opens the plugin at `path` and checks it speaks this binary's interface.
Expected<const http::Plugin*> open_plugin(const fs::path& path) {
    void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        return fail(ErrorCode::io, "cannot load the HTTP plugin: {}", ::dlerror());
    }
    void* symbol = ::dlsym(lib, http::k_http_plugin_symbol);
    const http::Plugin* plugin = nullptr;
    if (symbol != nullptr) {
        const http::Plugin* (*entry)() = nullptr;
        static_assert(sizeof entry == sizeof symbol);
        std::memcpy(&entry, &symbol, sizeof entry);
        plugin = entry();
    }
    if (plugin == nullptr || plugin->abi != http::k_http_plugin_abi) {
        return fail(ErrorCode::io,
                    "'{}' is not this llmops's HTTP plugin (another version?): reinstall llmops",
                    path.string());
    }
    return plugin;
}

Expected<const http::Plugin*> find_plugin() {
    const auto candidates = plugin_candidates();
    std::string searched;
    for (const auto& path : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(path, ec)) {
            return open_plugin(path);
        }
        searched += fmt::format("{}'{}'", searched.empty() ? "" : ", ", path.string());
    }
    return fail(ErrorCode::io,
                "cannot find the HTTP plugin that servers and the OTLP export need (looked for "
                "{}): reinstall llmops, or set LLMOPS_HTTP_PLUGIN to its file",
                searched.empty() ? std::string("'") + k_plugin_file + "'" : searched);
}

} // namespace

Expected<const http::Plugin*> load_http_plugin() {
    static const Expected<const http::Plugin*> k_plugin = find_plugin();
    return k_plugin;
}

Expected<int> HttpServer::bind(const ListenAddress& listen) {
    const http::Plugin* plugin = LLMOPS_TRY(load_http_plugin());
    http::Server* server = nullptr;
    {
        const std::lock_guard lock(m_mutex);
        m_server = plugin->make_server(std::move(m_routes));
        server = m_server.get();
    }
    const int port = server->bind(listen.host, listen.port);
    if (port <= 0) {
        return fail(ErrorCode::io, "cannot listen on '{}:{}': address in use or not local",
                    listen.host, listen.port);
    }
    return port;
}

Expected<void> HttpServer::run() {
    m_in_run = true;
    const bool ok = m_stopping || (m_server != nullptr && m_server->listen_after_bind());
    m_in_run = false;
    if (!ok && !m_stopping) {
        return fail(ErrorCode::io, "the HTTP server stopped: cannot accept connections");
    }
    return {};
}

void HttpServer::stop() {
    m_stopping = true;
    http::Server* server = nullptr;
    {
        const std::lock_guard lock(m_mutex);
        server = m_server.get();
    }
    if (server == nullptr) {
        return; // not bound yet: `run` sees m_stopping
    }
    // The server's stop() does nothing until the listen loop runs: wait for it when run() began.
    while (m_in_run && !server->is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server->stop();
}

} // namespace llmops::traces
