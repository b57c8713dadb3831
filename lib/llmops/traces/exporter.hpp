#pragma once
// The live OTLP/HTTP JSON export of an eval's calls (SPEC §15, docs/otlp.md): where to send
// (`--otlp-endpoint` or the OpenTelemetry SDKs' environment variables), and `SpanExporter`, a
// background thread that builds spans from results, batches them, POSTs them and retries,
// without ever slowing or failing the run.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <llmops/store/runs.hpp>
#include <llmops/traces/spans.hpp>
#include <llmops/util/error.hpp>
#include <llmops/util/redact.hpp>

namespace llmops::traces {

// Where and how spans go.
struct ExportTarget {
    std::string url;                                          // the full URL POSTed to
    std::vector<std::pair<std::string, std::string>> headers; // sent with every request
    std::chrono::milliseconds request_timeout{5000};          // per request
    std::chrono::milliseconds flush_limit{5000}; // the most the run's end waits for the export
};

// Reads an environment variable (nullopt or "" when unset); tests pass their own.
using Getenv = std::function<std::optional<std::string>(std::string_view name)>;

// The target of `eval --otlp-endpoint` (`flag`, when given) or of the environment, as the
// OpenTelemetry SDKs read it: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else
// OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces` appended (the flag is taken as is); headers from
// OTEL_EXPORTER_OTLP_HEADERS then OTEL_EXPORTER_OTLP_TRACES_HEADERS (`k=v,k2=v2`, values
// percent-decoded); the request timeout from OTEL_EXPORTER_OTLP_TRACES_TIMEOUT or
// OTEL_EXPORTER_OTLP_TIMEOUT and the flush limit from OTEL_BSP_EXPORT_TIMEOUT (milliseconds).
// nullopt when no endpoint is set. Fails with `invalid_input` naming the flag or variable (never
// a header's value): not an http:// or https:// URL, a header without `=`, a bad number.
Expected<std::optional<ExportTarget>> otlp_target(const std::optional<std::string>& flag,
                                                  const Getenv& getenv);

// What an export did, for the warning at the end of a run.
struct ExportOutcome {
    int64_t exported = 0;     // spans the collector accepted
    int64_t not_exported = 0; // spans dropped: refused, unreachable, queue full, flush limit
    int64_t requests = 0;     // POSTs made (retries included)
    std::string reason;       // why the last spans were not exported ("" when all were)
};

// Exports the spans of results on a thread of its own. `add` only queues (a bounded queue: past
// `k_max_queue` results waiting, a result's spans are dropped and counted); the thread builds the
// spans (traces::result_spans), sends them in batches of at most `k_max_batch` spans or after
// `k_batch_delay`, and retries a batch on 429, 502, 503, 504 and connection failures with
// exponential backoff honouring Retry-After, `k_max_attempts` attempts at most. After a batch
// failed every attempt, the next ones get one attempt each until one succeeds (a dead collector
// costs the run nothing more). `finish` sends what is left and waits at most the target's flush
// limit. Every string of every span is redacted with `secrets` (and the header values).
class SpanExporter {
public:
    static constexpr size_t k_max_batch = 512;
    static constexpr std::chrono::milliseconds k_batch_delay{1000};
    static constexpr size_t k_max_queue = 2048;
    static constexpr int k_max_attempts = 4;
    static constexpr std::chrono::milliseconds k_first_backoff{100};
    static constexpr std::chrono::milliseconds k_max_backoff{5000};

    SpanExporter(ExportTarget target, Content content, const std::vector<std::string>& secrets);
    ~SpanExporter(); // finish()
    SpanExporter(const SpanExporter&) = delete;
    SpanExporter& operator=(const SpanExporter&) = delete;

    // Queues the spans of `result` (of `variant` in `run`). Cheap: a copy of the result (without
    // its content unless content capture is on) under a lock.
    void add(const SpanRun& run, const store::VariantRecord& variant,
             const store::ResultRecord& result);

    // Sends what is queued, waiting at most the flush limit, and stops the thread. Idempotent.
    ExportOutcome finish();

    // The URL as messages show it (util::sanitize_url).
    std::string display_url() const;

private:
    struct Item {
        SpanRun run;
        store::VariantRecord variant;
        store::ResultRecord result;
    };
    struct Shared;

    void work();
    bool send(std::vector<nlohmann::json>& batch);
    bool post_once(const std::string& body, std::string& reason,
                   std::chrono::milliseconds& retry_after, bool& retryable);
    bool wait_backoff(std::chrono::milliseconds delay);
    void give_up(int64_t spans, const std::string& reason);

    ExportTarget m_target;
    Content m_content;
    util::Redactor m_redactor;
    std::shared_ptr<Shared> m_shared;
    std::thread m_thread;
    std::optional<ExportOutcome> m_outcome;
};

} // namespace llmops::traces
