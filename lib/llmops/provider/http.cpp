#include <llmops/provider/http.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>
#include <stdexcept>
#include <string>

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <llmops/util/dynamic_library.hpp>

namespace llmops::provider {

namespace {

// How often `run` polls `should_stop` while transfers are quiet.
constexpr int k_stop_poll_ms = 50;

CURLM* multi_of(void* handle) {
    return static_cast<CURLM*>(handle);
}

// libcurl is opened when the first HTTP engine is made, not when llmops starts: on Debian it
// brings in some 30 shared objects (TLS, LDAP, Kerberos, SSH, ...) whose loading costs ~5 ms at
// every start, which most commands (`--version` has 5 ms in SPEC §13, the prompt store, reports)
// never need. curl's headers still give every call its type. Loading fails with a message to
// install the library; it cannot happen where setup.sh built llmops.
struct Curl {
    decltype(&::curl_global_init) global_init = nullptr;
    decltype(&::curl_url_set) url_set = nullptr;
    decltype(&::curl_url_get) url_get = nullptr;
    decltype(&::curl_url_cleanup) url_cleanup = nullptr;
    decltype(&::curl_url) url = nullptr;
    decltype(&::curl_free) free = nullptr;
    decltype(&::curl_getdate) getdate = nullptr;
    decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&::curl_easy_reset) easy_reset = nullptr;
    decltype(&::curl_easy_setopt) easy_setopt = nullptr;
    decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&::curl_easy_strerror) easy_strerror = nullptr;
    decltype(&::curl_easy_init) easy_init = nullptr;
    decltype(&::curl_slist_append) slist_append = nullptr;
    decltype(&::curl_slist_free_all) slist_free_all = nullptr;
    decltype(&::curl_multi_init) multi_init = nullptr;
    decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
    decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
    decltype(&::curl_multi_poll) multi_poll = nullptr;
    decltype(&::curl_multi_wakeup) multi_wakeup = nullptr;
    decltype(&::curl_multi_perform) multi_perform = nullptr;
    decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
    decltype(&::curl_multi_info_read) multi_info_read = nullptr;
};

const Curl& curl() {
    static const Curl k_api = [] {
        void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            throw std::runtime_error(fmt::format(
                "cannot load libcurl ({}): install Debian's libcurl4 package", ::dlerror()));
        }
        Curl api;
        const auto load = [lib](auto& function, const char* name) {
            if (!util::resolve_symbol(lib, name, function)) {
                throw std::runtime_error(
                    fmt::format("libcurl.so.4 has no {}: it is older than llmops needs", name));
            }
        };
        load(api.global_init, "curl_global_init");
        load(api.url_set, "curl_url_set");
        load(api.url_get, "curl_url_get");
        load(api.url_cleanup, "curl_url_cleanup");
        load(api.url, "curl_url");
        load(api.free, "curl_free");
        load(api.getdate, "curl_getdate");
        load(api.easy_cleanup, "curl_easy_cleanup");
        load(api.easy_reset, "curl_easy_reset");
        load(api.easy_setopt, "curl_easy_setopt");
        load(api.easy_getinfo, "curl_easy_getinfo");
        load(api.easy_strerror, "curl_easy_strerror");
        load(api.easy_init, "curl_easy_init");
        load(api.slist_append, "curl_slist_append");
        load(api.slist_free_all, "curl_slist_free_all");
        load(api.multi_init, "curl_multi_init");
        load(api.multi_remove_handle, "curl_multi_remove_handle");
        load(api.multi_cleanup, "curl_multi_cleanup");
        load(api.multi_poll, "curl_multi_poll");
        load(api.multi_wakeup, "curl_multi_wakeup");
        load(api.multi_perform, "curl_multi_perform");
        load(api.multi_add_handle, "curl_multi_add_handle");
        load(api.multi_info_read, "curl_multi_info_read");
        // Not thread-safe, and needed once before any other call: this static runs it once.
        api.global_init(CURL_GLOBAL_DEFAULT);
        return api;
    }();
    return k_api;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

