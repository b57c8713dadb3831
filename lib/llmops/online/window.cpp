#include <llmops/online/window.hpp>

#include <chrono>
#include <cstdlib>

#include <llmops/store/cache.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/util/time.hpp>

namespace llmops::online {

namespace {

using util::k_ns_per_day;
using util::k_ns_per_second;

// A bare date (`2026-11-07`), which as a window's end means the end of that day.
bool is_bare_date(std::string_view text) {
    return text.size() == 10 && text[4] == '-' && text[7] == '-';
}

} // namespace

int64_t now_unix_ns() {
    if (const char* fixed = std::getenv("LLMOPS_NOW"); fixed != nullptr && *fixed != '\0') {
        if (auto ns = store::parse_iso8601_ns(fixed)) {
            return *ns;
        }
    }
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Expected<std::optional<int64_t>> parse_time_bound(std::string_view text, std::string_view what,
                                                  int64_t now_ns) {
    if (text.empty()) {
        return std::optional<int64_t>();
    }
    if (auto ns = store::parse_iso8601_ns(text)) {
        return std::optional<int64_t>(*ns);
    }
    auto seconds = store::parse_duration_seconds(text);
    if (!seconds) {
        return fail(ErrorCode::invalid_input,
                    "{} '{}' is neither a duration (24h, 7d) nor an ISO 8601 time (2026-11-23, "
                    "2026-11-23T09:00:00Z)",
                    what, text);
    }
    return std::optional<int64_t>(now_ns - *seconds * k_ns_per_second);
}

Expected<TimeWindow> parse_time_window(std::string_view text, std::string_view what,
                                       int64_t now_ns) {
    TimeWindow window;
    const size_t dots = text.find("..");
    if (dots == std::string_view::npos) {
        window.since_unix_ns = LLMOPS_TRY(parse_time_bound(text, what, now_ns));
        window.until_unix_ns = now_ns;
    } else {
        const auto from = text.substr(0, dots);
        const auto to = text.substr(dots + 2);
        window.since_unix_ns = LLMOPS_TRY(parse_time_bound(from, what, now_ns));
        window.until_unix_ns = LLMOPS_TRY(parse_time_bound(to, what, now_ns));
        if (window.until_unix_ns && is_bare_date(to)) {
            *window.until_unix_ns += k_ns_per_day;
        }
    }
    if (window.since_unix_ns && window.until_unix_ns &&
        *window.until_unix_ns <= *window.since_unix_ns) {
        return fail(ErrorCode::invalid_input,
                    "{} '{}' is an empty window: its end is not after "
                    "its start",
                    what, text);
    }
    return window;
}

std::string to_string(const TimeWindow& window) {
    std::string out;
    if (window.since_unix_ns) {
        out += store::iso8601_from_unix_ns(*window.since_unix_ns);
    }
    out += "..";
    if (window.until_unix_ns) {
        out += store::iso8601_from_unix_ns(*window.until_unix_ns);
    }
    return out;
}

} // namespace llmops::online
