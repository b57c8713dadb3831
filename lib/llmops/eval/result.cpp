#include <llmops/eval/result.hpp>

#include <llmops/eval/matrix.hpp>
#include <llmops/eval/summary.hpp>

namespace llmops::eval {

store::ResultRecord result_record(const WorkItem& item,
                                  const std::vector<provider::ChatMessage>& messages) {
    store::ResultRecord r;
    r.variant = item.variant;
    r.case_id = item.test->id;
    r.case_index = item.case_index;
    r.repeat = item.repeat;
    r.vars = item.test->vars;
    r.prompt = messages_json(messages);
    r.description = item.test->description;
    return r;
}

void add_answer(store::ResultRecord& r, provider::CallOutcome&& o, const CaseVerdict& verdict,
                const judge::Exchange* exchange) {
    r.status = verdict.error ? "error" : verdict.pass ? "pass" : "fail";
    r.score = verdict.error ? std::nullopt : std::optional<double>(verdict.score);
    r.reason = verdict.pass ? "" : verdict.reason;
    r.assertions = nlohmann::json::array();
    for (const auto& a : verdict.results) {
        r.assertions.push_back(assertion_json(a));
    }
    r.output = std::move(o.result.output);
    r.input_tokens = o.result.usage.input;
    r.output_tokens = o.result.usage.output;
    r.cached_input_tokens = o.result.usage.cached_input;
    r.reasoning_tokens = o.result.usage.reasoning;
    r.tokens_estimated = o.result.usage.estimated;
    r.cost_usd = o.cost_usd;
    r.latency_ms = o.cached ? 0.0 : o.latency_ms;
    r.first_token_ms = o.first_byte_ms;
    r.cached = o.cached;
    r.finish_reason = o.result.finish_reason;
    if (exchange != nullptr && exchange->calls() > 0) {
        r.judge_calls = exchange->calls();
        r.judge_input_tokens = exchange->input_tokens();
        r.judge_output_tokens = exchange->output_tokens();
        r.judge_cost_usd = exchange->cost_usd();
        r.judge_spent_usd = exchange->spent_usd();
    }
}

} // namespace llmops::eval