// The host part of `url` as curl parses it ("127.0.0.1", "localhost", "[::1]"), or "" when the
// URL does not parse (curl then reports the error itself).
std::string host_of(const std::string& url) {
    CURLU* parsed = curl().url();
    if (parsed == nullptr) {
        return {};
    }
    std::string host;
    char* part = nullptr;
    if (curl().url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl().url_get(parsed, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
        host = part;
        curl().free(part);
    }
    curl().url_cleanup(parsed);
    return host;
}

// Loopback traffic (tests, a local Ollama) never goes through a proxy, so an http_proxy
// variable in the environment cannot hijack or leak it.
bool is_loopback(const std::string& host) {
    std::string lower = lowercase(host);
    return lower == "localhost" || lower == "[::1]" || lower.starts_with("127.");
}

// How a curl failure reads and whether it is worth another attempt. Messages never include
// the URL or headers (a URL may carry an API key in its query string).
struct TransportFailure {
    CURLcode code;
    const char* message;
    bool retryable;
};

constexpr TransportFailure k_failures[] = {
    {CURLE_COULDNT_RESOLVE_PROXY, "could not resolve the proxy host", true},
    {CURLE_PARTIAL_FILE, "connection closed before the whole body arrived", true},
    {CURLE_GOT_NOTHING, "connection closed before any response arrived", true},
    {CURLE_SEND_ERROR, "connection lost while sending the request", true},
    {CURLE_RECV_ERROR, "connection lost while receiving the response", true},
    {CURLE_SSL_CONNECT_ERROR, "tls handshake failed", true},
    {CURLE_HTTP2, "http/2 protocol error", true},
    {CURLE_HTTP2_STREAM, "http/2 stream error", true},
    {CURLE_PEER_FAILED_VERIFICATION, "tls certificate verification failed", false},
    {CURLE_URL_MALFORMAT, "malformed url", false},
    {CURLE_UNSUPPORTED_PROTOCOL, "unsupported url scheme (use http or https)", false},
    {CURLE_BAD_CONTENT_ENCODING, "could not decode the compressed response body", false},
    {CURLE_OUT_OF_MEMORY, "out of memory", false},
};

} // namespace

bool is_retryable_status(long status) {
    return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

std::optional<int64_t> parse_retry_after_ms(std::string_view value,
                                            std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        // Anything past a day is capped by the policy anyway; this keeps the product in range.
        if (value.size() > 9) {
            return int64_t{999999999} * 1000;
        }
        return std::stoll(std::string(value)) * 1000;
    }
    // An HTTP date (RFC 9110 §10.2.3), e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
    std::string text(value);
    time_t when = curl().getdate(text.c_str(), nullptr);
    if (when == -1) {
        return std::nullopt;
    }
    auto delta = std::chrono::system_clock::from_time_t(when) - now;
    return std::max<int64_t>(0,
                             std::chrono::duration_cast<std::chrono::milliseconds>(delta).count());
}

// One request's state across its attempts; the easy handle and header list belong to the
// current attempt.
struct detail::HttpJob {
    using Clock = std::chrono::steady_clock;

    HttpRequest request;
    RetryPolicy retry;
    HttpCallback done;
    std::string host;
    int attempts = 0;
    Clock::time_point ready_at{}; // when a waiting job may be retried
    HttpResponse response;        // the current attempt's, or the last one's while waiting
    Clock::time_point started{};
    bool too_large = false;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;

    ~HttpJob() { release_transfer(); }

    void release_transfer() {
        if (easy != nullptr) {
            curl().easy_cleanup(easy);
            easy = nullptr;
        }
        if (header_list != nullptr) {
            curl().slist_free_all(header_list);
            header_list = nullptr;
        }
    }

    double elapsed_ms() const {
        return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    }
};

namespace {

using Job = detail::HttpJob;

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* job = static_cast<Job*>(user);
    size_t bytes = size * count;
    if (bytes > 0 && !job->response.first_byte_ms) {
        job->response.first_byte_ms = job->elapsed_ms();
    }
    if (static_cast<int64_t>(job->response.body.size() + bytes) > job->request.max_response_bytes) {
        job->too_large = true;
        return 0; // makes curl abort the transfer with CURLE_WRITE_ERROR
    }
    job->response.body.append(data, bytes);
    return bytes;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* job = static_cast<Job*>(user);
    size_t bytes = size * count;
    std::string_view line = trim(std::string_view(data, bytes));
    if (line.starts_with("HTTP/")) {
        // A new response starts (after a 100 Continue, say): forget the previous one's headers.
        job->response.headers.clear();
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        job->response.headers.emplace_back(lowercase(trim(line.substr(0, colon))),
                                           std::string(trim(line.substr(colon + 1))));
    }
    return bytes;
}

