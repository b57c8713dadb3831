#include <llmops/store/prompts.hpp>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/time.hpp>

namespace llmops::store {

namespace {

constexpr std::string_view k_version_columns =
    "p.name, v.number, v.object_id, v.parent_id, v.message, v.author, v.created_at";

VersionInfo read_version(const Statement& stmt) {
    return VersionInfo{stmt.text(0), stmt.integer(1), stmt.text(2), stmt.optional_text(3),
                       stmt.text(4), stmt.text(5),    stmt.text(6)};
}

// Reads the 9 columns of a label history row: id, prompt, label, from, to, author, message,
// created_at, split (an unreadable split reads as none; fsck reports it).
LabelEvent read_event(const Statement& stmt) {
    LabelEvent event{stmt.integer(0),          stmt.text(1), stmt.text(2), stmt.optional_integer(3),
                     stmt.optional_integer(4), stmt.text(5), stmt.text(6), stmt.text(7)};
    if (const auto text = stmt.optional_text(8)) {
        event.split = parse_split(*text).value_or(std::vector<LabelArm>{});
    }
    return event;
}

// Fails with `invalid_input` for a label users may not set.
Expected<void> check_label(std::string_view label) {
    if (label == "latest") {
        return fail(ErrorCode::invalid_input,
                    "label 'latest' is reserved: it always names the newest version");
    }
    if (!is_valid_label(label)) {
        return fail(ErrorCode::invalid_input,
                    "invalid label '{}' (use lowercase letters, digits, '.', '_' and '-', and not "
                    "a version number)",
                    label);
    }
    return {};
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// True for `3` and `v3`, however many digits.
bool is_version_shaped(std::string_view spec) {
    if (!spec.empty() && spec[0] == 'v') {
        spec.remove_prefix(1);
    }
    return util::is_digits(spec);
}

// Parses `3` or `v3` as a version number; nothing when not version-shaped or too large.
std::optional<int64_t> parse_version_number(std::string_view spec) {
    if (!is_version_shaped(spec)) {
        return std::nullopt;
    }
    if (spec[0] == 'v') {
        spec.remove_prefix(1);
    }
    if (spec.size() > 15) {
        return std::nullopt;
    }
    return std::stoll(std::string(spec));
}

constexpr size_t k_min_hash_prefix = 6;

// A label's split after a weight change: its own version (the control) and its arms (one arm:
// not split).
struct Reweighted {
    int64_t control = 0;
    std::map<int64_t, int64_t> arms; // version number -> weight
};

int64_t others_sum(const std::map<int64_t, int64_t>& arms, int64_t control) {
    int64_t sum = 0;
    for (const auto& [number, weight] : arms) {
        sum += number == control ? 0 : weight;
    }
    return sum;
}

// Gives version `number` `weight` (0..99) in `arms` (the split, or the control alone at 100), as
// PromptStore::set_label_weight describes. `subject` is "label 'production' of 'name'".
Expected<Reweighted> reweight(Reweighted split, int64_t number, int64_t weight,
                              const std::string& subject) {
    auto& arms = split.arms;
    const int64_t control = split.control;
    if (number == control) {
        if (weight == 0 && arms.size() == 2) {
            arms.erase(control); // the one other arm takes the label
            split.control = arms.begin()->first;
            arms.begin()->second = 100;
            return split;
        }
        if (arms.size() == 1) {
            return fail(ErrorCode::invalid_input,
                        "{} sends all its traffic to version {}: give another version a weight "
                        "(the label's own version takes the rest)",
                        subject, control);
        }
        if (arms.size() > 2) {
            return fail(ErrorCode::invalid_input,
                        "{} has {} other arms: set their weights, and version {} (the label's "
                        "own) takes the rest",
                        subject, arms.size() - 1, control);
        }
        for (auto& [n, w] : arms) {
            w = n == control ? weight : 100 - weight;
        }
        return split;
    }
    if (weight == 0) {
        if (!arms.contains(number)) {
            return fail(ErrorCode::invalid_input, "version {} is not an arm of {}", number,
                        subject);
        }
        arms.erase(number);
    } else {
        arms[number] = weight;
    }
    const int64_t others = others_sum(arms, control);
    if (others >= 100) {
        return fail(ErrorCode::invalid_input,
                    "the other arms of {} would take {}% and leave nothing to version {} (the "
                    "label's own): lower a weight, or promote with --weight 100",
                    subject, others, control);
    }
    arms[control] = 100 - others;
    return split;
}

} // namespace

bool is_valid_prompt_name(std::string_view name) {
    if (name.empty() || name.size() > 200) {
        return false;
    }
    for (const auto& segment : util::split(name, '/')) {
        if (segment.empty() || !std::all_of(segment.begin(), segment.end(), is_name_char)) {
            return false;
        }
        if (std::all_of(segment.begin(), segment.end(), [](char c) { return c == '.'; })) {
            return false;
        }
    }
    return true;
}

bool is_valid_label(std::string_view label) {
    if (label.empty() || label.size() > 100 || label == "latest") {
        return false;
    }
    if (!std::all_of(label.begin(), label.end(), is_name_char)) {
        return false;
    }
    // A 20-digit label would not parse as a number but still reads as one.
    return !is_version_shaped(label);
}

std::pair<std::string, std::string> split_ref(std::string_view ref) {
    const size_t at = ref.rfind('@');
    if (at == std::string_view::npos) {
        return {std::string(ref), std::string()};
    }
    return {std::string(ref.substr(0, at)), std::string(ref.substr(at + 1))};
}

Error PromptStore::damaged(std::string_view what) const {
    return Error(ErrorCode::io, fmt::format("store '{}' is damaged: {} (run 'llmops fsck')",
                                            m_db->path().string(), what));
}

Expected<int64_t> PromptStore::prompt_id(std::string_view name) {
    auto stmt = LLMOPS_TRY(m_db->prepare("SELECT id FROM prompts WHERE name = ?1"));
    stmt.bind(1, name);
    auto row = LLMOPS_TRY(stmt.step());
    if (row) {
        return stmt.integer(0);
    }
    auto all = LLMOPS_TRY(names());
    return fail(ErrorCode::not_found, "unknown prompt '{}'{}", name, util::did_you_mean(name, all));
}

Expected<std::vector<CommitOutcome>>
PromptStore::commit(const std::vector<CommitRequest>& requests) {
    for (const auto& request : requests) {
        if (!is_valid_prompt_name(request.name)) {
            return fail(ErrorCode::invalid_input,
                        "invalid prompt name '{}' (use lowercase letters, digits, '.', '_', '-' "
                        "and '/')",
                        request.name);
        }
        // The store is content-addressed: an id that is not the hash of its content would make
        // the version unverifiable, and fsck would report it forever.
        if (util::sha256_hex(request.content) != request.id) {
            return fail(ErrorCode::invalid_input,
                        "version id '{}' of prompt '{}' is not the SHA-256 of its content",
                        request.id, request.name);
        }
    }
    auto tx = LLMOPS_TRY(Transaction::begin(*m_db));
    auto find_prompt = LLMOPS_TRY(m_db->prepare("SELECT id FROM prompts WHERE name = ?1"));
    auto insert_prompt =
        LLMOPS_TRY(m_db->prepare("INSERT INTO prompts(name, created_at) VALUES (?1, ?2)"));
    auto latest = LLMOPS_TRY(m_db->prepare("SELECT number, object_id FROM versions WHERE prompt_id "
                                           "= ?1 ORDER BY number DESC LIMIT 1"));
    auto insert_object = LLMOPS_TRY(
        m_db->prepare("INSERT INTO objects(id, content) VALUES (?1, ?2) ON CONFLICT DO NOTHING"));
    auto insert_version = LLMOPS_TRY(m_db->prepare(
        "INSERT INTO versions(prompt_id, number, object_id, parent_id, message, author, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    auto insert_source = LLMOPS_TRY(m_db->prepare(
        "INSERT INTO version_sources(prompt_id, number, format, text, path) VALUES (?1, ?2, ?3, "
        "?4, ?5)"));
    const std::string now = util::now_iso8601();
    std::vector<CommitOutcome> outcomes;
    outcomes.reserve(requests.size());
    for (const auto& request : requests) {
        find_prompt.reset();
        find_prompt.bind(1, request.name);
        auto found = LLMOPS_TRY(find_prompt.step());
        int64_t pid = 0;
        if (found) {
            pid = find_prompt.integer(0);
        } else {
            insert_prompt.reset();
            insert_prompt.bind(1, request.name).bind(2, now);
            LLMOPS_TRY(insert_prompt.run());
            pid = m_db->last_insert_rowid();
        }
        latest.reset();
        latest.bind(1, pid);
        auto has_latest = LLMOPS_TRY(latest.step());
        int64_t number = 1;
        std::optional<std::string> parent;
        if (has_latest) {
            number = latest.integer(0) + 1;
            parent = latest.text(1);
            if (*parent == request.id) {
                auto existing = LLMOPS_TRY(version_by_number(request.name, number - 1));
                outcomes.push_back({std::move(existing), false});
                continue;
            }
        }
        insert_object.reset();
        insert_object.bind(1, request.id).bind(2, request.content);
        LLMOPS_TRY(insert_object.run());
        insert_version.reset();
        insert_version.bind(1, pid)
            .bind(2, number)
            .bind(3, request.id)
            .bind(4, parent)
            .bind(5, request.message)
            .bind(6, request.author)
            .bind(7, now);
        LLMOPS_TRY(insert_version.run());
        if (!request.source_format.empty()) {
            insert_source.reset();
            insert_source.bind(1, pid)
                .bind(2, number)
                .bind(3, request.source_format)
                .bind(4, request.source_text)
                .bind(5, request.source_path);
            LLMOPS_TRY(insert_source.run());
        }
        outcomes.push_back({VersionInfo{request.name, number, request.id, parent, request.message,
                                        request.author, now},
                            true});
    }
    LLMOPS_TRY(tx.commit());
    return outcomes;
}

Expected<VersionInfo> PromptStore::version_by_number(std::string_view name, int64_t number,
                                                     std::string_view spec) {
    auto stmt = LLMOPS_TRY(
        m_db->prepare(fmt::format("SELECT {} FROM versions v JOIN prompts p ON "
                                  "p.id = v.prompt_id WHERE p.name = ?1 AND v.number = ?2",
                                  k_version_columns)));
    stmt.bind(1, name).bind(2, number);
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        auto candidates = LLMOPS_TRY(describe_candidates(name));
        return fail(ErrorCode::not_found, "unknown ref '{}@{}' ({})", name,
                    spec.empty() ? fmt::format("{}", number) : std::string(spec), candidates);
    }
    return read_version(stmt);
}

Expected<std::string> PromptStore::describe_candidates(std::string_view name) {
    auto stmt = LLMOPS_TRY(m_db->prepare(
        "SELECT (SELECT max(number) FROM versions v WHERE v.prompt_id = p.id), "
        "(SELECT group_concat(name, ', ') FROM (SELECT name FROM labels l WHERE l.prompt_id = "
        "p.id ORDER BY name)) FROM prompts p WHERE p.name = ?1"));
    stmt.bind(1, name);
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        return std::string("no such prompt");
    }
    const int64_t max = stmt.integer(0);
    std::string out = max == 1 ? "version 1" : fmt::format("versions 1-{}", max);
    out += ", latest";
    if (auto labels = stmt.optional_text(1)) {
        out += ", labels: " + *labels;
    }
    return out;
}

