#include <llmops/store/runs.hpp>

#include <llmops/util/hash.hpp>

#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include <llmops/util/json.hpp>
#include <llmops/util/time.hpp>

namespace llmops::store {

namespace {

using nlohmann::json;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::optional<int64_t> parse_number(std::string_view text) {
    int64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return std::nullopt;
    }
    return value;
}

json parse_json_column(const std::string& text) {
    auto value =
        util::parse_json_or_discarded(text); // depth-limited: the store may be tampered with
    return value.is_discarded() ? json() : value;
}

constexpr const char* k_result_columns =
    "variant, case_id, case_index, repeat, status, score, reason, output, assertions, vars, "
    "prompt, description, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, "
    "tokens_estimated, cost_usd, latency_ms, first_token_ms, cached, finish_reason, judge_calls, "
    "judge_input_tokens, judge_output_tokens, judge_cost_usd, judge_spent_usd";

// The same columns with the four that can be large (a model's output, the assertions' details,
// the case's variables, the rendered prompt) left out, for reading them one at a time.
constexpr const char* k_result_small_columns =
    "variant, case_id, case_index, repeat, status, score, reason, NULL, '[]', '{}', "
    "'', description, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, "
    "tokens_estimated, cost_usd, latency_ms, first_token_ms, cached, finish_reason, judge_calls, "
    "judge_input_tokens, judge_output_tokens, judge_cost_usd, judge_spent_usd, created_at";

// One row per large column of the result with key ?1-?4: (which column, its value).
constexpr const char* k_result_large_columns =
    "SELECT 0, output FROM results WHERE run_id = ?1 AND variant = ?2 AND case_id = ?3 AND "
    "repeat = ?4 UNION ALL SELECT 1, assertions FROM results WHERE run_id = ?1 AND variant = ?2 "
    "AND case_id = ?3 AND repeat = ?4 UNION ALL SELECT 2, vars FROM results WHERE run_id = ?1 AND "
    "variant = ?2 AND case_id = ?3 AND repeat = ?4 UNION ALL SELECT 3, prompt FROM results WHERE "
    "run_id = ?1 AND variant = ?2 AND case_id = ?3 AND repeat = ?4";

ResultRecord read_result(const Statement& s) {
    ResultRecord r;
    r.variant = static_cast<int>(s.integer(0));
    r.case_id = s.text(1);
    r.case_index = static_cast<int>(s.integer(2));
    r.repeat = static_cast<int>(s.integer(3));
    r.status = s.text(4);
    r.score = s.optional_real(5);
    r.reason = s.text(6);
    r.output = s.optional_text(7);
    r.assertions = parse_json_column(s.text(8));
    r.vars = parse_json_column(s.text(9));
    r.prompt = s.text(10);
    r.description = s.text(11);
    r.input_tokens = s.integer(12);
    r.output_tokens = s.integer(13);
    r.cached_input_tokens = s.integer(14);
    r.reasoning_tokens = s.integer(15);
    r.tokens_estimated = s.integer(16) != 0;
    r.cost_usd = s.optional_real(17);
    r.latency_ms = s.real(18);
    r.first_token_ms = s.optional_real(19);
    r.cached = s.integer(20) != 0;
    r.finish_reason = s.text(21);
    r.judge_calls = s.integer(22);
    r.judge_input_tokens = s.integer(23);
    r.judge_output_tokens = s.integer(24);
    r.judge_cost_usd = s.optional_real(25);
    r.judge_spent_usd = s.real(26);
    r.created_at = s.text(27);
    return r;
}

// The lease columns starting at `column`, when the row has a lease.
std::optional<Lease> read_lease(const Statement& s, int column) {
    if (s.is_null(column)) {
        return std::nullopt;
    }
    Lease lease;
    lease.holder.pid = s.integer(column);
    lease.holder.start_ticks = s.integer(column + 1);
    lease.holder.host = s.text(column + 2);
    lease.holder.boot_id = s.text(column + 3);
    lease.started_at = s.text(column + 4);
    lease.heartbeat_ms = s.integer(column + 5);
    return lease;
}

// The lease of run `run_id`, if any.
Expected<std::optional<Lease>> lease_of(Database& db, int64_t run_id) {
    auto stmt =
        LLMOPS_TRY(db.prepare("SELECT pid, start_ticks, host, boot_id, started_at, heartbeat_ms "
                              "FROM run_leases WHERE run_id = ?1"));
    stmt.bind(1, run_id);
    auto row = LLMOPS_TRY(stmt.step());
    return row ? read_lease(stmt, 0) : std::nullopt;
}

// Fails with `conflict` when a live writer other than `writer` (when given) holds run `run_id`.
Expected<std::optional<Lease>> check_not_held(Database& db, int64_t run_id,
                                              const util::ProcessIdentity* writer) {
    auto lease = LLMOPS_TRY(lease_of(db, run_id));
    if (!lease) {
        return std::optional<Lease>();
    }
    const auto& h = lease->holder;
    const bool mine = writer && h.pid == writer->pid && h.start_ticks == writer->start_ticks &&
                      h.host == writer->host && h.boot_id == writer->boot_id;
    const int64_t now = util::unix_ms();
    if (!mine && lease_is_live(*lease, now)) {
        return fail(ErrorCode::conflict, "run {} is being written by {}", run_id,
                    describe_lease(*lease, now));
    }
    return lease;
}

Expected<void> take_lease(Database& db, int64_t run_id, const util::ProcessIdentity& writer) {
    auto stmt = LLMOPS_TRY(db.prepare(
        "INSERT OR REPLACE INTO run_leases(run_id, pid, start_ticks, host, boot_id, started_at, "
        "heartbeat_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    stmt.bind(1, run_id).bind(2, writer.pid).bind(3, writer.start_ticks).bind(4, writer.host);
    stmt.bind(5, writer.boot_id).bind(6, util::now_iso8601()).bind(7, util::unix_ms());
    return stmt.run();
}

} // namespace

bool lease_is_live(const Lease& lease, int64_t now_ms) {
    if (util::is_local(lease.holder)) {
        return util::is_running(lease.holder);
    }
    return now_ms - lease.heartbeat_ms < k_lease_stale_ms;
}

std::string describe_lease(const Lease& lease, int64_t now_ms) {
    return fmt::format("process {} on host '{}' (since {}, last heartbeat {} s ago)",
                       lease.holder.pid, lease.holder.host, lease.started_at,
                       std::max<int64_t>(0, now_ms - lease.heartbeat_ms) / 1000);
}

namespace {

// Inserts a run and its variants (inside the caller's transaction); returns its number.
Expected<int64_t> insert_run(Database& db, const RunRecord& run) {
    auto insert = LLMOPS_TRY(db.prepare(
        "INSERT INTO runs(suite_path, suite_hash, dataset_hash, description, provenance, status, "
        "started_at) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6) RETURNING id"));
    insert.bind(1, run.suite_path).bind(2, run.suite_hash).bind(3, run.dataset_hash);
    insert.bind(4, run.description).bind(5, run.provenance.dump());
    insert.bind(6, run.started_at.empty() ? util::now_iso8601() : run.started_at);
    LLMOPS_TRY(insert.step());
    const int64_t id = insert.integer(0);
    insert.reset();
    auto variant = LLMOPS_TRY(db.prepare(
        "INSERT INTO run_variants(run_id, idx, label, prompt_label, prompt_version_id, "
        "provider_id, provider_label, provider_config) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    for (const auto& v : run.variants) {
        variant.reset();
        variant.bind(1, id).bind(2, static_cast<int64_t>(v.index)).bind(3, v.label);
        variant.bind(4, v.prompt_label).bind(5, v.prompt_version_id).bind(6, v.provider_id);
        variant.bind(7, v.provider_label).bind(8, v.provider_config.dump());
        LLMOPS_TRY(variant.run());
    }
    return id;
}

// Sets a run's status, end time and summary and drops its lease (inside the caller's
// transaction).
Expected<void> set_status(Database& db, int64_t run_id, std::string_view status,
                          const json& summary) {
    auto stmt = LLMOPS_TRY(
        db.prepare("UPDATE runs SET status = ?2, ended_at = ?3, summary = ?4 WHERE id = ?1"));
    stmt.bind(1, run_id).bind(2, status);
    if (status == "running") {
        stmt.bind(3, std::nullopt);
    } else {
        stmt.bind(3, util::now_iso8601());
    }
    if (summary.is_null()) {
        stmt.bind(4, std::nullopt);
    } else {
        stmt.bind(4, summary.dump());
    }
    LLMOPS_TRY(stmt.run());
    if (status == "running") {
        return {};
    }
    auto drop = LLMOPS_TRY(db.prepare("DELETE FROM run_leases WHERE run_id = ?1"));
    drop.bind(1, run_id);
    return drop.run();
}

} // namespace

Expected<int64_t> create_run(Database& db, const RunRecord& run,
                             const util::ProcessIdentity* writer) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    auto id = LLMOPS_TRY(insert_run(db, run));
    if (writer) {
        LLMOPS_TRY(take_lease(db, id, *writer));
    }
    LLMOPS_TRY(tx.commit());
    return id;
}

Expected<void> finish_run(Database& db, int64_t run_id, std::string_view status,
                          const json& summary) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    LLMOPS_TRY(set_status(db, run_id, status, summary));
    return tx.commit();
}

Expected<std::optional<Lease>> reopen_run(Database& db, int64_t run_id,
                                          const util::ProcessIdentity& writer) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    // Checked under the write lock: two resumes at once cannot both see the run free.
    auto previous = LLMOPS_TRY(check_not_held(db, run_id, &writer));
    LLMOPS_TRY(set_status(db, run_id, "running", json()));
    LLMOPS_TRY(take_lease(db, run_id, writer));
    LLMOPS_TRY(tx.commit());
    return previous;
}

