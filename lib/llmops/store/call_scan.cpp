#include <llmops/store/call_scan.hpp>

namespace llmops::store {

Expected<void> scan_call_texts(Database& db, const CallFilter& filter,
                               const std::function<void(const CallText&)>& visit) {
    auto stmt = LLMOPS_TRY(db.prepare(std::string("SELECT span_id, vars, messages, output, "
                                                  "input_tokens, output_tokens, error FROM calls "
                                                  "WHERE ") +
                                      detail::k_call_filter_where + " ORDER BY time_unix_ns, id"));
    detail::bind_call_filter(stmt, filter);
    CallText call;
    while (LLMOPS_TRY(stmt.step())) {
        call.span_id = stmt.text(0);
        call.vars = stmt.text(1);
        call.messages = stmt.text(2);
        call.output = stmt.optional_text(3);
        call.input_tokens = stmt.optional_integer(4);
        call.output_tokens = stmt.optional_integer(5);
        call.error = stmt.integer(6) != 0;
        visit(call);
    }
    return {};
}

Expected<void> scan_call_usage(Database& db, int64_t after_id,
                               const std::function<void(const CallUsage&)>& visit) {
    auto stmt = LLMOPS_TRY(db.prepare(
        "SELECT id, prompt, prompt_version, model, input_tokens, output_tokens, cost_usd, "
        "latency_ms, error FROM calls WHERE id > ?1 ORDER BY id"));
    stmt.bind(1, after_id);
    CallUsage call;
    while (LLMOPS_TRY(stmt.step())) {
        call.id = stmt.integer(0);
        call.prompt = stmt.text(1);
        call.version = stmt.text(2);
        call.model = stmt.text(3);
        call.input_tokens = stmt.optional_integer(4);
        call.output_tokens = stmt.optional_integer(5);
        call.cost_usd = stmt.optional_real(6);
        call.latency_ms = stmt.optional_real(7);
        call.error = stmt.integer(8) != 0;
        visit(call);
    }
    return {};
}

Expected<int64_t> count_version_calls(Database& db, std::string_view prompt, int64_t number,
                                      std::string_view id) {
    // calls_by_prompt (prompt, prompt_version, ...) answers this from the index.
    auto stmt = LLMOPS_TRY(
        db.prepare("SELECT count(*) FROM calls WHERE prompt = ?1 AND prompt_version IN (?2, ?3)"));
    stmt.bind(1, prompt).bind(2, std::to_string(number)).bind(3, id);
    LLMOPS_TRY(stmt.step());
    return stmt.integer(0);
}

Expected<void>
scan_online_outcomes(Database& db, const CallFilter& filter,
                     const std::function<void(const std::string&, const std::string&)>& visit) {
    // SQLite returns the bare column `status` from the row holding MAX(run_id) (documented for
    // min/max aggregates), so `latest` is each case id's result in its newest run.
    auto stmt = LLMOPS_TRY(
        db.prepare(std::string("WITH latest AS (SELECT case_id, status, MAX(run_id) FROM results "
                               "WHERE repeat = 0 GROUP BY case_id) "
                               "SELECT calls.span_id, latest.status FROM calls "
                               "JOIN latest ON latest.case_id = calls.span_id WHERE ") +
                   detail::k_call_filter_where));
    detail::bind_call_filter(stmt, filter);
    while (LLMOPS_TRY(stmt.step())) {
        visit(stmt.text(0), stmt.text(1));
    }
    return {};
}

Expected<OnlineOutcomes> count_online_outcomes(Database& db, const CallFilter& filter) {
    OnlineOutcomes out;
    LLMOPS_TRY(scan_online_outcomes(db, filter, [&](const std::string&, const std::string& status) {
        (status == "pass" ? out.pass : status == "fail" ? out.fail : out.error)++;
    }));
    return out;
}

} // namespace llmops::store
