#pragma once
// What `llmops metrics` exports (docs/monitoring.md lists every family): the latest run of each
// suite per variant, production calls per prompt, version and model (counters and a latency
// histogram), the latest online-eval run per prompt, the latest drift check per prompt, and the
// calls of each arm of a split label. Reads the store, never writes it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <llmops/metrics/exposition.hpp>
#include <llmops/store/call_scan.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::metrics {

// The latency histogram's bucket upper bounds, in seconds.
inline constexpr double k_latency_buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// The label value the calls of series past the cap are counted under (prompt, version and
// model alike).
inline constexpr const char* k_other = "(other)";

// Cardinality caps (docs/monitoring.md#cardinality).
struct Limits {
    // At most this many prompt x version x model series of the call families; the calls of
    // later series (in import order) are counted in one series labelled `(other)`. Also the
    // most series of each other group (suite x variant, online-eval prompts, drift prompts,
    // split-label arms): past it the rest are dropped and counted in
    // llmops_metrics_dropped_series.
    std::size_t max_series = 1000;
};

// The totals of one prompt x version x model series.
struct CallTotals {
    int64_t calls = 0;
    int64_t errors = 0;
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    double cost_usd = 0;
    std::vector<uint64_t> latency_counts = std::vector<uint64_t>(std::size(k_latency_buckets) + 1);
    double latency_sum = 0;
};

// The call families' state, kept between collections: calls are insert-only, so each
// collection reads only the calls imported since the last one (by id).
class CallAggregator {
public:
    explicit CallAggregator(std::size_t max_series) : m_max_series(max_series) {}

    // Reads the calls imported since the last update. Fails with `io`.
    Expected<void> update(store::Database& db);
    // Counts one call (its series folded into `(other)` past the cap).
    void add(const store::CallUsage& call);
    // The call families, series sorted by label.
    void append_families(std::vector<Family>& out) const;
    int64_t last_id() const { return m_last_id; }

private:
    using Key = std::tuple<std::string, std::string, std::string>; // prompt, version, model
    std::size_t m_max_series;
    int64_t m_last_id = 0;
    std::map<Key, CallTotals> m_series;
};

// Collects every family from `db` in one read transaction. Keeps the call aggregates between
// calls (`metrics serve` scrapes the same collector).
class Collector {
public:
    explicit Collector(Limits limits = {}) : m_limits(limits), m_calls(limits.max_series) {}

    // Fails with `io` when the store cannot be read.
    Expected<std::vector<Family>> collect(store::Database& db);

private:
    Limits m_limits;
    CallAggregator m_calls;
};

// The exposition of everything in `db` (`llmops metrics`). Fails with `io`.
Expected<std::string> render_metrics(store::Database& db, Limits limits = {});

} // namespace llmops::metrics