Expected<void> renew_lease(Database& db, int64_t run_id, const util::ProcessIdentity& writer) {
    auto stmt =
        LLMOPS_TRY(db.prepare("UPDATE run_leases SET heartbeat_ms = ?5 WHERE run_id = ?1 AND "
                              "pid = ?2 AND start_ticks = ?3 AND host = ?4"));
    stmt.bind(1, run_id).bind(2, writer.pid).bind(3, writer.start_ticks).bind(4, writer.host);
    stmt.bind(5, util::unix_ms());
    LLMOPS_TRY(stmt.run());
    if (db.changes() == 0) {
        return fail(ErrorCode::conflict,
                    "run {} was taken over by another process (this one was thought dead); "
                    "stopping",
                    run_id);
    }
    return {};
}

ResultWriter::~ResultWriter() {
    (void)flush();
}

Expected<void> ResultWriter::add(ResultRecord result) {
    if (m_pending.empty()) {
        m_first_pending_ms = now_ms();
    }
    std::string assertions = result.assertions.dump();
    std::string vars = result.vars.dump();
    result.assertions = nullptr;
    result.vars = nullptr;
    m_pending.push_back({std::move(result), std::move(assertions), std::move(vars)});
    if (m_pending.size() >= k_batch || now_ms() - m_first_pending_ms >= k_max_delay_ms) {
        return flush();
    }
    return {};
}