Expected<VersionInfo> PromptStore::resolve(std::string_view ref) {
    auto [name, spec] = split_ref(ref);
    if (name.empty()) {
        return fail(ErrorCode::invalid_input, "invalid ref '{}': no prompt name before '@'", ref);
    }
    if (ref.find('@') != std::string_view::npos && spec.empty()) {
        return fail(ErrorCode::invalid_input, "invalid ref '{}': nothing after '@'", ref);
    }
    LLMOPS_TRY(prompt_id(name));
    return resolve_spec(name, spec.empty() ? "latest" : spec);
}

Expected<VersionInfo> PromptStore::resolve_spec(std::string_view name, std::string_view spec) {
    if (spec == "latest") {
        auto found = LLMOPS_TRY(latest(name));
        if (!found) {
            return fail(ErrorCode::not_found, "prompt '{}' has no versions", name);
        }
        return *found;
    }
    if (const auto number = parse_version_number(spec)) {
        return version_by_number(name, *number, spec);
    }
    // A label wins over a hash prefix that happens to look the same.
    auto label = LLMOPS_TRY(
        m_db->prepare("SELECT l.version_number FROM labels l JOIN prompts p ON p.id = l.prompt_id "
                      "WHERE p.name = ?1 AND l.name = ?2"));
    label.bind(1, name).bind(2, spec);
    auto row = LLMOPS_TRY(label.step());
    if (row) {
        return version_by_number(name, label.integer(0));
    }
    if (spec.size() >= k_min_hash_prefix && util::is_lower_hex(spec)) {
        auto by_hash = LLMOPS_TRY(m_db->prepare(fmt::format(
            "SELECT {} FROM versions v JOIN prompts p ON p.id = v.prompt_id WHERE p.name = ?1 "
            "AND v.object_id >= ?2 AND v.object_id < ?2 || 'g' ORDER BY v.number DESC",
            k_version_columns)));
        by_hash.bind(1, name).bind(2, spec);
        std::vector<VersionInfo> matches;
        while (true) {
            auto next = LLMOPS_TRY(by_hash.step());
            if (!next) {
                break;
            }
            VersionInfo v = read_version(by_hash);
            // The same content committed twice is one version id: keep its newest number.
            const bool seen = std::any_of(matches.begin(), matches.end(),
                                          [&](const VersionInfo& m) { return m.id == v.id; });
            if (!seen) {
                matches.push_back(std::move(v));
            }
        }
        if (matches.size() == 1) {
            return matches.front();
        }
        if (matches.size() > 1) {
            std::vector<std::string> list;
            for (const auto& m : matches) {
                list.push_back(fmt::format("@{} {}", m.number, m.id.substr(0, 12)));
            }
            return fail(ErrorCode::conflict, "ambiguous ref '{}@{}' matches {}: {}", name, spec,
                        matches.size(), util::join(list, ", "));
        }
    }
    auto candidates = LLMOPS_TRY(describe_candidates(name));
    std::vector<std::string> label_names;
    if (auto all = labels(std::string(name))) {
        for (const auto& l : *all) {
            label_names.push_back(l.label);
        }
    }
    return fail(ErrorCode::not_found, "unknown ref '{}@{}'{} ({})", name, spec,
                util::did_you_mean(spec, label_names), candidates);
}

