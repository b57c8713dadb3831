#include <llmops/remote/sync.hpp>

#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <llmops/remote/schema.hpp>
#include <llmops/store/merge.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/hash.hpp>

namespace llmops::remote {

namespace {

using nlohmann::json;

json optional_json(const std::optional<int64_t>& n) {
    return n ? json(*n) : json(nullptr);
}
json optional_json(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

// A PostgreSQL array literal of ids (hex digits only: nothing to quote).
std::string id_array(const std::vector<std::string>& ids) {
    return fmt::format("{{{}}}", fmt::join(ids, ","));
}

// Runs `sql` (whose $1 is a JSON array of rows) once per batch of `rows`.
Expected<void> insert_batches(PgConnection& conn, std::string_view sql, const json& rows) {
    for (size_t start = 0; start < rows.size(); start += k_batch_rows) {
        const size_t end = std::min(rows.size(), start + k_batch_rows);
        json batch = json::array();
        for (size_t i = start; i < end; ++i) {
            batch.push_back(rows[i]);
        }
        LLMOPS_TRY(conn.execute(sql, {batch.dump()}));
    }
    return {};
}

// The WHERE clause and parameters that keep the prompts of `names` (every prompt when null).
// Prompt names are [a-z0-9._/-]: nothing in them needs quoting in an array literal.
std::pair<std::string, PgParams> name_filter(const std::vector<std::string>* names) {
    if (names == nullptr) {
        return {"", {}};
    }
    return {"WHERE p.name = ANY($1::text[])", {fmt::format("{{{}}}", fmt::join(*names, ","))}};
}

Expected<void> read_versions(PgConnection& conn, std::map<std::string, store::BundlePrompt>& out,
                             const std::vector<std::string>* names) {
    const auto [where, params] = name_filter(names);
    auto rows = LLMOPS_TRY(conn.query(
        fmt::format("SELECT p.name, v.number, v.object_id, v.parent_id, v.message, v.author, "
                    "v.created_at FROM llmops.versions v JOIN llmops.prompts p ON p.id = "
                    "v.prompt_id {} ORDER BY p.name, v.number",
                    where),
        params));
    for (int r = 0; r < rows.rows(); ++r) {
        const std::string name(rows.text(r, 0));
        auto& p = out[name];
        p.name = name;
        p.versions.push_back(
            store::VersionInfo{name, rows.integer(r, 1), std::string(rows.text(r, 2)),
                               rows.optional_text(r, 3), std::string(rows.text(r, 4)),
                               std::string(rows.text(r, 5)), std::string(rows.text(r, 6))});
    }
    return {};
}

Expected<void> read_labels(PgConnection& conn, std::map<std::string, store::BundlePrompt>& out,
                           const std::vector<std::string>* names) {
    const auto [where, params] = name_filter(names);
    auto history = LLMOPS_TRY(conn.query(
        fmt::format("SELECT p.name, h.label, h.from_number, h.to_number, h.author, h.message, "
                    "h.created_at, h.split FROM llmops.label_history h JOIN llmops.prompts p ON "
                    "p.id = h.prompt_id {} ORDER BY h.id",
                    where),
        params));
    for (int r = 0; r < history.rows(); ++r) {
        store::BundleEvent e{std::string(history.text(r, 1)), history.optional_integer(r, 2),
                             history.optional_integer(r, 3),  std::string(history.text(r, 4)),
                             std::string(history.text(r, 5)), std::string(history.text(r, 6))};
        if (!history.is_null(r, 7)) {
            auto arms = store::parse_split(history.text(r, 7));
            if (!arms) {
                return fail(ErrorCode::io, "{}: label_history has a malformed split for '{}'",
                            conn.describe(), e.label);
            }
            e.split = std::move(*arms);
        }
        out[std::string(history.text(r, 0))].history.push_back(std::move(e));
    }
    auto labels = LLMOPS_TRY(
        conn.query(fmt::format("SELECT p.name, l.name, l.version_number FROM llmops.labels l "
                               "JOIN llmops.prompts p ON p.id = l.prompt_id {}",
                               where),
                   params));
    for (int r = 0; r < labels.rows(); ++r) {
        out[std::string(labels.text(r, 0))].labels[std::string(labels.text(r, 1))] =
            labels.integer(r, 2);
    }
    return {};
}

// The remote's ids of prompts by name, creating those the plan adds.
Expected<std::map<std::string, int64_t>> prompt_ids(PgConnection& conn,
                                                    const store::MergePlan& plan) {
    json created = json::array();
    for (const auto& p : plan.prompts) {
        if (p.report.created && !p.new_versions.empty()) {
            created.push_back(
                {{"name", p.report.name}, {"created_at", p.new_versions.front().created_at}});
        }
    }
    LLMOPS_TRY(insert_batches(conn,
                              "INSERT INTO llmops.prompts(name, created_at) SELECT name, "
                              "created_at FROM json_populate_recordset(NULL::llmops.prompts, $1) "
                              "ON CONFLICT (name) DO NOTHING",
                              created));
    auto rows = LLMOPS_TRY(conn.query("SELECT name, id FROM llmops.prompts"));
    std::map<std::string, int64_t> ids;
    for (int r = 0; r < rows.rows(); ++r) {
        ids[std::string(rows.text(r, 0))] = rows.integer(r, 1);
    }
    return ids;
}

// Uploads the objects of the plan's new versions that the remote lacks.
Expected<void> upload_objects(PgConnection& conn, const store::MergePlan& plan,
                              const store::Bundle& local) {
    std::set<std::string> wanted;
    for (const auto& p : plan.prompts) {
        for (const auto& v : p.new_versions) {
            wanted.insert(v.id);
        }
    }
    std::vector<std::string> ids(wanted.begin(), wanted.end());
    std::set<std::string> there;
    for (size_t start = 0; start < ids.size(); start += k_batch_rows) {
        const std::vector<std::string> chunk(
            ids.begin() + static_cast<std::ptrdiff_t>(start),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + k_batch_rows)));
        auto rows = LLMOPS_TRY(conn.query(
            "SELECT id FROM llmops.objects WHERE id = ANY($1::text[])", {id_array(chunk)}));
        for (int r = 0; r < rows.rows(); ++r) {
            there.insert(std::string(rows.text(r, 0)));
        }
    }
    json rows = json::array();
    for (const auto& id : ids) {
        if (!there.contains(id)) {
            rows.push_back({{"id", id}, {"content", local.objects.at(id)}});
        }
    }
    return insert_batches(
        conn,
        "INSERT INTO llmops.objects(id, content) SELECT id, content FROM "
        "json_populate_recordset(NULL::llmops.objects, $1) ON CONFLICT DO NOTHING",
        rows);
}

json version_rows(const store::MergePlan& plan, const std::map<std::string, int64_t>& ids) {
    json rows = json::array();
    for (const auto& p : plan.prompts) {
        for (const auto& v : p.new_versions) {
            rows.push_back({{"prompt_id", ids.at(p.report.name)},
                            {"number", v.number},
                            {"object_id", v.id},
                            {"parent_id", optional_json(v.parent_id)},
                            {"message", v.message},
                            {"author", v.author},
                            {"created_at", v.created_at}});
        }
    }
    return rows;
}

// The plan's label events as rows of llmops.label_history, oldest first.
json label_event_rows(const store::MergePlan& plan, const std::map<std::string, int64_t>& ids) {
    json events = json::array();
    for (const auto& p : plan.prompts) {
        for (const auto& label : p.labels) {
            for (const auto& e : label.events) {
                events.push_back({{"prompt_id", ids.at(p.report.name)},
                                  {"label", e.label},
                                  {"from_number", optional_json(e.from)},
                                  {"to_number", optional_json(e.to)},
                                  {"author", e.author},
                                  {"message", e.message},
                                  {"created_at", e.created_at},
                                  {"split", e.split.empty() ? json(nullptr)
                                                            : json(store::split_json(e.split))}});
            }
        }
    }
    return events;
}

// Appends the plan's label events and leaves each label and its split where the plan says.
Expected<void> write_labels(PgConnection& conn, const store::MergePlan& plan,
                            const std::map<std::string, int64_t>& ids) {
    const json events = label_event_rows(plan, ids);
    LLMOPS_TRY(insert_batches(
        conn,
        "INSERT INTO llmops.label_history(prompt_id, label, from_number, to_number, author, "
        "message, created_at, split) SELECT prompt_id, label, from_number, to_number, author, "
        "message, created_at, split FROM json_populate_recordset(NULL::llmops.label_history, $1) "
        "WITH ORDINALITY AS r(id, prompt_id, label, from_number, to_number, author, message, "
        "created_at, split, n) ORDER BY n",
        events));
    json moved = json::array();
    json placed = json::array();
    json arms = json::array();
    for (const auto& p : plan.prompts) {
        const int64_t pid = ids.at(p.report.name);
        for (const auto& label : p.labels) {
            moved.push_back({{"prompt_id", pid}, {"name", label.label}});
            if (!label.after) {
                continue;
            }
            placed.push_back({{"prompt_id", pid},
                              {"name", label.label},
                              {"version_number", *label.after},
                              {"updated_at", label.updated_at}});
            for (const auto& arm : label.split) {
                arms.push_back({{"prompt_id", pid},
                                {"label", label.label},
                                {"version_number", arm.number},
                                {"weight", arm.weight}});
            }
        }
    }
    // A batch a statement: the labels the plan moves go, then come back where it leaves them.
    LLMOPS_TRY(insert_batches(conn,
                              "DELETE FROM llmops.labels l USING json_populate_recordset("
                              "NULL::llmops.labels, $1) m WHERE l.prompt_id = m.prompt_id AND "
                              "l.name = m.name",
                              moved));
    LLMOPS_TRY(insert_batches(conn,
                              "INSERT INTO llmops.labels SELECT * FROM "
                              "json_populate_recordset(NULL::llmops.labels, $1)",
                              placed));
    LLMOPS_TRY(insert_batches(conn,
                              "INSERT INTO llmops.label_splits SELECT * FROM "
                              "json_populate_recordset(NULL::llmops.label_splits, $1)",
                              arms));
    return {};
}

// The objects of the remote's versions that this store lacks, each checked against its id.
Expected<std::map<std::string, std::string>>
fetch_objects(store::Database& db, PgConnection& conn,
              const std::vector<store::BundlePrompt>& remote) {
    auto has = LLMOPS_TRY(db.prepare("SELECT 1 FROM objects WHERE id = ?1"));
    std::set<std::string> missing;
    for (const auto& p : remote) {
        for (const auto& v : p.versions) {
            has.reset();
            has.bind(1, v.id);
            if (!LLMOPS_TRY(has.step())) {
                missing.insert(v.id);
            }
        }
    }
    std::vector<std::string> ids(missing.begin(), missing.end());
    std::map<std::string, std::string> objects;
    for (size_t start = 0; start < ids.size(); start += k_batch_rows) {
        const std::vector<std::string> chunk(
            ids.begin() + static_cast<std::ptrdiff_t>(start),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + k_batch_rows)));
        auto rows = LLMOPS_TRY(
            conn.query("SELECT id, content FROM llmops.objects WHERE id = ANY($1::text[])",
                       {id_array(chunk)}));
        for (int r = 0; r < rows.rows(); ++r) {
            std::string id(rows.text(r, 0));
            std::string content(rows.text(r, 1));
            if (util::sha256_hex(content) != id) {
                return fail(ErrorCode::io,
                            "{}: object {} does not match its id (the remote was altered)",
                            conn.describe(), id.substr(0, 12));
            }
            objects.emplace(std::move(id), std::move(content));
        }
    }
    return objects;
}

