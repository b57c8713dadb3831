// The OTLP/HTTP JSON exporter (https://opentelemetry.io/docs/specs/otlp/#otlphttp): POST
// ExportTraceServiceRequest documents with Content-Type application/json; 429, 502, 503 and 504
// are retryable, with Retry-After honoured
// (https://opentelemetry.io/docs/specs/otlp/#otlphttp-throttling). The environment variables are
// the SDKs' (https://opentelemetry.io/docs/specs/otel/protocol/exporter/).
//
// HTTP client: cpp-httplib's, through the HTTP plugin (http_api.hpp; opened at the first POST),
// not libcurl. llmops opens libcurl at run time inside the provider module's HTTP engine
// (provider/http.cpp), whose multi loop belongs to the calls; `traces serve` already needs
// cpp-httplib, and one blocking POST at a time on the exporter's own thread is all this needs. Its
// `stop()` aborts a request in flight from another thread, which is how `finish` keeps its flush
// limit against a collector that hangs.

#include <llmops/traces/exporter.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/traces/http_server.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        int value = 0;
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2])) &&
            std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16).ec == std::errc()) {
            out += static_cast<char>(value);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t");
    return std::string(s.substr(first, last - first + 1));
}

// `k=v,k2=v2` (the W3C baggage format the SDKs read), appended to `out`. Errors name the
// variable and the entry's position, never its text: a header is often a token.
Expected<void> parse_headers(std::string_view name, std::string_view text,
                             std::vector<std::pair<std::string, std::string>>& out) {
    size_t position = 0;
    while (!text.empty()) {
        ++position;
        const auto comma = text.find(',');
        const std::string_view entry = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        if (trim(entry).empty()) {
            continue;
        }
        const auto eq = entry.find('=');
        const std::string key = eq == std::string_view::npos ? "" : trim(entry.substr(0, eq));
        if (key.empty()) {
            return fail(ErrorCode::invalid_input,
                        "{}: entry {} is not key=value (expected key=value,key2=value2)", name,
                        position);
        }
        std::erase_if(out, [&](const auto& h) { return lower(h.first) == lower(key); });
        out.emplace_back(key, percent_decode(trim(entry.substr(eq + 1))));
    }
    return {};
}

Expected<std::optional<std::chrono::milliseconds>> millis(const Getenv& getenv,
                                                          std::string_view name) {
    const auto text = getenv(name);
    if (!text || text->empty()) {
        return std::optional<std::chrono::milliseconds>();
    }
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
    if (ec != std::errc() || end != text->data() + text->size() || ms <= 0) {
        return fail(ErrorCode::invalid_input, "{} '{}': not a positive number of milliseconds",
                    name, *text);
    }
    return std::optional(std::chrono::milliseconds(ms));
}

bool http_url(std::string_view url) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme) {
            return true;
        }
    }
    return false;
}

// `scheme://host[:port]` and the path (with its query) of `url`.
std::pair<std::string, std::string> split_url(const std::string& url) {
    const auto host = url.find("://") + 3;
    const auto slash = url.find('/', host);
    if (slash == std::string::npos) {
        return {url, "/"};
    }
    return {url.substr(0, slash), url.substr(slash)};
}

