#include <llmops/store/drift_checks.hpp>

#include <llmops/store/calls.hpp>

namespace llmops::store {

Expected<int64_t> record_drift_check(Database& db, const DriftCheck& check) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    auto stmt = LLMOPS_TRY(db.prepare(
        "INSERT INTO drift_checks(prompt, version, model, reference_since_unix_ns, "
        "reference_until_unix_ns, current_since_unix_ns, current_until_unix_ns, reference_calls, "
        "current_calls, checked_at_unix_ns, checked_at, statistics, alarm) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    stmt.bind(1, check.prompt).bind(2, check.version).bind(3, check.model);
    stmt.bind(4, check.reference_since_unix_ns).bind(5, check.reference_until_unix_ns);
    stmt.bind(6, check.current_since_unix_ns).bind(7, check.current_until_unix_ns);
    stmt.bind(8, check.reference_calls).bind(9, check.current_calls);
    stmt.bind(10, check.checked_at_unix_ns);
    stmt.bind(11, iso8601_from_unix_ns(check.checked_at_unix_ns));
    stmt.bind(12, check.statistics).bind(13, int64_t{check.alarm ? 1 : 0});
    LLMOPS_TRY(stmt.run());
    const int64_t id = db.last_insert_rowid();
    LLMOPS_TRY(tx.commit());
    return id;
}

Expected<std::vector<DriftCheck>> latest_drift_checks(Database& db) {
    auto stmt = LLMOPS_TRY(db.prepare(
        "SELECT id, prompt, version, model, reference_since_unix_ns, reference_until_unix_ns, "
        "current_since_unix_ns, current_until_unix_ns, reference_calls, current_calls, "
        "checked_at_unix_ns, statistics, alarm FROM drift_checks WHERE id IN (SELECT max(id) "
        "FROM drift_checks GROUP BY prompt) ORDER BY prompt"));
    std::vector<DriftCheck> out;
    while (LLMOPS_TRY(stmt.step())) {
        DriftCheck c;
        c.id = stmt.integer(0);
        c.prompt = stmt.text(1);
        c.version = stmt.text(2);
        c.model = stmt.text(3);
        c.reference_since_unix_ns = stmt.optional_integer(4);
        c.reference_until_unix_ns = stmt.optional_integer(5);
        c.current_since_unix_ns = stmt.optional_integer(6);
        c.current_until_unix_ns = stmt.optional_integer(7);
        c.reference_calls = stmt.integer(8);
        c.current_calls = stmt.integer(9);
        c.checked_at_unix_ns = stmt.integer(10);
        c.statistics = stmt.text(11);
        c.alarm = stmt.integer(12) != 0;
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace llmops::store