// Where the remote's label points: its number and version id (nullopt: no such label).
Expected<std::optional<std::pair<int64_t, std::string>>>
remote_label(PgConnection& conn, const std::string& pid, const std::string& label) {
    auto row = LLMOPS_TRY(conn.query(
        "SELECT l.version_number, v.object_id FROM llmops.labels l JOIN llmops.versions v "
        "ON v.prompt_id = l.prompt_id AND v.number = l.version_number "
        "WHERE l.prompt_id = $1 AND l.name = $2",
        {pid, label}));
    if (row.rows() == 0) {
        return std::nullopt;
    }
    return std::pair{row.integer(0, 0), std::string(row.text(0, 1))};
}

Expected<ConcurrentMove> last_move(PgConnection& conn, const std::string& pid,
                                   const std::string& label) {
    auto row = LLMOPS_TRY(
        conn.query("SELECT h.to_number, coalesce(v.object_id, ''), h.author, h.created_at "
                   "FROM llmops.label_history h LEFT JOIN llmops.versions v "
                   "ON v.prompt_id = h.prompt_id AND v.number = h.to_number "
                   "WHERE h.prompt_id = $1 AND h.label = $2 ORDER BY h.id DESC LIMIT 1",
                   {pid, label}));
    if (row.rows() == 0) {
        return ConcurrentMove{};
    }
    return ConcurrentMove{row.optional_integer(0, 0), std::string(row.text(0, 1)),
                          std::string(row.text(0, 2)), std::string(row.text(0, 3))};
}

