#include <llmops/provider/rate_limit.hpp>

#include <algorithm>
#include <cmath>

namespace llmops::provider {

namespace {

// The burst a bucket allows, in seconds of its rate.
constexpr double k_burst_seconds = 10.0;

} // namespace

TokenBucket::TokenBucket(double per_minute, Clock::time_point now)
    : m_rate_per_second(std::max(per_minute, 1e-9) / 60.0),
      m_capacity(std::max(1.0, m_rate_per_second * k_burst_seconds)), m_level(m_capacity),
      m_updated(now) {}

void TokenBucket::refill(Clock::time_point now) {
    if (now <= m_updated) {
        return;
    }
    const double seconds = std::chrono::duration<double>(now - m_updated).count();
    m_level = std::min(m_capacity, m_level + seconds * m_rate_per_second);
    m_updated = now;
}

double TokenBucket::level(Clock::time_point now) {
    refill(now);
    return m_level;
}

TokenBucket::Clock::duration TokenBucket::wait_for(double amount, Clock::time_point now) {
    refill(now);
    const double needed = std::min(amount, m_capacity);
    if (m_level >= needed) {
        return Clock::duration::zero();
    }
    const double seconds = (needed - m_level) / m_rate_per_second;
    // Round up by a tick so a caller sleeping this long finds the units there.
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)) +
           Clock::duration(1);
}

TokenBucket::Clock::duration TokenBucket::try_take(double amount, Clock::time_point now) {
    const Clock::duration wait = wait_for(amount, now);
    if (wait == Clock::duration::zero()) {
        m_level -= amount;
    }
    return wait;
}

void TokenBucket::adjust(double delta) {
    m_level = std::min(m_capacity, m_level + delta);
}

TokenBucket::Clock::duration RateLimits::try_take(double tokens_estimate,
                                                  TokenBucket::Clock::time_point now) {
    // Ask both before taking from either, so a refusal by one leaves the other untouched.
    TokenBucket::Clock::duration wait = TokenBucket::Clock::duration::zero();
    if (requests) {
        wait = std::max(wait, requests->wait_for(1, now));
    }
    if (tokens) {
        wait = std::max(wait, tokens->wait_for(tokens_estimate, now));
    }
    if (wait == TokenBucket::Clock::duration::zero()) {
        if (requests) {
            requests->try_take(1, now);
        }
        if (tokens) {
            tokens->try_take(tokens_estimate, now);
        }
    }
    return wait;
}

} // namespace llmops::provider
