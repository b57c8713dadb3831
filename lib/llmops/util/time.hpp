#pragma once
// Wall-clock time as stored and shown by llmops.

#include <cstdint>
#include <string>

namespace llmops::util {

inline constexpr int64_t k_ns_per_second = 1'000'000'000;
inline constexpr int64_t k_ns_per_day = 86'400 * k_ns_per_second;

// Returns the current UTC time as ISO 8601 with milliseconds: `2026-11-23T09:00:00.123Z`.
std::string now_iso8601();

// Returns the current Unix time in milliseconds.
int64_t unix_ms();

} // namespace llmops::util
