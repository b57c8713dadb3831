#pragma once
// Which imported calls a suite's `tests: {traces: ...}` grades (SPEC §14): a seeded sample of
// the calls matching a filter, reproducible whatever order the calls were imported in.

#include <cstdint>
#include <string>
#include <vector>

#include <llmops/store/calls.hpp>
#include <llmops/store/database.hpp>

namespace llmops::store {

struct CallSample {
    CallFilter filter;       // its prompt should be set; its limit is ignored
    int64_t size = 0;        // calls kept (per version when `by_version`); 0: every call
    std::string seed = "1";  // the sample changes with it and with nothing else
    bool by_version = false; // stratified: `size` calls of each prompt version
    bool answered = true;    // only calls that succeeded with a recorded output
};

// Rank of a call in a sample seeded with `seed`: the first 8 bytes of SHA-256 of
// "<seed>:<span id>" as a big-endian integer. A sample of n keeps the n lowest ranks, so it does
// not depend on import order, and a larger sample holds a smaller one.
uint64_t sample_rank(std::string_view seed, std::string_view span_id);

// The span ids of the sampled calls, oldest first (ties by span id). Reads only the span id,
// version and time of each matching call; memory grows with the sample, not with the calls.
// Fails with `io`.
Expected<std::vector<std::string>> sample_calls(Database& db, const CallSample& sample);

} // namespace llmops::store
