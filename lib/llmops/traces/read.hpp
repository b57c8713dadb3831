#pragma once
// Reading LLM calls out of traces (SPEC §14): OpenTelemetry's OTLP JSON, read with the GenAI
// semantic conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/) plus llmops's own
// `llmops.prompt.name`, `llmops.prompt.version`, `llmops.vars.*` and `llmops.feedback`
// attributes, and llmops's plain JSONL form (docs/traces.md). Pure functions: no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/store/calls.hpp>
#include <llmops/util/error.hpp>

namespace llmops::traces {

// A span that could not be read: its position in the request and why.
struct BadSpan {
    std::string where; // `span 3 (id 00f0...)`
    std::string why;
};

// What one `ExportTraceServiceRequest` held.
struct OtlpBatch {
    std::vector<store::CallRecord> calls; // the GenAI spans, as calls (cost not yet priced)
    int64_t skipped = 0;                  // spans without gen_ai.* attributes: not LLM calls
    std::vector<BadSpan> bad;             // spans that are GenAI calls but unreadable
};

// True when `doc` looks like an ExportTraceServiceRequest (it has `resourceSpans`).
bool is_otlp_request(const nlohmann::json& doc);

// Reads the spans of `request` (resourceSpans → scopeSpans → spans). Never throws: a member of
// the wrong type makes its span bad (or, above the spans, the whole request: then `bad` names it
// and nothing else is read).
OtlpBatch read_otlp_request(const nlohmann::json& request);

// Converts an OTLP `AnyValue` (`{"stringValue": ...}`, `intValue` as a string or a number,
// `doubleValue`, `boolValue`, `arrayValue`, `kvlistValue`, `bytesValue`) to plain JSON; null
// when it is none of these.
nlohmann::json any_value_json(const nlohmann::json& value);

// Reads one line of the JSONL form, `record` being the line parsed and `line` its text (the span
// id defaults to a hash of it). Fails with `invalid_input` naming the field that is wrong.
Expected<store::CallRecord> read_jsonl_call(const nlohmann::json& record, std::string_view line);

// Scrubs secrets from `call` before it is stored: attributes whose key names a secret
// (`util::secret_name` of its last dotted part: api_key, authorization, ...) become
// "[redacted]", and their values are redacted wherever else they appear (messages, output, vars,
// other attributes); URLs lose their credentials.
void redact_call(store::CallRecord& call);

// As `redact_call`, with the attributes as a value (a reader has them so: no text parsed again);
// writes them, redacted, to `call.attributes`.
void redact_call(store::CallRecord& call, nlohmann::json attributes);

// As `redact_call`, with the vars as a value too (an object; a reader that built them need not
// write and read them again); writes them, redacted, to `call.vars`.
void redact_call(store::CallRecord& call, nlohmann::json attributes, nlohmann::json vars);

} // namespace llmops::traces