bool has_header(const HttpRequest& request, std::string_view name) {
    return std::any_of(request.headers.begin(), request.headers.end(),
                       [&](const auto& header) { return lowercase(header.first) == name; });
}

curl_slist* build_header_list(const HttpRequest& request) {
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
        // curl drops "Name:" (no value); "Name;" is its way to send an empty header.
        std::string line = value.empty() ? name + ";" : name + ": " + value;
        list = curl().slist_append(list, line.c_str());
    }
    // curl otherwise sends "Expect: 100-continue" for bodies over 1 KiB and waits up to a second
    // for servers that ignore it.
    if (!has_header(request, "expect")) {
        list = curl().slist_append(list, "Expect:");
    }
    return list;
}

void set_method(CURL* easy, const HttpRequest& request) {
    const std::string& method = request.method;
    if (method == "GET") {
        curl().easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (method == "HEAD") {
        curl().easy_setopt(easy, CURLOPT_NOBODY, 1L);
        return;
    }
    if (method != "POST") {
        curl().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
        if (request.body.empty()) {
            return;
        }
    }
    // Always set the body for POST, even an empty one, or curl reads it from stdin.
    curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    curl().easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
}

void configure(CURL* easy, Job& job) {
    const HttpRequest& request = job.request;
    curl().easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl().easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl().easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
    // Rejects a too-large body early when the server announces its length; the write callback
    // catches the rest (chunked or compressed bodies).
    curl().easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.max_response_bytes));
    curl().easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (is_loopback(job.host)) {
        curl().easy_setopt(easy, CURLOPT_NOPROXY, "*");
    }
    set_method(easy, request);
    curl().easy_setopt(easy, CURLOPT_HTTPHEADER, job.header_list);
    curl().easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl().easy_setopt(easy, CURLOPT_WRITEDATA, &job);
    curl().easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl().easy_setopt(easy, CURLOPT_HEADERDATA, &job);
    curl().easy_setopt(easy, CURLOPT_PRIVATE, &job);
}

std::string os_error(long os_errno) {
    std::string text = lowercase(std::strerror(static_cast<int>(os_errno)));
    return text;
}

// The message for a failed transfer and whether to retry it.
std::pair<std::string, bool> describe_failure(CURLcode code, const Job& job) {
    long os_errno = 0;
    curl().easy_getinfo(job.easy, CURLINFO_OS_ERRNO, &os_errno);
    if (job.too_large || code == CURLE_FILESIZE_EXCEEDED) {
        return {fmt::format("response larger than {} bytes", job.request.max_response_bytes),
                false};
    }
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return {fmt::format("timed out after {} ms", job.request.timeout_ms), true};
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED) {
            return {"connection refused", true};
        }
        return {os_errno != 0 ? "could not connect: " + os_error(os_errno) : "could not connect",
                true};
    case CURLE_COULDNT_RESOLVE_HOST:
        return {fmt::format("could not resolve host '{}'", job.host), true};
    case CURLE_RECV_ERROR:
        if (os_errno == ECONNRESET) {
            return {"connection reset by the server", true};
        }
        break;
    default: break;
    }
    for (const TransportFailure& failure : k_failures) {
        if (failure.code == code) {
            return {failure.message, failure.retryable};
        }
    }
    return {lowercase(curl().easy_strerror(code)), false};
}

} // namespace

HttpEngine::HttpEngine(int max_concurrency)
    : m_max_concurrency(std::max(1, max_concurrency)), m_random(std::random_device{}()) {
    (void)curl(); // loads libcurl on the first engine
    m_multi = curl().multi_init();
    if (m_multi == nullptr) {
        throw std::bad_alloc();
    }
}