Expected<std::string> PromptStore::content(const VersionInfo& version) {
    auto stmt = LLMOPS_TRY(m_db->prepare("SELECT content FROM objects WHERE id = ?1"));
    stmt.bind(1, version.id);
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        return fail(ErrorCode::not_found, "missing object '{}'", version.id);
    }
    std::string text = stmt.text(0);
    // Serving text that is not the version the user named would be worse than failing: the id is
    // what runs record, and what `label set` promised.
    if (util::sha256_hex(text) != version.id) {
        return fail(ErrorCode::io,
                    "prompt '{}' version {} ({}): stored content does not match its hash (the "
                    "store was edited outside llmops; run 'llmops fsck')",
                    version.name, version.number, version.id.substr(0, 12));
    }
    return text;
}

Expected<std::optional<VersionSource>> PromptStore::source(const VersionInfo& version) {
    auto stmt = LLMOPS_TRY(m_db->prepare(
        "SELECT s.format, s.text, s.path FROM version_sources s JOIN prompts p ON p.id = "
        "s.prompt_id WHERE p.name = ?1 AND s.number = ?2"));
    stmt.bind(1, version.name).bind(2, version.number);
    if (!LLMOPS_TRY(stmt.step())) {
        return std::optional<VersionSource>();
    }
    return std::optional<VersionSource>(VersionSource{stmt.text(0), stmt.text(1), stmt.text(2)});
}