// The remote's prompt id and the number of version `id` in it. Fails with `not_found`.
Expected<std::pair<std::string, int64_t>> remote_version(PgConnection& conn,
                                                         const LabelMove& move) {
    auto row = LLMOPS_TRY(
        conn.query("SELECT p.id, max(v.number) FROM llmops.prompts p LEFT JOIN llmops.versions v "
                   "ON v.prompt_id = p.id AND v.object_id = $2 WHERE p.name = $1 GROUP BY p.id",
                   {move.prompt, move.version_id}));
    if (row.rows() == 0 || row.is_null(0, 1)) {
        return fail(ErrorCode::not_found, "{} does not have {} version {} yet: push it first",
                    conn.describe(), move.prompt, move.version_id.substr(0, 12));
    }
    return std::pair{std::string(row.text(0, 0)), row.integer(0, 1)};
}

// The prompt names a version's canonical content uses as partials (`{{> name}}`,
// `{{> name@label}}`).
std::vector<std::string> partial_names(std::string_view content) {
    std::vector<std::string> out;
    for (size_t at = content.find("{{>"); at != std::string_view::npos;
         at = content.find("{{>", at + 3)) {
        size_t start = at + 3;
        while (start < content.size() && content[start] == ' ') {
            ++start;
        }
        size_t end = start;
        const auto name_char = [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                   c == '-' || c == '/';
        };
        while (end < content.size() && name_char(content[end])) {
            ++end;
        }
        const std::string_view name = content.substr(start, end - start);
        if (store::is_valid_prompt_name(name)) {
            out.emplace_back(name);
        }
    }
    return out;
}

} // namespace

