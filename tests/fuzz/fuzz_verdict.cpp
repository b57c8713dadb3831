// Fuzz target: a judge's reply (SPEC §9), read by eval::judge::parse_verdict. The input is the
// reply text. A verdict or an error must come back (`provider`, with a one-line message); a
// score, when found, is a finite number, and an error never carries a verdict.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <llmops/eval/judge/verdict.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fuzz = llmops::fuzz;
    const std::string_view reply(reinterpret_cast<const char*>(data), size);
    auto verdict = llmops::eval::judge::parse_verdict(reply);
    if (!verdict) {
        fuzz::check_error(verdict.error(), {llmops::ErrorCode::provider}, "parse_verdict");
        return 0;
    }
    if (!verdict->pass && !verdict->score && verdict->category.empty()) {
        fuzz::die("parse_verdict returned a verdict without pass, score or category");
    }
    if (verdict->score && !std::isfinite(*verdict->score)) {
        fuzz::die("parse_verdict returned a score that is not finite");
    }
    return 0;
}
