#include <llmops/metrics/exposition.hpp>

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <llmops/util/strings.hpp>

namespace llmops::metrics {

namespace {

std::string_view type_name(MetricType type) {
    switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::histogram: return "histogram";
    case MetricType::gauge: break;
    }
    return "gauge";
}

// `{a="1",b="2"}`, with `extra` (such as le) last; empty without labels.
std::string label_set(const Labels& labels, const std::pair<std::string, std::string>* extra) {
    if (labels.empty() && extra == nullptr) {
        return "";
    }
    std::string out = "{";
    const auto add = [&](const std::pair<std::string, std::string>& label) {
        if (out.size() > 1) {
            out += ',';
        }
        out += label.first + "=\"" + escape_label_value(label.second) + '"';
    };
    for (const auto& label : labels) {
        add(label);
    }
    if (extra != nullptr) {
        add(*extra);
    }
    return out + "}";
}

void write_histogram(std::string& out, const Family& family, const HistogramSample& h) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= family.bounds.size(); ++i) {
        cumulative += i < h.counts.size() ? h.counts[i] : 0;
        const std::pair<std::string, std::string> le{
            "le", i < family.bounds.size() ? format_value(family.bounds[i]) : "+Inf"};
        out += fmt::format("{}_bucket{} {}\n", family.name, label_set(h.labels, &le), cumulative);
    }
    const std::string labels = label_set(h.labels, nullptr);
    out += fmt::format("{}_sum{} {}\n", family.name, labels, format_value(h.sum));
    out += fmt::format("{}_count{} {}\n", family.name, labels, cumulative);
}

} // namespace

std::string escape_label_value(std::string_view value) {
    const std::string valid = util::valid_utf8(value);
    std::string out;
    out.reserve(valid.size());
    for (const char c : valid) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (const char c : util::valid_utf8(help)) {
        out += c == '\\' ? std::string("\\\\") : c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    // Integers up to 2^53 are exact in a double: written without a fraction or an exponent.
    if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
        return fmt::format("{}", static_cast<int64_t>(value));
    }
    return fmt::format("{}", value);
}

std::string write_exposition(const std::vector<Family>& families) {
    std::string out;
    for (const auto& family : families) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, escape_help(family.help),
                           family.name, type_name(family.type));
        for (const auto& sample : family.samples) {
            out += fmt::format("{}{} {}\n", family.name, label_set(sample.labels, nullptr),
                               format_value(sample.value));
        }
        for (const auto& h : family.histograms) {
            write_histogram(out, family, h);
        }
    }
    return out;
}

} // namespace llmops::metrics