Expected<LabelMoveResult> move_remote_label(PgConnection& conn, const LabelMove& move) {
    auto tx = LLMOPS_TRY(PgTransaction::begin(conn));
    LLMOPS_TRY(conn.execute("SELECT pg_advisory_xact_lock($1)", {std::to_string(k_write_lock)}));
    LLMOPS_TRY(check_schema(conn));
    const auto [pid, number] = LLMOPS_TRY(remote_version(conn, move));
    const auto current = LLMOPS_TRY(remote_label(conn, pid, move.label));
    LabelMoveResult result;
    result.from = current ? std::optional<int64_t>(current->first) : std::nullopt;
    const std::optional<std::string> current_id =
        current ? std::optional<std::string>(current->second) : std::nullopt;
    if (current_id != move.expected_id) {
        result.concurrent = LLMOPS_TRY(last_move(conn, pid, move.label));
        return result;
    }
    if (current && current->first == number) {
        result.to = number;
        return result;
    }
    LLMOPS_TRY(conn.execute(
        "INSERT INTO llmops.label_history(prompt_id, label, from_number, to_number, author, "
        "message, created_at, split) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        {pid, move.label,
         current ? std::optional<std::string>(std::to_string(current->first)) : std::nullopt,
         std::to_string(number), move.author, move.message, move.created_at}));
    LLMOPS_TRY(conn.execute("DELETE FROM llmops.labels WHERE prompt_id = $1 AND name = $2",
                            {pid, move.label}));
    LLMOPS_TRY(conn.execute("INSERT INTO llmops.labels(prompt_id, name, version_number, "
                            "updated_at) VALUES ($1, $2, $3, $4)",
                            {pid, move.label, std::to_string(number), move.created_at}));
    LLMOPS_TRY(tx.commit());
    result.moved = true;
    result.to = number;
    return result;
}

