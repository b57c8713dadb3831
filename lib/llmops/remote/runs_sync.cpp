#include <llmops/remote/runs_sync.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <llmops/remote/schema.hpp>
#include <llmops/remote/sync.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/json.hpp>

namespace llmops::remote {

namespace {

using nlohmann::json;

constexpr const char* k_result_columns =
    "variant, case_id, repeat, case_index, status, score, reason, output, assertions, vars, "
    "prompt, description, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, "
    "tokens_estimated, cost_usd, latency_ms, first_token_ms, cached, finish_reason, created_at, "
    "judge_calls, judge_input_tokens, judge_output_tokens, judge_cost_usd, judge_spent_usd";

constexpr const char* k_run_columns =
    "id, uid, suite_path, suite_hash, dataset_hash, description, provenance, status, started_at, "
    "ended_at, summary";

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json result_row(int64_t run_id, const store::ResultRecord& r) {
    return json{{"run_id", run_id},
                {"variant", r.variant},
                {"case_id", r.case_id},
                {"repeat", r.repeat},
                {"case_index", r.case_index},
                {"status", r.status},
                {"score", or_null(r.score)},
                {"reason", r.reason},
                {"output", or_null(r.output)},
                {"assertions", r.assertions.dump()},
                {"vars", r.vars.dump()},
                {"prompt", r.prompt},
                {"description", r.description},
                {"input_tokens", r.input_tokens},
                {"output_tokens", r.output_tokens},
                {"cached_input_tokens", r.cached_input_tokens},
                {"reasoning_tokens", r.reasoning_tokens},
                {"tokens_estimated", r.tokens_estimated},
                {"cost_usd", or_null(r.cost_usd)},
                {"latency_ms", r.latency_ms},
                {"first_token_ms", or_null(r.first_token_ms)},
                {"cached", r.cached},
                {"finish_reason", r.finish_reason},
                {"created_at", r.created_at},
                {"judge_calls", r.judge_calls},
                {"judge_input_tokens", r.judge_input_tokens},
                {"judge_output_tokens", r.judge_output_tokens},
                {"judge_cost_usd", or_null(r.judge_cost_usd)},
                {"judge_spent_usd", r.judge_spent_usd}};
}

std::optional<double> optional_double(const PgResult& rows, int r, int c) {
    if (rows.is_null(r, c)) {
        return std::nullopt;
    }
    return std::stod(std::string(rows.text(r, c)));
}

json parsed(std::string_view text) {
    return util::parse_json_or_discarded(text);
}

store::ResultRecord read_result(const PgResult& rows, int r) {
    store::ResultRecord x;
    x.variant = static_cast<int>(rows.integer(r, 0));
    x.case_id = std::string(rows.text(r, 1));
    x.repeat = static_cast<int>(rows.integer(r, 2));
    x.case_index = static_cast<int>(rows.integer(r, 3));
    x.status = std::string(rows.text(r, 4));
    x.score = optional_double(rows, r, 5);
    x.reason = std::string(rows.text(r, 6));
    x.output = rows.optional_text(r, 7);
    x.assertions = parsed(rows.text(r, 8));
    x.vars = parsed(rows.text(r, 9));
    x.prompt = std::string(rows.text(r, 10));
    x.description = std::string(rows.text(r, 11));
    x.input_tokens = rows.integer(r, 12);
    x.output_tokens = rows.integer(r, 13);
    x.cached_input_tokens = rows.integer(r, 14);
    x.reasoning_tokens = rows.integer(r, 15);
    x.tokens_estimated = rows.text(r, 16) == "t";
    x.cost_usd = optional_double(rows, r, 17);
    x.latency_ms = optional_double(rows, r, 18).value_or(0);
    x.first_token_ms = optional_double(rows, r, 19);
    x.cached = rows.text(r, 20) == "t";
    x.finish_reason = std::string(rows.text(r, 21));
    x.created_at = std::string(rows.text(r, 22));
    x.judge_calls = rows.integer(r, 23);
    x.judge_input_tokens = rows.integer(r, 24);
    x.judge_output_tokens = rows.integer(r, 25);
    x.judge_cost_usd = optional_double(rows, r, 26);
    x.judge_spent_usd = optional_double(rows, r, 27).value_or(0);
    return x;
}

// A remote run row's header, variants read apart.
store::RunRecord read_run(const PgResult& rows, int r) {
    store::RunRecord run;
    run.id = rows.integer(r, 0);
    run.suite_path = std::string(rows.text(r, 2));
    run.suite_hash = std::string(rows.text(r, 3));
    run.dataset_hash = std::string(rows.text(r, 4));
    run.description = std::string(rows.text(r, 5));
    run.provenance = parsed(rows.text(r, 6));
    run.status = std::string(rows.text(r, 7));
    run.started_at = std::string(rows.text(r, 8));
    run.ended_at = rows.optional_text(r, 9);
    run.summary = rows.is_null(r, 10) ? json() : parsed(rows.text(r, 10));
    return run;
}

Expected<std::vector<store::VariantRecord>> read_variants(PgConnection& conn, int64_t run_id) {
    auto rows = LLMOPS_TRY(conn.query(
        "SELECT idx, label, prompt_label, prompt_version_id, provider_id, provider_label, "
        "provider_config FROM llmops.run_variants WHERE run_id = $1 ORDER BY idx",
        {std::to_string(run_id)}));
    std::vector<store::VariantRecord> out;
    for (int r = 0; r < rows.rows(); ++r) {
        out.push_back({static_cast<int>(rows.integer(r, 0)), std::string(rows.text(r, 1)),
                       std::string(rows.text(r, 2)), std::string(rows.text(r, 3)),
                       std::string(rows.text(r, 4)), std::string(rows.text(r, 5)),
                       parsed(rows.text(r, 6))});
    }
    return out;
}

// The runs of this store a push sends, oldest first.
Expected<std::vector<store::RunRecord>> selected_runs(store::Database& db, RunSelection selection) {
    std::vector<store::RunRecord> runs;
    if (selection == RunSelection::none) {
        return runs;
    }
    for (auto& run : LLMOPS_TRY(store::list_runs(db, 0))) {
        if (run.status == "running") {
            continue;
        }
        runs.push_back(std::move(run));
        if (selection == RunSelection::latest) {
            break;
        }
    }
    std::reverse(runs.begin(), runs.end());
    return runs;
}

// Sends one run, its variants and results, in one transaction.
Expected<int64_t> push_run(store::Database& db, PgConnection& conn, const store::RunRecord& head) {
    const store::RunRecord run = LLMOPS_TRY(store::load_run(db, head.id));
    auto tx = LLMOPS_TRY(PgTransaction::begin(conn));
    auto id = LLMOPS_TRY(conn.query(
        "INSERT INTO llmops.runs(uid, suite_path, suite_hash, dataset_hash, description, "
        "provenance, status, started_at, ended_at, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "$8, $9, $10) ON CONFLICT (uid) DO NOTHING RETURNING id",
        {store::run_uid(run), run.suite_path, run.suite_hash, run.dataset_hash, run.description,
         run.provenance.dump(), run.status, run.started_at, run.ended_at,
         run.summary.is_null() ? std::nullopt : std::optional<std::string>(run.summary.dump())}));
    if (id.rows() == 0) {
        // pushed meanwhile by another process: `tx` rolls back
        return -1;
    }
    const int64_t remote_id = id.integer(0, 0);
    for (const auto& v : run.variants) {
        LLMOPS_TRY(conn.execute(
            "INSERT INTO llmops.run_variants VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {std::to_string(remote_id), std::to_string(v.index), v.label, v.prompt_label,
             v.prompt_version_id, v.provider_id, v.provider_label, v.provider_config.dump()}));
    }
    int64_t count = 0;
    json batch = json::array();
    const auto flush = [&]() -> Expected<void> {
        if (batch.empty()) {
            return {};
        }
        LLMOPS_TRY(conn.execute(fmt::format("INSERT INTO llmops.results(run_id, {0}) SELECT "
                                            "run_id, {0} FROM json_populate_recordset("
                                            "NULL::llmops.results, $1)",
                                            k_result_columns),
                                {batch.dump()}));
        batch = json::array();
        return {};
    };
    LLMOPS_TRY(store::for_each_result(db, run.id, [&](store::ResultRecord& r) -> Expected<void> {
        batch.push_back(result_row(remote_id, r));
        ++count;
        if (batch.size() >= k_batch_rows) {
            LLMOPS_TRY(flush());
        }
        return {};
    }));
    LLMOPS_TRY(flush());
    LLMOPS_TRY(tx.commit());
    return count;
}