// The endpoint from the flag or the environment, with the name to show in errors.
std::optional<std::pair<std::string, std::string>> endpoint(const std::optional<std::string>& flag,
                                                            const Getenv& getenv) {
    if (flag) {
        return std::pair(*flag, std::string("--otlp-endpoint"));
    }
    if (auto traces = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); traces && !traces->empty()) {
        return std::pair(*traces, std::string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    }
    if (auto base = getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base && !base->empty()) {
        std::string url = *base;
        while (!url.empty() && url.back() == '/') {
            url.pop_back();
        }
        return std::pair(url + "/v1/traces", std::string("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }
    return std::nullopt;
}

} // namespace

Expected<std::optional<ExportTarget>> otlp_target(const std::optional<std::string>& flag,
                                                  const Getenv& getenv) {
    auto where = endpoint(flag, getenv);
    if (!where) {
        return std::optional<ExportTarget>();
    }
    if (!http_url(where->first)) {
        return fail(ErrorCode::invalid_input, "{} '{}': not an http:// or https:// URL",
                    where->second, util::sanitize_url(where->first));
    }
    ExportTarget target;
    target.url = where->first;
    for (std::string_view name :
         {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
        if (auto text = getenv(name)) {
            LLMOPS_TRY(parse_headers(name, *text, target.headers));
        }
    }
    for (std::string_view name :
         {"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"}) {
        if (auto ms = LLMOPS_TRY(millis(getenv, name))) {
            target.request_timeout = *ms;
        }
    }
    if (auto ms = LLMOPS_TRY(millis(getenv, "OTEL_BSP_EXPORT_TIMEOUT"))) {
        target.flush_limit = *ms;
    }
    return std::optional(std::move(target));
}

// What the caller's thread and the exporter's share, under `mutex`.
struct SpanExporter::Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Item> queue;
    bool finishing = false;
    bool aborted = false;           // past the flush limit: stop now
    Clock::time_point deadline;     // set with `finishing`
    http::Client* client = nullptr; // while a request may be in flight
    ExportOutcome outcome;
    bool unhealthy = false; // the last batch failed every attempt
    bool done = false;      // the thread has nothing left to do
};

SpanExporter::SpanExporter(ExportTarget target, Content content,
                           const std::vector<std::string>& secrets)
    : m_target(std::move(target)), m_content(content), m_shared(std::make_shared<Shared>()) {
    std::vector<std::string> all = secrets;
    for (const auto& [key, value] : m_target.headers) {
        all.push_back(value);
    }
    for (const auto& s : util::url_secrets(m_target.url)) {
        all.push_back(s);
    }
    m_redactor = util::Redactor(all, util::Redactor::Short::kept);
    m_thread = std::thread([this] { work(); });
}

SpanExporter::~SpanExporter() {
    (void)finish();
}

std::string SpanExporter::display_url() const {
    return util::sanitize_url(m_target.url);
}

void SpanExporter::add(const SpanRun& run, const store::VariantRecord& variant,
                       const store::ResultRecord& result) {
    // The copy is made outside the lock; what the spans do not carry is not kept.
    Item item{run, variant, result};
    if (m_content == Content::off) {
        store::ResultRecord& r = item.result;
        const bool failed_call = r.status == "error" && !r.output;
        if (r.output) {
            r.output.emplace();
        }
        r.prompt.clear();
        r.vars = nlohmann::json::object();
        if (!failed_call) { // a failed call's error is its span's status message
            r.reason.clear();
        }
    }
    std::unique_lock lock(m_shared->mutex);
    if (m_shared->finishing) {
        return;
    }
    if (m_shared->queue.size() >= k_max_queue) {
        m_shared->outcome.not_exported += 1 + std::max<int64_t>(0, result.judge_calls);
        m_shared->outcome.reason = fmt::format(
            "more than {} results waiting (the collector is slower than the run)", k_max_queue);
        return;
    }
    m_shared->queue.push_back(std::move(item));
    lock.unlock();
    m_shared->wake.notify_one();
}

void SpanExporter::give_up(int64_t spans, const std::string& reason) {
    std::lock_guard lock(m_shared->mutex);
    m_shared->outcome.not_exported += spans;
    m_shared->outcome.reason = reason;
}

void SpanExporter::work() {
    std::vector<json> batch;
    Clock::time_point first_at;
    std::unique_lock lock(m_shared->mutex);
    for (;;) {
        const auto due = first_at + k_batch_delay;
        m_shared->wake.wait_until(lock, batch.empty() ? Clock::now() + std::chrono::hours(1) : due,
                                  [&] {
                                      return !m_shared->queue.empty() || m_shared->finishing ||
                                             (!batch.empty() && Clock::now() >= due);
                                  });
        std::deque<Item> items;
        items.swap(m_shared->queue);
        const bool finishing = m_shared->finishing;
        lock.unlock();
        for (auto& item : items) {
            if (batch.empty()) {
                first_at = Clock::now();
            }
            try {
                for (auto& span : result_spans(item.run, item.variant, item.result, m_content)) {
                    m_redactor.redact_json(span);
                    batch.push_back(std::move(span));
                }
            } catch (const std::exception& e) { // nothing may escape the thread: count it
                give_up(1, fmt::format("a span could not be built: {}", e.what()));
            }
        }
        while (batch.size() >= k_max_batch ||
               (!batch.empty() && (finishing || Clock::now() >= first_at + k_batch_delay))) {
            const size_t n = std::min(batch.size(), k_max_batch);
            std::vector<json> chunk(std::make_move_iterator(batch.begin()),
                                    std::make_move_iterator(batch.begin() + static_cast<long>(n)));
            batch.erase(batch.begin(), batch.begin() + static_cast<long>(n));
            first_at = Clock::now();
            send(chunk);
        }
        lock.lock();
        if (finishing && m_shared->queue.empty() && batch.empty()) {
            m_shared->done = true;
            m_shared->wake.notify_all();
            return;
        }
    }
}

bool SpanExporter::wait_backoff(std::chrono::milliseconds delay) {
    std::unique_lock lock(m_shared->mutex);
    auto until = Clock::now() + delay;
    if (m_shared->finishing) {
        until = std::min(until, m_shared->deadline);
    }
    m_shared->wake.wait_until(lock, until, [&] { return m_shared->aborted; });
    return !m_shared->aborted && !(m_shared->finishing && Clock::now() >= m_shared->deadline);
}

bool SpanExporter::send(std::vector<json>& batch) {
    const auto spans = static_cast<int64_t>(batch.size());
    const std::string body =
        otlp_request(std::move(batch)).dump(-1, ' ', false, json::error_handler_t::replace);
    batch.clear();
    bool unhealthy = false;
    {
        std::lock_guard lock(m_shared->mutex);
        if (m_shared->aborted) {
            m_shared->outcome.not_exported += spans;
            m_shared->outcome.reason = "the flush limit was reached";
            return false;
        }
        unhealthy = m_shared->unhealthy;
    }
    std::chrono::milliseconds backoff = k_first_backoff;
    std::string reason;
    const int attempts = unhealthy ? 1 : k_max_attempts;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        std::chrono::milliseconds retry_after{0};
        bool retryable = false;
        if (post_once(body, reason, retry_after, retryable)) {
            std::lock_guard lock(m_shared->mutex);
            m_shared->outcome.exported += spans;
            m_shared->unhealthy = false;
            return true;
        }
        if (!retryable || attempt == attempts ||
            !wait_backoff(std::min(std::max(backoff, retry_after), k_max_backoff))) {
            break;
        }
        backoff *= 2;
    }
    give_up(spans, reason);
    std::lock_guard lock(m_shared->mutex);
    m_shared->unhealthy = true;
    return false;
}

bool SpanExporter::post_once(const std::string& body, std::string& reason,
                             std::chrono::milliseconds& retry_after, bool& retryable) {
    const auto plugin = load_http_plugin();
    if (!plugin) {
        reason = plugin.error().message(); // not retryable: nothing was sent
        return false;
    }
    const auto [origin, path] = split_url(m_target.url);
    const auto client = (*plugin)->make_client(origin, m_target.request_timeout);
    {
        std::lock_guard lock(m_shared->mutex);
        if (m_shared->aborted) {
            reason = "the flush limit was reached";
            return false;
        }
        m_shared->client = client.get();
        ++m_shared->outcome.requests;
    }
    const auto res = client->post(path, m_target.headers, body, "application/json");
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->client = nullptr;
        if (m_shared->aborted) {
            reason = "the flush limit was reached";
            return false;
        }
    }
    if (res.status == 0) {
        reason = res.failure;
        retryable = true;
        return false;
    }
    if (res.status >= 200 && res.status < 300) {
        return true;
    }
    reason = fmt::format("HTTP {}", res.status);
    retryable = res.status == 429 || res.status == 502 || res.status == 503 || res.status == 504;
    int64_t seconds = 0;
    const std::string& after = res.retry_after;
    if (std::from_chars(after.data(), after.data() + after.size(), seconds).ec == std::errc() &&
        seconds > 0) {
        retry_after = std::chrono::seconds(std::min<int64_t>(seconds, 60));
    }
    return false;
}

ExportOutcome SpanExporter::finish() {
    if (m_outcome) {
        return *m_outcome;
    }
    std::unique_lock lock(m_shared->mutex);
    m_shared->finishing = true;
    m_shared->deadline = Clock::now() + m_target.flush_limit;
    m_shared->wake.notify_all();
    if (!m_shared->wake.wait_until(lock, m_shared->deadline, [&] { return m_shared->done; })) {
        // Past the flush limit the request in flight is cut (its socket shut down) and what is
        // left is counted as not exported.
        m_shared->aborted = true;
        if (m_shared->client != nullptr) {
            m_shared->client->stop();
        }
        m_shared->wake.notify_all();
    }
    lock.unlock();
    m_thread.join();
    m_outcome = m_shared->outcome;
    return *m_outcome;
}

} // namespace llmops::traces