Expected<std::vector<store::BundlePrompt>>
read_remote_history(PgConnection& conn, const std::vector<std::string>* names) {
    std::map<std::string, store::BundlePrompt> by_name;
    LLMOPS_TRY(read_versions(conn, by_name, names));
    LLMOPS_TRY(read_labels(conn, by_name, names));
    std::vector<store::BundlePrompt> out;
    for (auto& [name, p] : by_name) {
        p.name = name;
        LLMOPS_TRY(store::check_bundle_prompt(p, nullptr, conn.describe(),
                                              fmt::format("prompt '{}'", name)));
        out.push_back(std::move(p));
    }
    return out;
}

Expected<store::ImportReport> push_prompts(store::Database& db, PgConnection& conn) {
    store::PromptStore prompts(db);
    const store::Bundle local = LLMOPS_TRY(store::make_bundle(prompts, {}));
    auto tx = LLMOPS_TRY(PgTransaction::begin(conn));
    LLMOPS_TRY(conn.execute("SELECT pg_advisory_xact_lock($1)", {std::to_string(k_write_lock)}));
    LLMOPS_TRY(check_schema(conn));
    const auto remote = LLMOPS_TRY(read_remote_history(conn));
    const store::MergePlan plan = store::plan_merge(remote, local);
    LLMOPS_TRY(upload_objects(conn, plan, local));
    const auto ids = LLMOPS_TRY(prompt_ids(conn, plan));
    LLMOPS_TRY(insert_batches(conn,
                              "INSERT INTO llmops.versions SELECT * FROM "
                              "json_populate_recordset(NULL::llmops.versions, $1)",
                              version_rows(plan, ids)));
    LLMOPS_TRY(write_labels(conn, plan, ids));
    LLMOPS_TRY(tx.commit());
    store::ImportReport report;
    for (const auto& p : plan.prompts) {
        report.prompts.push_back(p.report);
    }
    report.conflicts = plan.conflicts;
    return report;
}

Expected<store::ImportReport> pull_prompts(store::Database& db, PgConnection& conn) {
    LLMOPS_TRY(check_schema(conn));
    // One snapshot of the remote: a push committing meanwhile is seen whole or not at all.
    auto tx = LLMOPS_TRY(PgTransaction::begin(conn, "ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    store::Bundle bundle;
    bundle.prompts = LLMOPS_TRY(read_remote_history(conn));
    bundle.objects = LLMOPS_TRY(fetch_objects(db, conn, bundle.prompts));
    LLMOPS_TRY(tx.commit());
    return store::import_bundle(db, bundle, false);
}

Expected<store::Database> snapshot_prompts(PgConnection& conn,
                                           const std::vector<std::string>* names) {
    auto db = LLMOPS_TRY(store::Database::open(":memory:", store::OpenMode::read_write));
    LLMOPS_TRY(store::migrate(db));
    LLMOPS_TRY(check_schema(conn));
    auto tx = LLMOPS_TRY(PgTransaction::begin(conn, "ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    store::Bundle bundle;
    std::set<std::string> wanted;
    std::vector<std::string> next;
    if (names != nullptr) {
        next = *names;
        wanted.insert(next.begin(), next.end());
    }
    // The prompts asked for, then the prompts their versions name as partials, until none is new.
    do {
        auto prompts = LLMOPS_TRY(read_remote_history(conn, names == nullptr ? nullptr : &next));
        auto objects = LLMOPS_TRY(fetch_objects(db, conn, prompts));
        next.clear();
        for (const auto& [id, content] : objects) {
            for (auto& partial : partial_names(content)) {
                if (names != nullptr && wanted.insert(partial).second) {
                    next.push_back(std::move(partial));
                }
            }
        }
        bundle.objects.merge(objects);
        std::move(prompts.begin(), prompts.end(), std::back_inserter(bundle.prompts));
    } while (!next.empty());
    LLMOPS_TRY(tx.commit());
    LLMOPS_TRY(store::import_bundle(db, bundle, false));
    return db;
}

} // namespace llmops::remote