Expected<std::vector<std::pair<std::string, std::string>>> PromptStore::latest_source_paths() {
    // One look-up of the newest row per prompt in the index version_sources_paths (schema 11),
    // which holds the paths without the files' text: a filter over every row of version_sources
    // read every committed file (10,000 versions: 1,600 pages).
    auto stmt = LLMOPS_TRY(m_db->prepare(
        "SELECT p.name, (SELECT s.path FROM version_sources s WHERE s.prompt_id = p.id ORDER BY "
        "s.number DESC LIMIT 1) FROM prompts p ORDER BY p.name"));
    std::vector<std::pair<std::string, std::string>> out;
    while (LLMOPS_TRY(stmt.step())) {
        if (!stmt.is_null(1)) { // NULL: no version of the prompt kept its file
            out.emplace_back(stmt.text(0), stmt.text(1));
        }
    }
    return out;
}

Expected<std::optional<VersionInfo>> PromptStore::latest(std::string_view name) {
    auto stmt = LLMOPS_TRY(m_db->prepare(fmt::format(
        "SELECT {} FROM versions v JOIN prompts p ON p.id = v.prompt_id WHERE p.name = ?1 "
        "ORDER BY v.number DESC LIMIT 1",
        k_version_columns)));
    stmt.bind(1, name);
    auto row = LLMOPS_TRY(stmt.step());
    if (!row) {
        return std::optional<VersionInfo>();
    }
    return std::optional<VersionInfo>(read_version(stmt));
}

