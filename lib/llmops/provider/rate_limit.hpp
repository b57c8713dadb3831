#pragma once
// Client-side rate limits (SPEC §4: per-provider token buckets for requests and tokens per
// minute), so a run stays under a provider's quota instead of collecting 429s.

#include <chrono>
#include <optional>

namespace llmops::provider {

// A token bucket refilled continuously at `per_minute / 60` per second, holding at most ten
// seconds' worth (at least 1): a run may start with a short burst, then settles at the rate.
// `adjust` lets a tokens-per-minute bucket charge an estimate up front and settle the
// difference when the provider reports the real usage; the level may go negative (a debt that
// later requests wait out).
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // A bucket for `per_minute` (> 0) units, full at `now`.
    TokenBucket(double per_minute, Clock::time_point now);

    // Takes `amount` units and returns zero when the bucket holds them at `now`; otherwise takes
    // nothing and returns how long to wait. An amount larger than the capacity is granted when
    // the bucket is full, so one oversized request cannot wait forever.
    Clock::duration try_take(double amount, Clock::time_point now);

    // Returns how long until `amount` units are available at `now` (zero when they are),
    // taking nothing.
    Clock::duration wait_for(double amount, Clock::time_point now);

    // Adds `delta` units (negative to charge more), without passing the capacity.
    void adjust(double delta);

    double level(Clock::time_point now);
    double capacity() const { return m_capacity; }

private:
    void refill(Clock::time_point now);

    double m_rate_per_second;
    double m_capacity;
    double m_level;
    Clock::time_point m_updated;
};

// The two buckets of one provider; either may be absent.
struct RateLimits {
    std::optional<TokenBucket> requests; // rpm
    std::optional<TokenBucket> tokens;   // tpm

    // Takes one request and `tokens_estimate` tokens when both buckets allow it at `now`
    // (taking from neither otherwise) and returns zero, or returns the wait.
    TokenBucket::Clock::duration try_take(double tokens_estimate,
                                          TokenBucket::Clock::time_point now);
};

} // namespace llmops::provider