Expected<void> ResultWriter::flush() {
    if (m_pending.empty()) {
        return {};
    }
    if (!m_insert) {
        m_insert = LLMOPS_TRY(m_db->prepare(fmt::format(
            "INSERT OR REPLACE INTO results(run_id, {}, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
            "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
            "?25, ?26, ?27, ?28, ?29, ?24)",
            k_result_columns)));
    }
    Statement& stmt = *m_insert;
    auto tx = LLMOPS_TRY(Transaction::begin(*m_db));
    const std::string now = util::now_iso8601();
    for (const auto& [r, assertions, vars] : m_pending) {
        stmt.reset();
        stmt.bind(1, m_run_id).bind(2, static_cast<int64_t>(r.variant)).bind(3, r.case_id);
        stmt.bind(4, static_cast<int64_t>(r.case_index)).bind(5, static_cast<int64_t>(r.repeat));
        // The large texts are bound in place: SQLite's own copies of a 50 MB output, its
        // variables and prompt would double what a result costs to store.
        stmt.bind(6, r.status).bind_real(7, r.score).bind(8, r.reason);
        if (r.output) {
            stmt.bind_static(9, *r.output);
        } else {
            stmt.bind(9, std::nullopt);
        }
        stmt.bind_static(10, assertions).bind_static(11, vars).bind_static(12, r.prompt);
        stmt.bind(13, r.description).bind(14, r.input_tokens).bind(15, r.output_tokens);
        stmt.bind(16, r.cached_input_tokens).bind(17, r.reasoning_tokens);
        stmt.bind(18, static_cast<int64_t>(r.tokens_estimated)).bind_real(19, r.cost_usd);
        stmt.bind_real(20, r.latency_ms).bind_real(21, r.first_token_ms);
        stmt.bind(22, static_cast<int64_t>(r.cached)).bind(23, r.finish_reason);
        stmt.bind(24, r.created_at.empty() ? now : r.created_at);
        stmt.bind(25, r.judge_calls).bind(26, r.judge_input_tokens).bind(27, r.judge_output_tokens);
        stmt.bind_real(28, r.judge_cost_usd).bind_real(29, r.judge_spent_usd);
        LLMOPS_TRY(stmt.run());
    }
    stmt.reset(); // lets go of the texts bound in place, which m_pending owns
    LLMOPS_TRY(tx.commit());
    m_pending.clear();
    return {};
}