Expected<std::vector<VersionInfo>> PromptStore::log(const std::optional<std::string>& name,
                                                    std::optional<int64_t> limit) {
    std::string sql = fmt::format("SELECT {} FROM versions v JOIN prompts p ON p.id = v.prompt_id",
                                  k_version_columns);
    if (name) {
        LLMOPS_TRY(prompt_id(*name));
        sql += " WHERE v.prompt_id = ?1 ORDER BY v.number DESC";
    } else {
        sql += " ORDER BY v.created_at DESC, p.name, v.number DESC";
    }
    if (limit) {
        sql += fmt::format(" LIMIT {}", *limit);
    }
    auto stmt = LLMOPS_TRY(m_db->prepare(sql));
    if (name) {
        stmt.bind(1, *prompt_id(*name));
    }
    std::vector<VersionInfo> out;
    while (true) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return out;
        }
        out.push_back(read_version(stmt));
    }
}

Expected<std::vector<PromptSummary>> PromptStore::list() {
    // A LEFT JOIN, so that a prompt whose versions were deleted behind llmops's back is reported
    // rather than silently left out.
    auto stmt = LLMOPS_TRY(m_db->prepare(
        "SELECT p.name, v.number, v.object_id, v.created_at FROM prompts p LEFT JOIN versions v "
        "ON v.prompt_id = p.id AND v.number = (SELECT max(number) FROM versions WHERE prompt_id "
        "= p.id) ORDER BY p.name"));
    std::vector<PromptSummary> out;
    std::map<std::string, size_t> index;
    while (true) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            break;
        }
        if (stmt.is_null(1)) {
            return fail(damaged(fmt::format("prompt '{}' has no versions", stmt.text(0))));
        }
        index[stmt.text(0)] = out.size();
        out.push_back(PromptSummary{stmt.text(0), stmt.integer(1), stmt.text(2), stmt.text(3), {}});
    }
    if (out.empty()) {
        // "No prompts yet" must mean it: versions without their prompt rows are damage.
        auto orphans = LLMOPS_TRY(m_db->prepare("SELECT EXISTS(SELECT 1 FROM versions)"));
        LLMOPS_TRY(orphans.step());
        if (orphans.integer(0) != 0) {
            return fail(damaged("it holds versions but no prompts"));
        }
    }
    auto all_labels = LLMOPS_TRY(labels(std::nullopt));
    for (const auto& l : all_labels) {
        if (auto it = index.find(l.prompt); it != index.end()) {
            out[it->second].labels.emplace_back(l.label, l.number);
            if (!l.split.empty()) {
                out[it->second].splits[l.label] = l.split;
            }
        }
    }
    return out;
}

