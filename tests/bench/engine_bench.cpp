// Benchmark of the call engine (issue 3, SPEC §13 "Overhead"): N calls at -j J to a loopback
// OpenAI-compatible server answering after a fixed delay, then the same calls again from the
// response cache. Built on demand (`ninja -C build llmops_bench_engine`), run by hand through
// tests/bench/engine_bench.sh, which runs the server in its own process so that the CPU time
// measured here is the engine's alone.
//
//   llmops_bench_engine serve PORT DELAY_MS
//   llmops_bench_engine run BASE_URL CALLS JOBS CACHE_DB
//   llmops_bench_engine client BASE_URL CALLS JOBS
//
// `client` is the floor an eval is measured against (SPEC §13, tests/bench/eval_client_bench.py):
// a tight keep-alive client on libcurl's multi interface, JOBS easy handles each reused for its
// connection, sending CALLS chat requests of the shape llmops sends (the eval benchmark's
// questions) and reading the answers, nothing else: no JSON parsing, no cache, no store.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <llmops/provider/engine.hpp>

using namespace llmops;
using nlohmann::json;

namespace {

int serve(int port, int delay_ms) {
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(256); };
    // Without TCP_NODELAY the response (headers, then body: two writes) meets the client's
    // delayed ACK: Nagle holds the body back ~40 ms, and the "50 ms" server answers in ~90 ms.
    server.set_tcp_nodelay(true);
    // cpp-httplib closes a connection after 5 requests by default (CPPHTTPLIB_KEEPALIVE_MAX_COUNT):
    // at -j 64 the client then reconnects in bursts of up to 64, and see the backlog below.
    server.set_keep_alive_max_count(1000000);
    server.set_keep_alive_timeout(60);
    const std::string answer =
        R"({"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}],)"
        R"("usage":{"prompt_tokens":12,"completion_tokens":3}})";
    server.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        // Not plain "application/json": cpp-httplib compresses that type whenever the client
        // accepts it, and the engine accepts br, which cpp-httplib encodes at brotli's default
        // quality 11: ~0.7 ms of server CPU per answer, 7 s per 10,000 calls on this 2-core
        // machine, which delayed the server's own sleeping threads (50 ms became 60-90 ms).
        res.set_content(answer, "application/json; charset=utf-8");
    });
    // Debian's libcpp-httplib is compiled with a listen backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG):
    // a burst of connects overflows it, the kernel drops the SYN or the handshake's last ACK,
    // and that call waits for TCP's retransmissions (1 s, 3 s, 7 s, 15 s... in all). Listening
    // again on the bound socket raises the backlog.
    int listen_fd = -1;
    server.set_socket_options([&](socket_t sock) {
        httplib::default_socket_options(sock);
        listen_fd = sock;
    });
    if (!server.bind_to_port("127.0.0.1", port) || ::listen(listen_fd, SOMAXCONN) != 0) {
        std::fprintf(stderr, "cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    std::fprintf(stderr, "serving on 127.0.0.1:%d, answering after %d ms\n", port, delay_ms);
    return server.listen_after_bind() ? 0 : 1;
}

struct Usage {
    double wall_s;
    double cpu_s;
    long max_rss_kb;
};

Usage measure(const std::function<void()>& work) {
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    const auto start = std::chrono::steady_clock::now();
    work();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    const double cpu = seconds(after.ru_utime) + seconds(after.ru_stime) -
                       seconds(before.ru_utime) - seconds(before.ru_stime);
    return {wall, cpu, after.ru_maxrss};
}

int run(const std::string& base_url, int calls, int jobs, const std::string& cache_path) {
    auto config = provider::parse_provider_config("openai:gpt-4o-mini", "bench", ".");
    auto made = provider::Provider::create(
        std::move(*config), [&](std::string_view name) -> std::optional<std::string> {
            if (name == "OPENAI_BASE_URL")
                return base_url;
            return std::nullopt;
        });
    if (!made) {
        std::fprintf(stderr, "%s\n", made.error().message().c_str());
        return 1;
    }
    auto cache = store::ResponseCache::open(cache_path);
    if (!cache) {
        std::fprintf(stderr, "%s\n", cache.error().message().c_str());
        return 1;
    }
    for (const char* pass : {"cold", "cached"}) {
        int64_t ok = 0;
        int64_t hits = 0;
        std::vector<double> latencies; // of the calls that reached the server
        const Usage u = measure([&] {
            provider::CallEngine engine({jobs, &*cache});
            for (int i = 0; i < calls; ++i) {
                provider::CallJob job;
                job.provider = made->get();
                job.request.model = "gpt-4o-mini";
                job.request.messages = {{"user", "question number " + std::to_string(i)}};
                engine.submit(std::move(job), [&](Expected<provider::CallOutcome> r) {
                    ok += r.has_value() ? 1 : 0;
                    hits += r && r->cached ? 1 : 0;
                    if (r && !r->cached) {
                        latencies.push_back(r->latency_ms);
                    }
                });
            }
            engine.run();
            (void)cache->flush();
        });
        std::printf("%-6s calls=%d j=%d ok=%lld cached=%lld wall=%.2fs cpu=%.2fs (%.3f cpu-s per "
                    "1000) max_rss=%.1fMB\n",
                    pass, calls, jobs, static_cast<long long>(ok), static_cast<long long>(hits),
                    u.wall_s, u.cpu_s, u.cpu_s * 1000.0 / calls, u.max_rss_kb / 1024.0);
        if (!latencies.empty()) {
            // A server delay of 50 ms should give latencies just above 50 ms; a p99 near 1000 ms
            // is TCP retransmitting a dropped connect (see `serve`).
            std::sort(latencies.begin(), latencies.end());
            auto at = [&](double q) {
                return latencies[static_cast<size_t>(q *
                                                     static_cast<double>(latencies.size() - 1))];
            };
            std::printf("       latency ms: p50=%.1f p90=%.1f p99=%.1f max=%.1f\n", at(0.5),
                        at(0.9), at(0.99), at(1.0));
        }
        std::fflush(stdout);
    }
    return 0;
}

// The few libcurl functions the client uses, opened at run time as provider/http.cpp opens them
// (the benchmark links no libcurl of its own).
struct CurlApi {
    decltype(&::curl_global_init) global_init = nullptr;
    decltype(&::curl_easy_init) easy_init = nullptr;
    decltype(&::curl_easy_setopt) easy_setopt = nullptr;
    decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&::curl_slist_append) slist_append = nullptr;
    decltype(&::curl_multi_init) multi_init = nullptr;
    decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
    decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
    decltype(&::curl_multi_perform) multi_perform = nullptr;
    decltype(&::curl_multi_poll) multi_poll = nullptr;
    decltype(&::curl_multi_info_read) multi_info_read = nullptr;
    decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;

    bool open() {
        void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            return false;
        }
        bool ok = true;
        const auto load = [&](auto& function, const char* name) {
            void* symbol = ::dlsym(lib, name);
            ok = ok && symbol != nullptr;
            std::memcpy(&function, &symbol, sizeof function);
        };
        load(global_init, "curl_global_init");
        load(easy_init, "curl_easy_init");
        load(easy_setopt, "curl_easy_setopt");
        load(easy_getinfo, "curl_easy_getinfo");
        load(easy_cleanup, "curl_easy_cleanup");
        load(slist_append, "curl_slist_append");
        load(multi_init, "curl_multi_init");
        load(multi_add_handle, "curl_multi_add_handle");
        load(multi_remove_handle, "curl_multi_remove_handle");
        load(multi_perform, "curl_multi_perform");
        load(multi_poll, "curl_multi_poll");
        load(multi_info_read, "curl_multi_info_read");
        load(multi_cleanup, "curl_multi_cleanup");
        return ok && global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    }
};

