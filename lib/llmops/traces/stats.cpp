#include <llmops/traces/stats.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include <llmops/stats/stats.hpp>

namespace llmops::traces {

namespace {

// A group being counted, with its latencies (arriving sorted) and its feedback sum.
struct Accumulator {
    CallGroup group;
    std::vector<double> latencies;
    double feedback_sum = 0;

    void add(const store::CallFacts& f) {
        ++group.calls;
        group.errors += f.error ? 1 : 0;
        group.input_tokens += f.input_tokens.value_or(0);
        group.output_tokens += f.output_tokens.value_or(0);
        if (f.cost_usd) {
            group.cost_usd += *f.cost_usd;
        } else {
            ++group.unpriced;
        }
        if (f.latency_ms) {
            latencies.push_back(*f.latency_ms);
        }
        if (f.feedback) {
            feedback_sum += *f.feedback;
            ++group.feedback_count;
        }
    }

    // The group with its percentiles, `latencies` being sorted.
    CallGroup finish() {
        if (!std::is_sorted(latencies.begin(), latencies.end())) {
            std::sort(latencies.begin(), latencies.end());
        }
        group.latency_p50_ms = stats::percentile_of_sorted(latencies, 50);
        group.latency_p95_ms = stats::percentile_of_sorted(latencies, 95);
        if (group.feedback_count > 0) {
            group.feedback_mean = feedback_sum / static_cast<double>(group.feedback_count);
        }
        return group;
    }
};

} // namespace

Expected<CallStats> call_stats(store::Database& db, const store::CallFilter& filter) {
    CallStats out;
    Accumulator current;
    Accumulator total;
    bool open = false;
    LLMOPS_TRY(store::scan_call_facts(db, filter, [&](const store::CallFacts& f) {
        if (open && (f.prompt != current.group.prompt ||
                     f.prompt_version != current.group.version || f.model != current.group.model)) {
            out.groups.push_back(current.finish());
            current = Accumulator();
            open = false;
        }
        if (!open) {
            current.group.prompt = f.prompt;
            current.group.version = f.prompt_version;
            current.group.model = f.model;
            open = true;
        }
        current.add(f);
        total.add(f);
    }));
    if (open) {
        out.groups.push_back(current.finish());
    }
    std::sort(total.latencies.begin(), total.latencies.end());
    out.total = total.finish();
    return out;
}

namespace {

constexpr std::array<std::string_view, 4> k_usage_key_names = {"prompt", "version", "model", "day"};

// A group's key: prompt, version, model, day, each empty when not grouped by.
using UsageGroupKey = std::tuple<std::string, std::string, std::string, std::string>;

UsageGroupKey usage_key_of(const store::CallFacts& f, const std::array<bool, 4>& by) {
    return {by[0] ? f.prompt : "", by[1] ? f.prompt_version : "", by[2] ? f.model : "",
            by[3] ? store::iso8601_from_unix_ns(f.time_unix_ns).substr(0, 10) : ""};
}

} // namespace

std::string_view usage_key_name(UsageKey key) {
    return k_usage_key_names[static_cast<size_t>(key)];
}

Expected<std::vector<UsageKey>> parse_usage_keys(std::string_view text) {
    std::vector<UsageKey> keys;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view word = text.substr(start, comma - start);
        const auto it = std::find(k_usage_key_names.begin(), k_usage_key_names.end(), word);
        if (it == k_usage_key_names.end()) {
            return fail(ErrorCode::invalid_input,
                        "--by: unknown key '{}' (expected prompt, version, model or day)", word);
        }
        const auto key = static_cast<UsageKey>(it - k_usage_key_names.begin());
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
            return fail(ErrorCode::invalid_input, "--by: '{}' is given twice", word);
        }
        keys.push_back(key);
        start = comma + 1;
    }
    const auto has = [&](UsageKey k) {
        return std::find(keys.begin(), keys.end(), k) != keys.end();
    };
    if (has(UsageKey::version) && !has(UsageKey::prompt)) {
        return fail(ErrorCode::invalid_input, "--by: 'version' needs 'prompt' too");
    }
    return keys;
}

Expected<UsageStats> usage_stats(store::Database& db, const store::CallFilter& filter,
                                 const std::vector<UsageKey>& keys) {
    std::array<bool, 4> by{};
    for (const auto key : keys) {
        by[static_cast<size_t>(key)] = true;
    }
    std::map<UsageGroupKey, Accumulator> groups;
    Accumulator total;
    LLMOPS_TRY(store::scan_call_facts(db, filter, [&](const store::CallFacts& f) {
        groups[usage_key_of(f, by)].add(f);
        total.add(f);
    }));
    UsageStats out;
    out.keys = keys;
    for (auto& [key, acc] : groups) {
        std::tie(acc.group.prompt, acc.group.version, acc.group.model, acc.group.day) = key;
        out.groups.push_back(acc.finish());
    }
    // The groups in the order of `keys` (the map's order is prompt, version, model, day).
    const auto field = [](const CallGroup& g, UsageKey k) -> const std::string& {
        switch (k) {
        case UsageKey::prompt: return g.prompt;
        case UsageKey::version: return g.version;
        case UsageKey::model: return g.model;
        case UsageKey::day: return g.day;
        }
        return g.day;
    };
    std::stable_sort(out.groups.begin(), out.groups.end(),
                     [&](const CallGroup& a, const CallGroup& b) {
                         for (const auto k : keys) {
                             if (field(a, k) != field(b, k)) {
                                 return field(a, k) < field(b, k);
                             }
                         }
                         return false;
                     });
    out.total = total.finish();
    return out;
}

} // namespace llmops::traces