Expected<std::vector<LabelInfo>> PromptStore::labels(const std::optional<std::string>& name) {
    std::string sql = "SELECT p.name, l.name, l.version_number, v.object_id, l.updated_at FROM "
                      "labels l JOIN prompts p ON p.id = l.prompt_id JOIN versions v ON "
                      "v.prompt_id = l.prompt_id AND v.number = l.version_number";
    sql += name ? " WHERE p.name = ?1 ORDER BY l.name" : " ORDER BY p.name, l.name";
    auto stmt = LLMOPS_TRY(m_db->prepare(sql));
    if (name) {
        stmt.bind(1, *name);
    }
    std::vector<LabelInfo> out;
    std::map<std::pair<std::string, std::string>, size_t> index;
    while (LLMOPS_TRY(stmt.step())) {
        index[{stmt.text(0), stmt.text(1)}] = out.size();
        out.push_back(
            LabelInfo{stmt.text(0), stmt.text(1), stmt.integer(2), stmt.text(3), stmt.text(4)});
    }
    std::string arms_sql =
        "SELECT p.name, s.label, s.version_number, v.object_id, s.weight FROM label_splits s "
        "JOIN prompts p ON p.id = s.prompt_id JOIN versions v ON v.prompt_id = s.prompt_id AND "
        "v.number = s.version_number";
    arms_sql += name ? " WHERE p.name = ?1 ORDER BY s.version_number"
                     : " ORDER BY p.name, s.label, s.version_number";
    auto arms = LLMOPS_TRY(m_db->prepare(arms_sql));
    if (name) {
        arms.bind(1, *name);
    }
    while (LLMOPS_TRY(arms.step())) {
        if (const auto it = index.find({arms.text(0), arms.text(1)}); it != index.end()) {
            out[it->second].split.push_back(
                LabelArm{arms.integer(2), arms.integer(4), arms.text(3)});
        }
    }
    return out;
}

Expected<std::optional<LabelEvent>> PromptStore::set_label(const VersionInfo& version,
                                                           std::string_view label,
                                                           std::string_view author,
                                                           std::string_view message) {
    LLMOPS_TRY(check_label(label));
    auto tx = LLMOPS_TRY(Transaction::begin(*m_db));
    auto pid = LLMOPS_TRY(prompt_id(version.name));
    auto current = LLMOPS_TRY(
        m_db->prepare("SELECT version_number FROM labels WHERE prompt_id = ?1 AND name = ?2"));
    current.bind(1, pid).bind(2, label);
    auto row = LLMOPS_TRY(current.step());
    std::optional<int64_t> from;
    if (row) {
        from = current.integer(0);
    }
    const auto split = LLMOPS_TRY(split_of(pid, label));
    if (from == version.number && split.empty()) {
        return std::optional<LabelEvent>();
    }
    auto event = LLMOPS_TRY(write_label(pid, version, label, from, {}, author, message));
    LLMOPS_TRY(tx.commit());
    return std::optional<LabelEvent>(std::move(event));
}

Expected<std::vector<LabelArm>> PromptStore::split_of(int64_t prompt_id, std::string_view label) {
    auto stmt = LLMOPS_TRY(m_db->prepare("SELECT version_number, weight FROM label_splits WHERE "
                                         "prompt_id = ?1 AND label = ?2 ORDER BY version_number"));
    stmt.bind(1, prompt_id).bind(2, label);
    std::vector<LabelArm> arms;
    while (LLMOPS_TRY(stmt.step())) {
        arms.push_back(LabelArm{stmt.integer(0), stmt.integer(1)});
    }
    return arms;
}

