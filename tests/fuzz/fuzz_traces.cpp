// Fuzz target: trace files (SPEC §14), as `llmops traces import` reads them. The input is one
// line: parsed as JSON, then read as an OTLP ExportTraceServiceRequest (read_otlp_request) or a
// JSONL call (read_jsonl_call), and every call found is shown as `traces show` and `traces list
// --json` would. Nothing may throw; a JSONL line that cannot be read fails with invalid_input.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/report/trace_report.hpp>
#include <llmops/traces/read.hpp>
#include <llmops/util/json.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
namespace fuzz = llmops::fuzz;
namespace traces = llmops::traces;

// Shows `calls` as the commands do, and checks what any reader relies on: `traces show` names
// every call's span, and `traces list --json` is a JSON array of one object per call.
void show(const std::vector<llmops::store::CallRecord>& calls) {
    for (const auto& call : calls) {
        if (llmops::report::call_text(call).empty()) {
            fuzz::die("call_text: nothing shown for a call");
        }
    }
    const auto listed = llmops::util::parse_json_or_discarded(llmops::report::calls_json(calls));
    if (!listed.is_array() || listed.size() != calls.size()) {
        fuzz::die("calls_json: not one JSON object per call");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const nlohmann::json doc = llmops::util::parse_json_or_discarded(text);
    if (doc.is_discarded()) {
        return 0;
    }
    if (traces::is_otlp_request(doc)) {
        show(traces::read_otlp_request(doc).calls);
        return 0;
    }
    auto call = traces::read_jsonl_call(doc, text);
    if (!call) {
        fuzz::check_error(call.error(), {ErrorCode::invalid_input}, "read_jsonl_call");
        return 0;
    }
    show({*call});
    return 0;
}
