#pragma once
// Wall-clock time as stored and shown by llmops.

#include <string>

namespace llmops::util {

// Returns the current UTC time as ISO 8601 with milliseconds: `2026-11-23T09:00:00.123Z`.
std::string now_iso8601();

} // namespace llmops::util