Expected<LabelEvent> PromptStore::write_label(int64_t pid, const VersionInfo& version,
                                              std::string_view label, std::optional<int64_t> from,
                                              std::vector<LabelArm> split, std::string_view author,
                                              std::string_view message) {
    const std::string now = util::now_iso8601();
    auto upsert = LLMOPS_TRY(m_db->prepare(
        "INSERT INTO labels(prompt_id, name, version_number, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(prompt_id, name) DO UPDATE SET version_number = excluded.version_number, "
        "updated_at = excluded.updated_at"));
    upsert.bind(1, pid).bind(2, label).bind(3, version.number).bind(4, now);
    LLMOPS_TRY(upsert.run());
    auto clear =
        LLMOPS_TRY(m_db->prepare("DELETE FROM label_splits WHERE prompt_id = ?1 AND label = ?2"));
    clear.bind(1, pid).bind(2, label);
    LLMOPS_TRY(clear.run());
    auto insert = LLMOPS_TRY(m_db->prepare(
        "INSERT INTO label_splits(prompt_id, label, version_number, weight) VALUES (?1, ?2, ?3, "
        "?4)"));
    for (const auto& arm : split) {
        insert.reset();
        insert.bind(1, pid).bind(2, label).bind(3, arm.number).bind(4, arm.weight);
        LLMOPS_TRY(insert.run());
    }
    LabelEvent event{0,
                     version.name,
                     std::string(label),
                     from,
                     version.number,
                     std::string(author),
                     std::string(message),
                     now,
                     std::move(split)};
    LLMOPS_TRY(append_label_event(*m_db, pid, event));
    return event;
}

Expected<std::optional<LabelEvent>>
PromptStore::set_label_weight(const VersionInfo& version, std::string_view label, int64_t weight,
                              std::string_view author, std::string_view message) {
    LLMOPS_TRY(check_label(label));
    if (weight < 0 || weight > 100) {
        return fail(ErrorCode::invalid_input, "weight {} is not between 0 and 100 (percent)",
                    weight);
    }
    if (weight == 100) {
        return set_label(version, label, author, message); // a promotion: the split ends
    }
    auto tx = LLMOPS_TRY(Transaction::begin(*m_db));
    auto pid = LLMOPS_TRY(prompt_id(version.name));
    const std::string subject = fmt::format("label '{}' of '{}'", label, version.name);
    auto current = LLMOPS_TRY(
        m_db->prepare("SELECT version_number FROM labels WHERE prompt_id = ?1 AND name = ?2"));
    current.bind(1, pid).bind(2, label);
    if (!LLMOPS_TRY(current.step())) {
        return fail(ErrorCode::invalid_input,
                    "{} does not exist: point it at a version first (llmops prompt label set "
                    "{}@N {}), then give another version a weight",
                    subject, version.name, label);
    }
    Reweighted before{current.integer(0), {}};
    for (const auto& arm : LLMOPS_TRY(split_of(pid, label))) {
        before.arms[arm.number] = arm.weight;
    }
    if (before.arms.empty()) {
        before.arms[before.control] = 100;
    }
    auto after = LLMOPS_TRY(reweight(before, version.number, weight, subject));
    if (after.control == before.control && after.arms == before.arms) {
        return std::optional<LabelEvent>();
    }
    std::vector<LabelArm> split;
    if (after.arms.size() > 1) {
        for (const auto& [number, w] : after.arms) {
            split.push_back(LabelArm{number, w});
        }
    }
    auto control = LLMOPS_TRY(version_by_number(version.name, after.control));
    auto event = LLMOPS_TRY(
        write_label(pid, control, label, before.control, std::move(split), author, message));
    LLMOPS_TRY(tx.commit());
    return std::optional<LabelEvent>(std::move(event));
}