size_t append_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

// One keep-alive connection of the client: its easy handle, reused for every request it sends.
struct Slot {
    CURL* easy = nullptr;
    std::string body;     // the request
    std::string response; // the answer, read whole
};

// Hands `slot` its next request (the question numbered `i`, as the eval benchmark's suite asks it).
void send_next(const CurlApi& api, CURLM* multi, Slot& slot, int i) {
    const json body = {
        {"model", "gpt-4o-mini"},
        {"messages", {{{"role", "user"}, {"content", "Q: question " + std::to_string(i)}}}}};
    slot.body = body.dump();
    slot.response.clear();
    api.easy_setopt(slot.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(slot.body.size()));
    api.easy_setopt(slot.easy, CURLOPT_POSTFIELDS, slot.body.c_str());
    api.multi_add_handle(multi, slot.easy);
}

int client(const std::string& base_url, int calls, int jobs) {
    CurlApi api;
    if (!api.open()) {
        std::fprintf(stderr, "cannot load libcurl.so.4\n");
        return 1;
    }
    const std::string url = base_url + "/chat/completions";
    curl_slist* headers = api.slist_append(nullptr, "content-type: application/json");
    headers = api.slist_append(headers, "authorization: Bearer sk-bench");
    headers = api.slist_append(headers, "Expect:");
    CURLM* multi = api.multi_init();
    std::vector<Slot> slots(static_cast<size_t>(std::max(1, std::min(jobs, calls))));
    int sent = 0;
    int ok = 0;
    int failed = 0;
    const Usage u = measure([&] {
        for (auto& slot : slots) {
            slot.easy = api.easy_init();
            api.easy_setopt(slot.easy, CURLOPT_URL, url.c_str());
            api.easy_setopt(slot.easy, CURLOPT_HTTPHEADER, headers);
            api.easy_setopt(slot.easy, CURLOPT_NOPROXY, "*");
            api.easy_setopt(slot.easy, CURLOPT_ACCEPT_ENCODING, ""); // as llmops accepts
            api.easy_setopt(slot.easy, CURLOPT_WRITEFUNCTION, append_body);
            api.easy_setopt(slot.easy, CURLOPT_WRITEDATA, &slot.response);
            api.easy_setopt(slot.easy, CURLOPT_PRIVATE, &slot);
            send_next(api, multi, slot, sent++);
        }
        for (int running = 1; ok + failed < calls;) {
            api.multi_perform(multi, &running);
            int left = 0;
            bool added = false;
            while (CURLMsg* m = api.multi_info_read(multi, &left)) {
                if (m->msg != CURLMSG_DONE) {
                    continue;
                }
                CURL* easy = m->easy_handle;
                long status = 0;
                api.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
                (m->data.result == CURLE_OK && status == 200 ? ok : failed) += 1;
                Slot* slot = nullptr;
                api.easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
                api.multi_remove_handle(multi, easy);
                if (sent < calls) {
                    send_next(api, multi, *slot, sent++);
                    added = true;
                }
            }
            // A request just added is sent by the next perform, not by waiting for a socket.
            if (!added && ok + failed < calls) {
                api.multi_poll(multi, nullptr, 0, 1000, nullptr);
            }
        }
    });
    for (auto& slot : slots) {
        api.easy_cleanup(slot.easy);
    }
    api.multi_cleanup(multi);
    std::printf("client calls=%d j=%d ok=%d failed=%d wall=%.3fs cpu=%.3fs max_rss=%.1fMB\n", calls,
                jobs, ok, failed, u.wall_s, u.cpu_s, u.max_rss_kb / 1024.0);
    return failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "serve" && argc == 4) {
        return serve(std::atoi(argv[2]), std::atoi(argv[3]));
    }
    if (mode == "run" && argc == 6) {
        return run(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
    }
    if (mode == "client" && argc == 5) {
        return client(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
    }
    std::fprintf(stderr, "usage: llmops_bench_engine serve PORT DELAY_MS\n"
                         "       llmops_bench_engine run BASE_URL CALLS JOBS CACHE_DB\n"
                         "       llmops_bench_engine client BASE_URL CALLS JOBS\n");
    return 2;
}