Expected<int64_t> resolve_run(Database& db, std::string_view ref) {
    auto exists = [&](int64_t id) -> Expected<bool> {
        auto stmt = LLMOPS_TRY(db.prepare("SELECT 1 FROM runs WHERE id = ?1"));
        stmt.bind(1, id);
        return stmt.step();
    };
    if (auto number = parse_number(ref)) {
        auto found = LLMOPS_TRY(exists(*number));
        if (!found) {
            return fail(ErrorCode::not_found, "no run {}", *number);
        }
        return *number;
    }
    if (ref == "latest" || ref.starts_with("latest~")) {
        int64_t back = 0;
        if (ref != "latest") {
            auto n = parse_number(ref.substr(7));
            if (!n || *n < 0) {
                return fail(ErrorCode::invalid_input, "bad run ref '{}': expected latest~N", ref);
            }
            back = *n;
        }
        auto stmt =
            LLMOPS_TRY(db.prepare("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?1"));
        stmt.bind(1, back);
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return back == 0 ? fail(ErrorCode::not_found, "no runs yet")
                             : fail(ErrorCode::not_found, "no run '{}': there are fewer runs", ref);
        }
        return stmt.integer(0);
    }
    auto stmt = LLMOPS_TRY(db.prepare("SELECT run_id FROM run_tags WHERE name = ?1"));
    stmt.bind(1, ref);
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        return fail(ErrorCode::not_found, "no run '{}' (not a number, 'latest' or a tag)", ref);
    }
    return stmt.integer(0);
}