HttpEngine::~HttpEngine() {
    for (auto& job : m_active) {
        curl().multi_remove_handle(multi_of(m_multi), job->easy);
    }
    m_active.clear();
    for (void* easy : m_spare_handles) {
        curl().easy_cleanup(static_cast<CURL*>(easy));
    }
    curl().multi_cleanup(multi_of(m_multi));
}

void HttpEngine::submit(HttpRequest request, RetryPolicy retry, HttpCallback done) {
    auto job = std::make_unique<Job>();
    if (request.url != m_last_url) {
        m_last_url = request.url;
        m_last_host = host_of(request.url);
    }
    job->host = m_last_host;
    job->request = std::move(request);
    job->retry = retry;
    job->done = std::move(done);
    m_queued.push_back(std::move(job));
}

void HttpEngine::run(const std::function<bool()>& should_stop) {
    m_stopping = false; // a callback's exception may have left the last run stopping
    for (;;) {
        if (!m_stopping && should_stop && should_stop()) {
            stop();
        }
        if (m_stopping) {
            cancel_waiting();
        }
        start_ready_jobs(Clock::now());
        if (idle()) {
            break;
        }
        step(k_stop_poll_ms);
    }
    m_stopping = false;
}

void HttpEngine::stop() {
    m_stopping = true;
    cancel_waiting();
}

void HttpEngine::sleep(int max_wait_ms) {
    curl().multi_poll(multi_of(m_multi), nullptr, 0, std::max(0, max_wait_ms), nullptr);
}

void HttpEngine::wakeup() {
    curl().multi_wakeup(multi_of(m_multi));
}

void HttpEngine::step(int max_wait_ms) {
    if (m_stopping) {
        cancel_waiting();
    }
    start_ready_jobs(Clock::now());
    int running = 0;
    curl().multi_perform(multi_of(m_multi), &running);
    const int finished = collect_finished();
    // Callbacks may have queued more work: start it before sleeping.
    start_ready_jobs(Clock::now());
    if (idle() || finished > 0) {
        return; // the caller may have work to hand over now
    }
    // Waits for socket activity, curl's own timers, the next retry, `max_wait_ms` or a wakeup,
    // whichever comes first; with nothing in flight this is a plain sleep.
    const int wait = std::min(std::max(0, max_wait_ms), poll_timeout_ms(Clock::now()));
    curl().multi_poll(multi_of(m_multi), nullptr, 0, wait, nullptr);
}

void HttpEngine::cancel_waiting() {
    // Callbacks may submit more work, which is cancelled too: loop until both lists are empty.
    while (!m_queued.empty() || !m_waiting.empty()) {
        std::unique_ptr<Job> job;
        HttpResponse response;
        if (!m_queued.empty()) {
            job = std::move(m_queued.front());
            m_queued.pop_front();
            response.transport_error = "cancelled";
            response.attempts = 0;
        } else {
            job = std::move(m_waiting.back());
            m_waiting.pop_back();
            response = std::move(job->response);
        }
        HttpCallback done = std::move(job->done);
        job.reset();
        done(std::move(response));
    }
}

void HttpEngine::start_ready_jobs(Clock::time_point now) {
    // Retries whose time has come go first: they have waited longest.
    while (static_cast<int>(m_active.size()) < m_max_concurrency) {
        auto ready = std::find_if(m_waiting.begin(), m_waiting.end(),
                                  [&](const auto& job) { return job->ready_at <= now; });
        if (ready != m_waiting.end()) {
            std::unique_ptr<Job> job = std::move(*ready);
            m_waiting.erase(ready);
            start(std::move(job));
        } else if (!m_queued.empty()) {
            std::unique_ptr<Job> job = std::move(m_queued.front());
            m_queued.pop_front();
            start(std::move(job));
        } else {
            break;
        }
    }
}

void HttpEngine::start(std::unique_ptr<Job> job) {
    ++job->attempts;
    job->response = HttpResponse{};
    job->too_large = false;
    if (!m_spare_handles.empty()) {
        job->easy = static_cast<CURL*>(m_spare_handles.back());
        m_spare_handles.pop_back();
    } else {
        job->easy = curl().easy_init();
    }
    if (job->easy == nullptr) {
        finish_attempt(std::move(job), CURLE_OUT_OF_MEMORY);
        return;
    }
    job->header_list = build_header_list(job->request);
    configure(job->easy, *job);
    job->started = Clock::now();
    if (curl().multi_add_handle(multi_of(m_multi), job->easy) != CURLM_OK) {
        finish_attempt(std::move(job), CURLE_OUT_OF_MEMORY);
        return;
    }
    m_active.push_back(std::move(job));
}

