// Fuzz target: replay files (SPEC §5), the JSONL that `--record` writes and `replay:FILE` reads.
// The input is the file: ReplayFile::load scans every line with its own JSON scanner, then the
// answers to one fixed request are looked up (repeat 0 and 1, from any provider and from each
// provider in the file), which parses the recorded response (outcome_from_json). A random input
// cannot hit a SHA-256 replay key, so the seed corpus holds lines keyed for that request:
//   key(repeat 0) = 2b7f44eb5601a738c088f01b8f66bdc196aa7cac97636ab15f7400713e2188e9
//   key(repeat 1) = 441c7a8f6b439225afab35d277a125de4f8569fcc32b064941705e7622add2b4
// Failures must come back as errors: invalid_input (not_found for a miss).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/replay.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
namespace provider = llmops::provider;
namespace fuzz = llmops::fuzz;

void look_up(const provider::ReplayFile& file, int repeat, std::string_view from) {
    static const std::vector<provider::ChatMessage> k_messages = {{"user", "hi"}};
    auto outcome = file.find(k_messages, repeat, from);
    if (!outcome) {
        fuzz::check_error(outcome.error(), {ErrorCode::invalid_input, ErrorCode::not_found},
                          "ReplayFile::find");
        return;
    }
    if (!outcome->replayed) {
        fuzz::die("ReplayFile::find returned an answer not marked replayed");
    }
    // What find returns is what a cache or a new recording would store again.
    (void)provider::outcome_to_json(*outcome).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto path = fuzz::ScratchDir::write("recording.jsonl", text);
    auto file = provider::ReplayFile::load(path);
    if (!file) {
        fuzz::check_error(file.error(), {ErrorCode::invalid_input}, "ReplayFile::load");
        return 0;
    }
    const std::vector<std::string> providers = file->providers();
    for (int repeat : {0, 1}) {
        look_up(*file, repeat, "");
        for (const auto& name : providers) {
            look_up(*file, repeat, name);
        }
    }
    return 0;
}