namespace {

RunRecord read_run(const Statement& s) {
    RunRecord r;
    r.id = s.integer(0);
    r.suite_path = s.text(1);
    r.suite_hash = s.text(2);
    r.dataset_hash = s.text(3);
    r.description = s.text(4);
    r.provenance = parse_json_column(s.text(5));
    r.status = s.text(6);
    r.started_at = s.text(7);
    r.ended_at = s.optional_text(8);
    if (auto summary = s.optional_text(9)) {
        r.summary = parse_json_column(*summary);
    }
    r.lease = read_lease(s, 10);
    // A run still marked running whose writer is gone (killed, or a second Ctrl-C) was
    // interrupted: say so, and --resume completes it.
    if (r.status == "running" && !(r.lease && lease_is_live(*r.lease, util::unix_ms()))) {
        r.status = "interrupted";
    }
    return r;
}

constexpr const char* k_run_columns =
    "runs.id, suite_path, suite_hash, dataset_hash, description, provenance, status, "
    "runs.started_at, ended_at, summary, l.pid, l.start_ticks, l.host, l.boot_id, l.started_at, "
    "l.heartbeat_ms FROM runs LEFT JOIN run_leases l ON l.run_id = runs.id";

Expected<std::vector<std::string>> tags_of(Database& db, int64_t run_id) {
    auto stmt = LLMOPS_TRY(db.prepare("SELECT name FROM run_tags WHERE run_id = ?1 ORDER BY name"));
    stmt.bind(1, run_id);
    std::vector<std::string> tags;
    for (;;) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return tags;
        }
        tags.push_back(stmt.text(0));
    }
}

} // namespace

Expected<RunRecord> load_run(Database& db, int64_t run_id) {
    auto stmt = LLMOPS_TRY(db.prepare(fmt::format("SELECT {} WHERE runs.id = ?1", k_run_columns)));
    stmt.bind(1, run_id);
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        return fail(ErrorCode::not_found, "no run {}", run_id);
    }
    RunRecord run = read_run(stmt);
    auto tags = LLMOPS_TRY(tags_of(db, run_id));
    run.tags = std::move(tags);
    auto variants = LLMOPS_TRY(db.prepare(
        "SELECT idx, label, prompt_label, prompt_version_id, provider_id, provider_label, "
        "provider_config FROM run_variants WHERE run_id = ?1 ORDER BY idx"));
    variants.bind(1, run_id);
    for (;;) {
        auto vrow = LLMOPS_TRY(variants.step());
        if (!vrow) {
            break;
        }
        VariantRecord v;
        v.index = static_cast<int>(variants.integer(0));
        v.label = variants.text(1);
        v.prompt_label = variants.text(2);
        v.prompt_version_id = variants.text(3);
        v.provider_id = variants.text(4);
        v.provider_label = variants.text(5);
        v.provider_config = parse_json_column(variants.text(6));
        run.variants.push_back(std::move(v));
    }
    return run;
}

std::string run_uid(const RunRecord& run) {
    return util::sha256_hex(run.started_at + '\x1f' + run.suite_path + '\x1f' +
                            run.provenance.dump())
        .substr(0, 32);
}

Expected<int64_t> count_run_results(Database& db, int64_t run_id) {
    auto stmt = LLMOPS_TRY(db.prepare("SELECT count(*) FROM results WHERE run_id = ?1"));
    stmt.bind(1, run_id);
    LLMOPS_TRY(stmt.step());
    return stmt.integer(0);
}

Expected<void> set_run_outcome(Database& db, int64_t run_id, std::string_view status,
                               const std::optional<std::string>& ended_at, const json& summary) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    auto stmt = LLMOPS_TRY(
        db.prepare("UPDATE runs SET status = ?2, ended_at = ?3, summary = ?4 WHERE id = ?1"));
    stmt.bind(1, run_id).bind(2, status).bind(3, ended_at);
    if (summary.is_null()) {
        stmt.bind(4, std::nullopt);
    } else {
        stmt.bind(4, summary.dump());
    }
    LLMOPS_TRY(stmt.run());
    auto drop = LLMOPS_TRY(db.prepare("DELETE FROM run_leases WHERE run_id = ?1"));
    drop.bind(1, run_id);
    LLMOPS_TRY(drop.run());
    return tx.commit();
}

Expected<std::vector<RunRecord>> list_runs(Database& db, int64_t limit) {
    auto stmt = LLMOPS_TRY(
        db.prepare(fmt::format("SELECT {} ORDER BY runs.id DESC LIMIT ?1", k_run_columns)));
    stmt.bind(1, limit > 0 ? limit : int64_t{-1});
    std::vector<RunRecord> runs;
    for (;;) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            break;
        }
        runs.push_back(read_run(stmt));
    }
    for (auto& run : runs) {
        auto tags = LLMOPS_TRY(tags_of(db, run.id));
        run.tags = std::move(tags);
    }
    return runs;
}

