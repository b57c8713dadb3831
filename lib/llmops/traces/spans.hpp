#pragma once
// Eval results as OpenTelemetry spans (SPEC §15, docs/otlp.md): one span per model call and per
// judge call, with the GenAI semantic conventions
// (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/) and llmops's `llmops.*`
// attributes, in OTLP's JSON encoding. One builder serves the live export (`eval
// --otlp-endpoint`) and the file export (`runs export --format otlp`), so both send the same
// spans; ids are derived from the run and the result, so exporting twice gives the same ids and
// an import of the export is idempotent. Pure functions: no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/store/runs.hpp>

namespace llmops::traces {

// Whether prompts, outputs and variables go into the spans (`--otlp-content`). Off by default:
// traces often leave the machine, and the content is the user's data.
enum class Content { off, on };

// What identifies a run across stores: its number and the time it started (two projects both
// have a run 1; their spans must not share ids).
struct SpanRun {
    int64_t id = 0;
    std::string started_at; // ISO 8601 UTC, as stored
};

// The spans of one stored result, in OTLP JSON (`Span` objects): first its model call (kind
// CLIENT, name `chat MODEL`, error status when the call failed), then one span per judge call
// recorded in its assertions (children of the model call's span), or, when the result counts
// judge calls but its assertions name none, one span for all of them. Times come from the
// result's stored time (its end) and latency.
std::vector<nlohmann::json> result_spans(const SpanRun& run, const store::VariantRecord& variant,
                                         const store::ResultRecord& result, Content content);

// An `ExportTraceServiceRequest` holding `spans` under llmops's resource (`service.name` =
// llmops) and instrumentation scope.
nlohmann::json otlp_request(std::vector<nlohmann::json> spans);

// `value` as an OTLP `AnyValue` (strings, 64-bit integers as decimal strings, doubles, booleans,
// arrays and objects as `kvlistValue`; nesting past util's limit becomes its JSON text).
nlohmann::json any_value(const nlohmann::json& value);

} // namespace llmops::traces
