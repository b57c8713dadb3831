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

Expected<OnlineOutcomes> count_online_outcomes(Database& db, const CallFilter& filter) {
    // SQLite returns the bare column `status` from the row holding MAX(run_id) (documented for
    // min/max aggregates), so `latest` is each case id's result in its newest run.
    auto stmt = LLMOPS_TRY(
        db.prepare(std::string("WITH latest AS (SELECT case_id, status, MAX(run_id) FROM results "
                               "WHERE repeat = 0 GROUP BY case_id) "
                               "SELECT latest.status, COUNT(*) FROM calls "
                               "JOIN latest ON latest.case_id = calls.span_id WHERE ") +
                   detail::k_call_filter_where + " GROUP BY latest.status"));
    detail::bind_call_filter(stmt, filter);
    OnlineOutcomes out;
    while (LLMOPS_TRY(stmt.step())) {
        const std::string status = stmt.text(0);
        const auto count = static_cast<std::size_t>(stmt.integer(1));
        if (status == "pass")
            out.pass += count;
        else if (status == "fail")
            out.fail += count;
        else
            out.error += count;
    }
    return out;
}

} // namespace llmops::store