Expected<std::vector<RunRecord>> latest_finished_runs(Database& db, RunGrouping by) {
    // A finished run has its summary (written by finish_run); the newest such run of each group.
    // An online-eval run's prompt is its provenance's traces.prompt (eval/provenance.cpp).
    const char* group =
        by == RunGrouping::suite ? "suite_path" : "json_extract(provenance, '$.traces.prompt')";
    auto stmt = LLMOPS_TRY(db.prepare(fmt::format(
        "SELECT {} WHERE runs.id IN (SELECT max(id) FROM runs WHERE summary IS NOT NULL AND "
        "json_valid(provenance) AND {} IS NOT NULL GROUP BY {}) ORDER BY runs.id",
        k_run_columns, group, group)));
    std::vector<RunRecord> runs;
    while (LLMOPS_TRY(stmt.step())) {
        runs.push_back(read_run(stmt));
    }
    return runs;
}

namespace {

// Reads the large columns of the result whose key `row` holds into `r`, one value at a time: SQLite
// holds only the value being read, so a result with a 50 MB output and the same text in its
// variables and prompt never has all of them twice in memory.
Expected<void> read_large_columns(Statement& large, int64_t run_id, ResultRecord& r) {
    large.reset();
    large.bind(1, run_id).bind(2, static_cast<int64_t>(r.variant)).bind(3, r.case_id);
    large.bind(4, static_cast<int64_t>(r.repeat));
    for (;;) {
        auto next = LLMOPS_TRY(large.step());
        if (!next) {
            large.reset(); // SQLite's copy of the last value goes now, not at the next result
            return {};
        }
        switch (large.integer(0)) {
        case 0: r.output = large.optional_text(1); break;
        case 1: r.assertions = parse_json_column(large.text(1)); break;
        case 2: r.vars = parse_json_column(large.text(1)); break;
        default: r.prompt = large.text(1); break;
        }
    }
}

} // namespace

Expected<void> for_each_result(Database& db, int64_t run_id,
                               const std::function<Expected<void>(ResultRecord&)>& visit,
                               ResultSelection selection) {
    // The keys are sorted first and each row read by its key: sorting whole rows made SQLite copy
    // every row (outputs, vars and prompts included) into its sorter, several times over.
    auto keys = LLMOPS_TRY(db.prepare(
        fmt::format("SELECT variant, case_id, repeat FROM results WHERE run_id = ?1{} "
                    "ORDER BY variant, case_index, repeat",
                    selection == ResultSelection::not_passed ? " AND status != 'pass'" : "")));
    auto row = LLMOPS_TRY(
        db.prepare(fmt::format("SELECT {} FROM results WHERE run_id = ?1 AND variant = ?2 "
                               "AND case_id = ?3 AND repeat = ?4",
                               k_result_small_columns)));
    auto large = LLMOPS_TRY(db.prepare(k_result_large_columns));
    keys.bind(1, run_id);
    for (;;) {
        auto key = LLMOPS_TRY(keys.step());
        if (!key) {
            return {};
        }
        row.reset();
        row.bind(1, run_id);
        row.bind(2, keys.integer(0));
        row.bind(3, keys.text(1));
        row.bind(4, keys.integer(2));
        auto found = LLMOPS_TRY(row.step());
        if (!found) {
            continue; // deleted since the keys were read (a concurrent `runs rm`)
        }
        ResultRecord record = read_result(row);
        LLMOPS_TRY(read_large_columns(large, run_id, record));
        LLMOPS_TRY(visit(record));
    }
}

namespace {

// The first row of `stmt` as (run id, mean); nullopt when it has none.
Expected<std::optional<RunMean>> first_mean(Statement& stmt) {
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        return std::optional<RunMean>();
    }
    return std::optional(RunMean{stmt.integer(0), stmt.real(1)});
}

} // namespace