// Copies remote run `remote` (its header read) into this store: returns its results count.
Expected<int64_t> copy_run(store::Database& db, PgConnection& conn, store::RunRecord run) {
    const int64_t remote_id = run.id;
    run.variants = LLMOPS_TRY(read_variants(conn, remote_id));
    const int64_t local_id = LLMOPS_TRY(store::create_run(db, run));
    store::ResultWriter writer(db, local_id);
    int64_t count = 0;
    // Keyset pages in the results' key order: each a round trip of k_result_page rows.
    std::string after = "";
    PgParams params{std::to_string(remote_id)};
    for (;;) {
        auto rows = LLMOPS_TRY(conn.query(
            fmt::format("SELECT {} FROM llmops.results WHERE run_id = $1 {} ORDER BY variant, "
                        "case_id, repeat LIMIT {}",
                        k_result_columns, after, k_result_page),
            params));
        for (int r = 0; r < rows.rows(); ++r) {
            LLMOPS_TRY(writer.add(read_result(rows, r)));
            ++count;
        }
        if (rows.rows() < k_result_page) {
            break;
        }
        const int last = rows.rows() - 1;
        after = "AND (variant, case_id, repeat) > ($2::integer, $3, $4::integer)";
        params = {std::to_string(remote_id), std::string(rows.text(last, 0)),
                  std::string(rows.text(last, 1)), std::string(rows.text(last, 2))};
    }
    LLMOPS_TRY(writer.flush());
    LLMOPS_TRY(store::set_run_outcome(db, local_id, run.status, run.ended_at, run.summary));
    return count;
}