Expected<LabelEvent> PromptStore::remove_label(std::string_view name, std::string_view label,
                                               std::string_view author, std::string_view message) {
    auto tx = LLMOPS_TRY(Transaction::begin(*m_db));
    auto pid = LLMOPS_TRY(prompt_id(name));
    auto current = LLMOPS_TRY(
        m_db->prepare("SELECT version_number FROM labels WHERE prompt_id = ?1 AND name = ?2"));
    current.bind(1, pid).bind(2, label);
    auto row = LLMOPS_TRY(current.step());
    if (!row) {
        std::vector<std::string> existing;
        if (auto all = labels(std::string(name))) {
            for (const auto& l : *all) {
                existing.push_back(l.label);
            }
        }
        return fail(ErrorCode::not_found, "prompt '{}' has no label '{}'{} ({})", name, label,
                    util::did_you_mean(label, existing),
                    existing.empty() ? "it has no labels"
                                     : "labels: " + util::join(existing, ", "));
    }
    const int64_t from = current.integer(0);
    const std::string now = util::now_iso8601();
    auto arms =
        LLMOPS_TRY(m_db->prepare("DELETE FROM label_splits WHERE prompt_id = ?1 AND label = ?2"));
    arms.bind(1, pid).bind(2, label);
    LLMOPS_TRY(arms.run());
    auto remove =
        LLMOPS_TRY(m_db->prepare("DELETE FROM labels WHERE prompt_id = ?1 AND name = ?2"));
    remove.bind(1, pid).bind(2, label);
    LLMOPS_TRY(remove.run());
    LabelEvent event{0,
                     std::string(name),
                     std::string(label),
                     from,
                     std::nullopt,
                     std::string(author),
                     std::string(message),
                     now};
    LLMOPS_TRY(append_label_event(*m_db, pid, event));
    LLMOPS_TRY(tx.commit());
    return event;
}

Expected<std::vector<LabelEvent>>
PromptStore::label_history(const std::optional<std::string>& name) {
    std::string sql = "SELECT h.id, p.name, h.label, h.from_number, h.to_number, h.author, "
                      "h.message, h.created_at, h.split FROM label_history h JOIN prompts p ON "
                      "p.id = h.prompt_id";
    if (name) {
        LLMOPS_TRY(prompt_id(*name));
        sql += " WHERE p.name = ?1";
    }
    sql += " ORDER BY h.id";
    auto stmt = LLMOPS_TRY(m_db->prepare(sql));
    if (name) {
        stmt.bind(1, *name);
    }
    std::vector<LabelEvent> out;
    while (true) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return out;
        }
        out.push_back(read_event(stmt));
    }
}

Expected<std::vector<std::string>> PromptStore::names() {
    auto stmt = LLMOPS_TRY(m_db->prepare("SELECT name FROM prompts ORDER BY name"));
    std::vector<std::string> out;
    while (true) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return out;
        }
        out.push_back(stmt.text(0));
    }
}

Expected<std::optional<std::pair<std::string, std::string>>>
PromptStore::cached_parse(std::string_view key) {
    using Result = std::optional<std::pair<std::string, std::string>>;
    if (!m_cache_get) {
        auto prepared =
            LLMOPS_TRY(m_db->prepare("SELECT name, object_id FROM worktree_cache WHERE key = ?1"));
        m_cache_get.emplace(std::move(prepared));
    }
    Statement* stmt = &*m_cache_get;
    stmt->reset();
    stmt->bind(1, key);
    auto row = LLMOPS_TRY(stmt->step());
    if (!row) {
        return Result();
    }
    return Result(std::pair{stmt->text(0), stmt->text(1)});
}

Expected<void> PromptStore::remember_parse(std::string_view key, std::string_view name,
                                           std::string_view id) {
    if (!m_cache_put) {
        auto prepared = LLMOPS_TRY(m_db->prepare(
            "INSERT OR REPLACE INTO worktree_cache(key, name, object_id) VALUES (?1, ?2, ?3)"));
        m_cache_put.emplace(std::move(prepared));
    }
    m_cache_put->reset();
    m_cache_put->bind(1, key).bind(2, name).bind(3, id);
    return m_cache_put->run();
}

} // namespace llmops::store