Expected<std::optional<RunMean>> mean_output_tokens(Database& db, std::string_view suite_path,
                                                    std::string_view label) {
    auto stmt = LLMOPS_TRY(db.prepare(
        "SELECT r.id, AVG(x.output_tokens) FROM runs r JOIN run_variants v ON v.run_id = r.id "
        "JOIN results x ON x.run_id = r.id AND x.variant = v.idx "
        "WHERE r.suite_path = ?1 AND v.label = ?2 AND r.status != 'running' AND x.status != "
        "'error' "
        "AND x.cached = 0 GROUP BY r.id ORDER BY r.id DESC LIMIT 1"));
    stmt.bind(1, suite_path).bind(2, label);
    return first_mean(stmt);
}

Expected<std::optional<RunMean>> mean_judge_output_tokens(Database& db,
                                                          std::string_view suite_path) {
    auto stmt = LLMOPS_TRY(db.prepare(
        "SELECT r.id, SUM(x.judge_output_tokens) * 1.0 / SUM(x.judge_calls) FROM runs r "
        "JOIN results x ON x.run_id = r.id WHERE r.suite_path = ?1 AND r.status != 'running' "
        "AND x.judge_calls > 0 GROUP BY r.id HAVING SUM(x.judge_output_tokens) > 0 "
        "ORDER BY r.id DESC LIMIT 1"));
    stmt.bind(1, suite_path);
    return first_mean(stmt);
}

Expected<std::set<std::string>> failing_case_ids(Database& db, int64_t run_id) {
    auto stmt = LLMOPS_TRY(
        db.prepare("SELECT DISTINCT case_id FROM results WHERE run_id = ?1 AND status != 'pass'"));
    stmt.bind(1, run_id);
    std::set<std::string> ids;
    for (;;) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return ids;
        }
        ids.insert(stmt.text(0));
    }
}

Expected<std::set<std::tuple<int, std::string, int>>> result_keys(Database& db, int64_t run_id,
                                                                  bool include_errors) {
    auto stmt = LLMOPS_TRY(db.prepare(
        include_errors ? "SELECT variant, case_id, repeat FROM results WHERE run_id = ?1"
                       : "SELECT variant, case_id, repeat FROM results WHERE run_id = ?1 "
                         "AND status != 'error'"));
    stmt.bind(1, run_id);
    std::set<std::tuple<int, std::string, int>> keys;
    for (;;) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return keys;
        }
        keys.emplace(static_cast<int>(stmt.integer(0)), stmt.text(1),
                     static_cast<int>(stmt.integer(2)));
    }
}

Expected<void> tag_run(Database& db, int64_t run_id, std::string_view name) {
    if (name.empty() || parse_number(name) || name == "latest" || name.starts_with("latest~")) {
        return fail(ErrorCode::invalid_input,
                    "tag '{}' would read as a run number or 'latest': pick another name", name);
    }
    auto stmt = LLMOPS_TRY(db.prepare("INSERT INTO run_tags(name, run_id) VALUES (?1, ?2) "
                                      "ON CONFLICT(name) DO UPDATE SET run_id = excluded.run_id"));
    stmt.bind(1, name).bind(2, run_id);
    return stmt.run();
}

namespace {

// The provenance of a merged run: the first run's, with what differs across the runs joined.
json merged_provenance(const std::vector<RunRecord>& runs) {
    json out = runs.front().provenance;
    json ids = json::array();
    json per_run = json::array();
    int64_t cases = 0;
    bool cases_known = true;
    json common = runs.front().provenance.value("filters", json::object());
    for (const auto& run : runs) {
        ids.push_back(run.id);
        const json filters = run.provenance.value("filters", json::object());
        per_run.push_back({{"run", run.id}, {"filters", filters}});
        for (auto it = common.begin(); it != common.end();) {
            it = filters.contains(it.key()) && filters[it.key()] == it.value() ? std::next(it)
                                                                               : common.erase(it);
        }
        const auto n = run.provenance.find("cases");
        cases_known = cases_known && n != run.provenance.end() && n->is_number_integer();
        cases += cases_known ? n->get<int64_t>() : 0;
    }
    common["merged"] = std::move(per_run);
    out["filters"] = std::move(common);
    out["merged_from"] = std::move(ids);
    if (cases_known) {
        out["cases"] = cases;
    } else {
        out.erase("cases");
    }
    return out;
}

} // namespace

