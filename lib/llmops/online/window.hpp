#pragma once
// Time windows of production calls (SPEC §14): what `--since`, `--until`, `--reference` and
// `--current` of `traces`, `usage`, `ab` and `drift` and a suite's `tests: {traces: ...}` accept.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <llmops/util/error.hpp>

namespace llmops::online {

// Nanoseconds since the Unix epoch, now; `LLMOPS_NOW` (an ISO 8601 time) overrides it so tests
// and reproducible reports can fix the clock.
int64_t now_unix_ns();

// A moment: a duration back from `now_ns` (`24h`, `7d`, `1d12h`) or an ISO 8601 time or date
// (`2026-11-23`, `2026-11-23T09:00:00Z`). Empty text is no bound. Fails with `invalid_input`
// naming `what` (the option or key) and quoting the text.
Expected<std::optional<int64_t>> parse_time_bound(std::string_view text, std::string_view what,
                                                  int64_t now_ns);

// A half-open range of time [since, until); an absent end is open.
struct TimeWindow {
    std::optional<int64_t> since_unix_ns;
    std::optional<int64_t> until_unix_ns;

    bool contains(int64_t unix_ns) const {
        return (!since_unix_ns || unix_ns >= *since_unix_ns) &&
               (!until_unix_ns || unix_ns < *until_unix_ns);
    }
};

// A window as one value: `A..B` (either end a bound as above; a date as the end means the end of
// that day, so `2026-11-01..2026-11-07` is seven whole days), or a single bound `A`, from then
// until now (`24h`: the last 24 hours). Fails with `invalid_input` naming `what`, also when the
// window is empty (its end not after its start).
Expected<TimeWindow> parse_time_window(std::string_view text, std::string_view what,
                                       int64_t now_ns);

// The window as text for reports: `2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z`, an open
// end left empty.
std::string to_string(const TimeWindow& window);

} // namespace llmops::online