// This store's runs by uid: number and results count.
Expected<std::map<std::string, std::pair<int64_t, int64_t>>> local_runs(store::Database& db) {
    std::map<std::string, std::pair<int64_t, int64_t>> out;
    for (const auto& run : LLMOPS_TRY(store::list_runs(db, 0))) {
        out[store::run_uid(run)] = {run.id, LLMOPS_TRY(store::count_run_results(db, run.id))};
    }
    return out;
}

} // namespace

Expected<RunSelection> parse_run_selection(std::string_view text) {
    if (text == "none") {
        return RunSelection::none;
    }
    if (text == "latest") {
        return RunSelection::latest;
    }
    if (text == "all") {
        return RunSelection::all;
    }
    return fail(ErrorCode::invalid_input, "--runs '{}' must be none, latest or all", text);
}

Expected<RunSyncReport> push_runs(store::Database& db, PgConnection& conn, RunSelection selection) {
    RunSyncReport report;
    const auto runs = LLMOPS_TRY(selected_runs(db, selection));
    if (runs.empty()) {
        return report;
    }
    LLMOPS_TRY(check_schema(conn));
    std::vector<std::string> uids;
    for (const auto& run : runs) {
        uids.push_back(store::run_uid(run));
    }
    auto there = LLMOPS_TRY(conn.query("SELECT uid FROM llmops.runs WHERE uid = ANY($1::text[])",
                                       {fmt::format("{{{}}}", fmt::join(uids, ","))}));
    std::set<std::string> present;
    for (int r = 0; r < there.rows(); ++r) {
        present.insert(std::string(there.text(r, 0)));
    }
    for (const auto& run : runs) {
        if (present.contains(store::run_uid(run))) {
            ++report.already;
            continue;
        }
        const int64_t count = LLMOPS_TRY(push_run(db, conn, run));
        if (count < 0) {
            ++report.already;
            continue;
        }
        ++report.sent;
        report.results += count;
    }
    return report;
}

Expected<RunSyncReport> pull_runs(store::Database& db, PgConnection& conn, RunSelection selection) {
    RunSyncReport report;
    if (selection == RunSelection::none) {
        return report;
    }
    LLMOPS_TRY(check_schema(conn));
    auto rows = LLMOPS_TRY(conn.query(
        fmt::format("SELECT {}, (SELECT count(*) FROM llmops.results x WHERE x.run_id = r.id) "
                    "FROM llmops.runs r ORDER BY id {}",
                    k_run_columns, selection == RunSelection::latest ? "DESC LIMIT 1" : "")));
    const auto here = LLMOPS_TRY(local_runs(db));
    for (int r = 0; r < rows.rows(); ++r) {
        const std::string uid(rows.text(r, 1));
        const int64_t remote_count = rows.integer(r, 11);
        if (const auto found = here.find(uid); found != here.end()) {
            if (found->second.second >= remote_count) {
                ++report.already;
                continue;
            }
            LLMOPS_TRY(store::remove_run(db, found->second.first)); // a pull cut short
        }
        report.results += LLMOPS_TRY(copy_run(db, conn, read_run(rows, r)));
        ++report.sent;
    }
    return report;
}

Expected<std::pair<store::Database, int64_t>> fetch_remote_run(PgConnection& conn,
                                                               std::string_view ref) {
    LLMOPS_TRY(check_schema(conn));
    int64_t offset = 0;
    std::string where;
    PgParams params;
    if (ref == "latest" || ref.starts_with("latest~")) {
        if (ref != "latest") {
            offset = std::strtoll(std::string(ref.substr(7)).c_str(), nullptr, 10);
        }
    } else if (!ref.empty() && ref.find_first_not_of("0123456789") == std::string_view::npos) {
        where = "WHERE id = $1";
        params.push_back(std::string(ref));
    } else {
        return fail(ErrorCode::not_found,
                    "{} has no run '{}' (a remote run is latest, latest~N or its number)",
                    conn.describe(), ref);
    }
    auto rows = LLMOPS_TRY(conn.query(fmt::format("SELECT {} FROM llmops.runs {} ORDER BY id DESC "
                                                  "LIMIT 1 OFFSET {}",
                                                  k_run_columns, where, offset),
                                      params));
    if (rows.rows() == 0) {
        return fail(ErrorCode::not_found, "{} has no run '{}'", conn.describe(), ref);
    }
    auto db = LLMOPS_TRY(store::Database::open(":memory:", store::OpenMode::read_write));
    LLMOPS_TRY(store::migrate(db));
    LLMOPS_TRY(copy_run(db, conn, read_run(rows, 0)));
    return std::pair{std::move(db), int64_t{1}};
}

} // namespace llmops::remote