Expected<int64_t> merge_runs(Database& db, const std::vector<int64_t>& run_ids) {
    if (run_ids.size() < 2) {
        return fail(ErrorCode::invalid_input, "merging needs at least two runs");
    }
    // One transaction from the first read to the last write: a refused merge leaves nothing,
    // and no run can start or resume under it.
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    std::vector<RunRecord> runs;
    for (int64_t id : run_ids) {
        auto run = LLMOPS_TRY(load_run(db, id));
        if (run.status == "running") {
            return fail(ErrorCode::conflict, "run {} is being written by {}; merge it once it ends",
                        id, describe_lease(*run.lease, util::unix_ms()));
        }
        runs.push_back(std::move(run));
    }
    const RunRecord& first = runs.front();
    auto same_variants = [](const RunRecord& a, const RunRecord& b) {
        if (a.variants.size() != b.variants.size()) {
            return false;
        }
        for (size_t i = 0; i < a.variants.size(); ++i) {
            if (a.variants[i].prompt_version_id != b.variants[i].prompt_version_id ||
                a.variants[i].provider_id != b.variants[i].provider_id ||
                a.variants[i].provider_config != b.variants[i].provider_config) {
                return false;
            }
        }
        return true;
    };
    std::string status = "complete";
    std::string started_at = first.started_at;
    for (const auto& run : runs) {
        if (run.suite_hash != first.suite_hash || run.dataset_hash != first.dataset_hash) {
            return fail(ErrorCode::conflict, "run {} ran another suite or dataset than run {}",
                        run.id, first.id);
        }
        if (!same_variants(run, first)) {
            return fail(ErrorCode::conflict, "run {} ran other prompts or providers than run {}",
                        run.id, first.id);
        }
        if (run.status == "failed" || (run.status != "complete" && status == "complete")) {
            status = run.status;
        }
        started_at = std::min(started_at, run.started_at); // ISO 8601 UTC sorts as text
    }
    RunRecord merged = first;
    merged.provenance = merged_provenance(runs);
    merged.started_at = started_at;
    auto id = LLMOPS_TRY(insert_run(db, merged));
    auto copy = LLMOPS_TRY(db.prepare(fmt::format(
        "INSERT INTO results(run_id, {0}, created_at) SELECT ?1, {0}, created_at FROM results "
        "WHERE run_id = ?2",
        k_result_columns)));
    for (const auto& run : runs) {
        copy.reset();
        copy.bind(1, id).bind(2, run.id);
        if (auto ok = copy.run(); !ok) {
            if (ok.error().code() == ErrorCode::conflict) {
                return fail(
                    ErrorCode::conflict,
                    "run {} holds results that another merged run also holds (overlapping shards?)",
                    run.id);
            }
            return fail(ok.error());
        }
    }
    LLMOPS_TRY(set_status(db, id, status, json()));
    LLMOPS_TRY(tx.commit());
    return id;
}

Expected<void> remove_run(Database& db, int64_t run_id) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    if (auto held = check_not_held(db, run_id, nullptr); !held) {
        return fail(held.error().code(), "{}; stop it first, or wait for it to end",
                    held.error().message());
    }
    for (const char* sql :
         {"DELETE FROM results WHERE run_id = ?1", "DELETE FROM run_leases WHERE run_id = ?1",
          "DELETE FROM run_variants WHERE run_id = ?1", "DELETE FROM run_tags WHERE run_id = ?1",
          "DELETE FROM runs WHERE id = ?1"}) {
        auto stmt = LLMOPS_TRY(db.prepare(sql));
        stmt.bind(1, run_id);
        LLMOPS_TRY(stmt.run());
    }
    return tx.commit();
}

} // namespace llmops::store
