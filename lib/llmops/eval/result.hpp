#pragma once
// A stored result built from a unit of work: what was asked (case, variant, repeat, variables,
// the rendered prompt), then the answer and its verdict.

#include <vector>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/scheduler.hpp>
#include <llmops/provider/outcome.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::eval {

// The result of `item` before its answer: case id and position, variant, repeat, variables,
// prompt (the messages as JSON) and description.
store::ResultRecord result_record(const WorkItem& item,
                                  const std::vector<provider::ChatMessage>& messages);

// Adds an answer and its verdict to `r`: status, score, reason, assertions, the output (moved
// out of `o`), usage, cost, latency and the judge's calls in `exchange`.
void add_answer(store::ResultRecord& r, provider::CallOutcome&& o, const CaseVerdict& verdict,
                const judge::Exchange* exchange);

} // namespace llmops::eval