int HttpEngine::collect_finished() {
    int finished = 0;
    int left = 0;
    while (CURLMsg* message = curl().multi_info_read(multi_of(m_multi), &left)) {
        if (message->msg != CURLMSG_DONE) {
            continue;
        }
        CURL* easy = message->easy_handle;
        CURLcode code = message->data.result; // read before remove_handle invalidates `message`
        curl().multi_remove_handle(multi_of(m_multi), easy);
        auto it = std::find_if(m_active.begin(), m_active.end(),
                               [&](const auto& job) { return job->easy == easy; });
        if (it == m_active.end()) {
            continue;
        }
        std::unique_ptr<Job> job = std::move(*it);
        m_active.erase(it);
        finish_attempt(std::move(job), code);
        ++finished;
    }
    return finished;
}

void HttpEngine::finish_attempt(std::unique_ptr<Job> job, int curl_code) {
    auto code = static_cast<CURLcode>(curl_code);
    HttpResponse& response = job->response;
    response.attempts = job->attempts;
    response.latency_ms = job->elapsed_ms();
    bool retryable = false;
    if (code == CURLE_OK) {
        curl().easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &response.status);
        retryable = is_retryable_status(response.status);
    } else {
        auto [message, retry] = job->easy != nullptr
                                    ? describe_failure(code, *job)
                                    : std::pair<std::string, bool>{"out of memory", false};
        response.status = 0;
        response.headers.clear();
        response.body.clear();
        response.transport_error = std::move(message);
        retryable = retry;
    }
    if (job->easy != nullptr && m_spare_handles.size() < static_cast<size_t>(m_max_concurrency)) {
        // Its options back to the defaults (the connection stays in the multi handle's pool).
        curl().easy_reset(job->easy);
        m_spare_handles.push_back(job->easy);
        job->easy = nullptr;
    }
    job->release_transfer();
    if (retryable && !m_stopping && job->attempts <= job->retry.max_retries) {
        job->ready_at = Clock::now() + std::chrono::milliseconds(backoff_ms(*job, response));
        m_waiting.push_back(std::move(job));
        return;
    }
    HttpResponse final_response = std::move(response);
    HttpCallback done = std::move(job->done);
    job.reset();
    done(std::move(final_response));
}

int64_t HttpEngine::backoff_ms(const Job& job, const HttpResponse& response) {
    const RetryPolicy& policy = job.retry;
    if (response.status != 0) {
        for (const auto& [name, value] : response.headers) {
            if (name == "retry-after") {
                if (auto wait = parse_retry_after_ms(value, std::chrono::system_clock::now())) {
                    return std::min(*wait, policy.max_delay_ms);
                }
            }
        }
    }
    // Full jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
    // spreads the retries of many concurrent requests instead of synchronising them.
    int shift = std::clamp(job.attempts - 1, 0, 30);
    int64_t ceiling =
        std::min(policy.max_delay_ms, std::max<int64_t>(0, policy.base_delay_ms) << shift);
    if (ceiling <= 0) {
        return 0;
    }
    return std::uniform_int_distribution<int64_t>(0, ceiling)(m_random);
}

int HttpEngine::poll_timeout_ms(Clock::time_point now) const {
    int64_t timeout = k_stop_poll_ms;
    if (!m_queued.empty() && static_cast<int>(m_active.size()) < m_max_concurrency) {
        return 0;
    }
    if (static_cast<int>(m_active.size()) < m_max_concurrency) {
        for (const auto& job : m_waiting) {
            auto until = std::chrono::duration_cast<std::chrono::milliseconds>(job->ready_at - now);
            timeout = std::min<int64_t>(timeout, std::max<int64_t>(0, until.count()));
        }
    }
    return static_cast<int>(timeout);
}

} // namespace llmops::provider
