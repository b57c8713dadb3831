#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): metric families written as
// `# HELP`, `# TYPE` and one line per sample. Pure functions, no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmops::metrics {

// The Content-Type of the format.
inline constexpr std::string_view k_content_type = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { gauge, counter, histogram };

// Label names and values, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

// One sample of a gauge or a counter.
struct Sample {
    Labels labels;
    double value = 0;
};

// One histogram: counts per bucket (not cumulative: `counts[i]` observations fell in
// (bounds[i-1], bounds[i]], the last one above every bound), their sum, and their number.
struct HistogramSample {
    Labels labels;
    std::vector<uint64_t> counts; // the family's bounds' size + 1 (the +Inf bucket)
    double sum = 0;
};

// A metric family: a name (counters end in `_total`), its help text and type, and its samples.
struct Family {
    std::string name;
    std::string help;
    MetricType type = MetricType::gauge;
    std::vector<Sample> samples = {};
    std::vector<double> bounds = {}; // histograms: the buckets' upper bounds, ascending
    std::vector<HistogramSample> histograms = {};
};

// A label value as the format writes it between quotes: invalid UTF-8 replaced (U+FFFD), then
// backslash, double quote and line feed escaped as \\, \" and \n.
std::string escape_label_value(std::string_view value);

// Help text as the format writes it: backslash and line feed escaped.
std::string escape_help(std::string_view help);

// A sample value: integers without a fraction (`12`), others in the shortest form that reads
// back the same (`0.75`, `1.5e-07`), `NaN`, `+Inf`, `-Inf`.
std::string format_value(double value);

// The exposition of `families`, in order: HELP and TYPE lines, then the samples (histograms as
// cumulative `_bucket{le=...}` lines ending with `+Inf`, `_sum` and `_count`). A family without
// samples is written with its HELP and TYPE lines only.
std::string write_exposition(const std::vector<Family>& families);

} // namespace llmops::metrics
