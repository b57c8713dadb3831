#include <llmops/store/bundle.hpp>

#include <algorithm>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <llmops/store/merge.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>

namespace llmops::store {

namespace {

using nlohmann::json;

constexpr std::string_view k_bundle_format = "llmops-bundle/1";

json optional_number(const std::optional<int64_t>& n) {
    return n ? json(*n) : json(nullptr);
}

// Reads the members of one JSON object of the bundle, naming the file and the place on errors.
class Fields {
public:
    Fields(const json& object, std::string_view file, std::string path)
        : m_object(object), m_file(file), m_path(std::move(path)) {}

    Expected<const json*> get(std::string_view key, json::value_t type,
                              bool nullable = false) const {
        const auto it = m_object.find(key);
        if (it == m_object.end()) {
            return fail(ErrorCode::invalid_input, "{}: {} has no '{}'", m_file, where(), key);
        }
        const bool ok = it->type() == type ||
                        (type == json::value_t::number_integer && it->is_number_unsigned()) ||
                        (nullable && it->is_null());
        if (!ok) {
            return fail(ErrorCode::invalid_input, "{}: {}.{} must be {}", m_file, where(), key,
                        type_name(type));
        }
        return &*it;
    }

    Expected<std::string> text(std::string_view key) const {
        auto value = LLMOPS_TRY(get(key, json::value_t::string));
        return value->get<std::string>();
    }

    Expected<std::optional<int64_t>> number(std::string_view key, bool nullable) const {
        auto value = LLMOPS_TRY(get(key, json::value_t::number_integer, nullable));
        if (value->is_null()) {
            return std::optional<int64_t>();
        }
        return std::optional<int64_t>(value->get<int64_t>());
    }

    std::string where() const { return m_path.empty() ? "the bundle" : m_path; }

private:
    static std::string_view type_name(json::value_t type) {
        switch (type) {
        case json::value_t::string: return "a string";
        case json::value_t::number_integer: return "an integer";
        case json::value_t::array: return "a list";
        case json::value_t::object: return "an object";
        default: return "a value of another type";
        }
    }

    const json& m_object;
    std::string_view m_file;
    std::string m_path;
};

template <typename... Args>
std::unexpected<Error> invalid(std::string_view file, fmt::format_string<Args...> format,
                               Args&&... args) {
    return fail(ErrorCode::invalid_input, "{}: {}", file,
                fmt::format(format, std::forward<Args>(args)...));
}

Expected<VersionInfo> parse_version(const json& value, std::string_view file,
                                    const std::string& path, const std::string& prompt) {
    if (!value.is_object()) {
        return invalid(file, "{} must be an object", path);
    }
    Fields f(value, file, path);
    auto id = LLMOPS_TRY(f.text("id"));
    auto message = LLMOPS_TRY(f.text("message"));
    auto author = LLMOPS_TRY(f.text("author"));
    auto created_at = LLMOPS_TRY(f.text("created_at"));
    auto number = LLMOPS_TRY(f.number("number", false));
    auto parent = LLMOPS_TRY(f.get("parent", json::value_t::string, true));
    VersionInfo v{prompt, *number, id, std::nullopt, message, author, created_at};
    if (!parent->is_null()) {
        v.parent_id = parent->get<std::string>();
    }
    return v;
}

Expected<BundleEvent> parse_event(const json& value, std::string_view file,
                                  const std::string& path) {
    if (!value.is_object()) {
        return invalid(file, "{} must be an object", path);
    }
    Fields f(value, file, path);
    auto label = LLMOPS_TRY(f.text("label"));
    auto author = LLMOPS_TRY(f.text("author"));
    auto message = LLMOPS_TRY(f.text("message"));
    auto created_at = LLMOPS_TRY(f.text("created_at"));
    auto from = LLMOPS_TRY(f.number("from", true));
    auto to = LLMOPS_TRY(f.number("to", true));
    BundleEvent event{label, from, to, author, message, created_at};
    if (const auto split = value.find("split"); split != value.end()) {
        const auto arms = split->is_object() ? parse_split(split->dump()) : std::nullopt;
        if (!arms) {
            return invalid(file,
                           "{}.split must be an object of two or more versions' weights, 1 to 99 "
                           "each, summing to 100",
                           path);
        }
        event.split = *arms;
    }
    return event;
}

Expected<void> check_history(const BundlePrompt& p, std::string_view file, const std::string& path);

// Checks one prompt's label history: valid labels, events and splits at its versions, each event
// starting where the label was, and the labels where their history ends.
Expected<void> check_history(const BundlePrompt& p, std::string_view file,
                             const std::string& path) {
    const auto exists = [&](int64_t n) {
        return n >= 1 && n <= static_cast<int64_t>(p.versions.size());
    };
    std::map<std::string, std::optional<int64_t>> replayed;
    for (size_t i = 0; i < p.history.size(); ++i) {
        const auto& e = p.history[i];
        const std::string at = fmt::format("{}.label_history[{}]", path, i);
        if (!is_valid_label(e.label)) {
            return invalid(file, "{}.label '{}' is not a valid label", at, e.label);
        }
        if ((e.from && !exists(*e.from)) || (e.to && !exists(*e.to)) || (!e.from && !e.to)) {
            return invalid(file, "{} points at a version '{}' does not have", at, p.name);
        }
        const bool arms_exist = std::all_of(e.split.begin(), e.split.end(),
                                            [&](const LabelArm& a) { return exists(a.number); });
        const bool own_arm =
            e.split.empty() || std::any_of(e.split.begin(), e.split.end(),
                                           [&](const LabelArm& a) { return e.to == a.number; });
        if (!arms_exist || !own_arm) {
            return invalid(file,
                           "{}.split names versions '{}' does not have, or not the label's own", at,
                           p.name);
        }
        const auto now = replayed.contains(e.label) ? replayed[e.label] : std::nullopt;
        if (e.from != now) {
            return invalid(file, "{} starts at version {}, but label '{}' was at {}", at,
                           e.from ? fmt::format("{}", *e.from) : "none", e.label,
                           now ? fmt::format("{}", *now) : "none");
        }
        replayed[e.label] = e.to;
    }
    for (const auto& [label, number] : p.labels) {
        const auto it = replayed.find(label);
        if (it == replayed.end() || it->second != number) {
            return invalid(file, "{}.labels.{} is not where its history ends", path, label);
        }
    }
    for (const auto& [label, number] : replayed) {
        if (number && !p.labels.contains(label)) {
            return invalid(file, "{}.labels has no '{}', but its history ends at version {}", path,
                           label, *number);
        }
    }
    return {};
}

// Leaves label `label` of prompt `pid` split as `arms` (none: whole). Fails with `io`.
Expected<void> write_split(Database& db, int64_t pid, const std::string& label,
                           const std::vector<LabelArm>& arms) {
    auto clear =
        LLMOPS_TRY(db.prepare("DELETE FROM label_splits WHERE prompt_id = ?1 AND label = ?2"));
    clear.bind(1, pid).bind(2, label);
    LLMOPS_TRY(clear.run());
    auto insert = LLMOPS_TRY(db.prepare("INSERT INTO label_splits(prompt_id, label, "
                                        "version_number, weight) VALUES (?1, ?2, ?3, ?4)"));
    for (const auto& arm : arms) {
        insert.reset();
        insert.bind(1, pid).bind(2, label).bind(3, arm.number).bind(4, arm.weight);
        LLMOPS_TRY(insert.run());
    }
    return {};
}

} // namespace

Expected<void> check_bundle_prompt(const BundlePrompt& p, const Bundle* bundle,
                                   std::string_view file, const std::string& path) {
    if (!is_valid_prompt_name(p.name)) {
        return invalid(file, "{}.name '{}' is not a valid prompt name", path, p.name);
    }
    if (p.versions.empty()) {
        return invalid(file, "{} ('{}') has no versions", path, p.name);
    }
    for (size_t i = 0; i < p.versions.size(); ++i) {
        const auto& v = p.versions[i];
        const std::string at = fmt::format("{}.versions[{}]", path, i);
        if (v.number != static_cast<int64_t>(i) + 1) {
            return invalid(file, "{}.number is {}, expected {}", at, v.number, i + 1);
        }
        if (bundle != nullptr && !bundle->objects.contains(v.id)) {
            return invalid(file, "{}.id '{}' is not in the bundle's objects", at, v.id);
        }
        const std::optional<std::string> parent =
            i == 0 ? std::nullopt : std::optional<std::string>(p.versions[i - 1].id);
        if (v.parent_id != parent) {
            return invalid(file, "{}.parent is {}, expected {}", at, v.parent_id.value_or("null"),
                           parent.value_or("null"));
        }
    }
    return check_history(p, file, path);
}

Expected<Bundle> make_bundle(PromptStore& prompts, const std::vector<std::string>& names) {
    auto all = LLMOPS_TRY(prompts.names());
    std::vector<std::string> wanted = names.empty() ? all : names;
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    Bundle bundle;
    for (const auto& name : wanted) {
        auto log = LLMOPS_TRY(prompts.log(name)); // fails with not_found and a did-you-mean
        BundlePrompt p{name, {log.rbegin(), log.rend()}, {}, {}};
        for (const auto& v : p.versions) {
            if (!bundle.objects.contains(v.id)) {
                // Checked: a bundle spreads what it holds.
                bundle.objects.emplace(v.id, LLMOPS_TRY(prompts.content(v)));
            }
        }
        auto history = LLMOPS_TRY(prompts.label_history(name));
        auto labels = LLMOPS_TRY(prompts.labels(name));
        for (const auto& e : history) {
            p.history.push_back(
                {e.label, e.from, e.to, e.author, e.message, e.created_at, e.split});
        }
        for (const auto& l : labels) {
            p.labels[l.label] = l.number;
        }
        bundle.prompts.push_back(std::move(p));
    }
    return bundle;
}

std::string bundle_json(const Bundle& bundle) {
    json prompts = json::array();
    for (const auto& p : bundle.prompts) {
        json versions = json::array();
        for (const auto& v : p.versions) {
            versions.push_back({{"number", v.number},
                                {"id", v.id},
                                {"parent", v.parent_id ? json(*v.parent_id) : json(nullptr)},
                                {"message", v.message},
                                {"author", v.author},
                                {"created_at", v.created_at}});
        }
        json history = json::array();
        for (const auto& e : p.history) {
            json event{{"label", e.label},
                       {"from", optional_number(e.from)},
                       {"to", optional_number(e.to)},
                       {"author", e.author},
                       {"message", e.message},
                       {"created_at", e.created_at}};
            if (!e.split.empty()) {
                event["split"] = json::parse(split_json(e.split));
            }
            history.push_back(std::move(event));
        }
        prompts.push_back({{"name", p.name},
                           {"versions", std::move(versions)},
                           {"labels", p.labels},
                           {"label_history", std::move(history)}});
    }
    const json doc = {
        {"format", k_bundle_format}, {"objects", bundle.objects}, {"prompts", std::move(prompts)}};
    return doc.dump(2) + "\n";
}

Expected<Bundle> parse_bundle(std::string_view text, std::string_view name) {
    auto doc = LLMOPS_TRY(util::parse_json(text, name));
    const auto format = doc.is_object() ? doc.find("format") : doc.end();
    if (!doc.is_object() || format == doc.end() || !format->is_string() ||
        !format->get_ref<const std::string&>().starts_with("llmops-bundle/")) {
        return invalid(name, "not an llmops bundle (its 'format' is not 'llmops-bundle/...'; "
                             "write one with `llmops prompt bundle`)");
    }
    if (*format != k_bundle_format) {
        return invalid(name,
                       "bundle format '{}' is not one this llmops reads ('{}'); upgrade "
                       "llmops",
                       format->get<std::string>(), k_bundle_format);
    }
    Fields top(doc, name, "");
    auto objects = LLMOPS_TRY(top.get("objects", json::value_t::object));
    auto prompts = LLMOPS_TRY(top.get("prompts", json::value_t::array));
    Bundle bundle;
    for (const auto& [id, content] : objects->items()) {
        if (!content.is_string()) {
            return invalid(name, "objects.{} must be a string (the version's canonical JSON)", id);
        }
        const auto& text_content = content.get_ref<const std::string&>();
        if (util::sha256_hex(text_content) != id) {
            return invalid(name,
                           "objects.{} is not the SHA-256 of its content (the bundle was "
                           "edited or damaged)",
                           id);
        }
        // fsck holds every stored object to its canonical form; so does an import.
        auto parsed = util::parse_json(text_content, fmt::format("{}: objects.{}", name, id));
        if (!parsed || util::canonical_json(*parsed) != text_content) {
            return invalid(name, "objects.{} is not canonical JSON", id);
        }
        bundle.objects.emplace(id, text_content);
    }
    for (size_t i = 0; i < prompts->size(); ++i) {
        const json& pj = (*prompts)[i];
        const std::string path = fmt::format("prompts[{}]", i);
        if (!pj.is_object()) {
            return invalid(name, "{} must be an object", path);
        }
        Fields f(pj, name, path);
        auto prompt_name = LLMOPS_TRY(f.text("name"));
        auto versions = LLMOPS_TRY(f.get("versions", json::value_t::array));
        auto labels = LLMOPS_TRY(f.get("labels", json::value_t::object));
        auto history = LLMOPS_TRY(f.get("label_history", json::value_t::array));
        BundlePrompt p{prompt_name, {}, {}, {}};
        for (size_t k = 0; k < versions->size(); ++k) {
            auto v = LLMOPS_TRY(parse_version((*versions)[k], name,
                                              fmt::format("{}.versions[{}]", path, k), p.name));
            p.versions.push_back(std::move(v));
        }
        for (size_t k = 0; k < history->size(); ++k) {
            auto e = LLMOPS_TRY(
                parse_event((*history)[k], name, fmt::format("{}.label_history[{}]", path, k)));
            p.history.push_back(std::move(e));
        }
        for (const auto& [label, number] : labels->items()) {
            if (!number.is_number_integer()) {
                return invalid(name, "{}.labels.{} must be a version number", path, label);
            }
            p.labels[label] = number.get<int64_t>();
        }
        LLMOPS_TRY(check_bundle_prompt(p, &bundle, name, path));
        const bool duplicate = std::any_of(bundle.prompts.begin(), bundle.prompts.end(),
                                           [&](const BundlePrompt& q) { return q.name == p.name; });
        if (duplicate) {
            return invalid(name, "{}: prompt '{}' appears twice", path, p.name);
        }
        bundle.prompts.push_back(std::move(p));
    }
    return bundle;
}

namespace {

// The destination's side of a merge: prompt `name` as `make_bundle` reads it, without the
// contents (the plan compares ids); nullopt when the store has no such prompt.
Expected<std::optional<BundlePrompt>> read_history(Database& db, PromptStore& store,
                                                   const std::string& name) {
    auto find_prompt = LLMOPS_TRY(db.prepare("SELECT id FROM prompts WHERE name = ?1"));
    find_prompt.bind(1, name);
    if (!LLMOPS_TRY(find_prompt.step())) {
        return std::nullopt;
    }
    auto log = LLMOPS_TRY(store.log(name));
    BundlePrompt p{name, {log.rbegin(), log.rend()}, {}, {}};
    for (const auto& e : LLMOPS_TRY(store.label_history(name))) {
        p.history.push_back({e.label, e.from, e.to, e.author, e.message, e.created_at, e.split});
    }
    for (const auto& l : LLMOPS_TRY(store.labels(name))) {
        p.labels[l.label] = l.number;
    }
    return p;
}

// Writes one prompt's planned merge. Fails with `io`.
Expected<void> apply_prompt_merge(Database& db, const PromptMerge& plan, const Bundle& bundle) {
    auto find_prompt = LLMOPS_TRY(db.prepare("SELECT id FROM prompts WHERE name = ?1"));
    find_prompt.bind(1, plan.report.name);
    int64_t pid = 0;
    if (LLMOPS_TRY(find_prompt.step())) {
        pid = find_prompt.integer(0);
    } else {
        auto insert_prompt =
            LLMOPS_TRY(db.prepare("INSERT INTO prompts(name, created_at) VALUES (?1, ?2)"));
        const auto& first = plan.new_versions.front();
        insert_prompt.bind(1, plan.report.name).bind(2, first.created_at);
        LLMOPS_TRY(insert_prompt.run());
        pid = db.last_insert_rowid();
    }
    auto insert_object = LLMOPS_TRY(
        db.prepare("INSERT INTO objects(id, content) VALUES (?1, ?2) ON CONFLICT DO NOTHING"));
    auto insert_version = LLMOPS_TRY(
        db.prepare("INSERT INTO versions(prompt_id, number, object_id, parent_id, message, author, "
                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    for (const auto& v : plan.new_versions) {
        // A bundle holds every object; a pull brings only those this store lacks.
        if (const auto object = bundle.objects.find(v.id); object != bundle.objects.end()) {
            insert_object.reset();
            insert_object.bind(1, v.id).bind(2, object->second);
            LLMOPS_TRY(insert_object.run());
        }
        insert_version.reset();
        insert_version.bind(1, pid)
            .bind(2, v.number)
            .bind(3, v.id)
            .bind(4, v.parent_id)
            .bind(5, v.message)
            .bind(6, v.author)
            .bind(7, v.created_at);
        LLMOPS_TRY(insert_version.run());
    }
    auto upsert_label = LLMOPS_TRY(db.prepare(
        "INSERT INTO labels(prompt_id, name, version_number, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(prompt_id, name) DO UPDATE SET version_number = excluded.version_number, "
        "updated_at = excluded.updated_at"));
    auto delete_label =
        LLMOPS_TRY(db.prepare("DELETE FROM labels WHERE prompt_id = ?1 AND name = ?2"));
    for (const auto& label : plan.labels) {
        for (LabelEvent event : label.events) {
            // The hash is this store's seal, not the source's: the event is chained to whatever
            // this store's history ends with.
            LLMOPS_TRY(append_label_event(db, pid, event));
        }
        LLMOPS_TRY(write_split(db, pid, label.label, {})); // before the label, which it references
        Statement& write = label.after ? upsert_label : delete_label;
        write.reset();
        write.bind(1, pid).bind(2, label.label);
        if (label.after) {
            write.bind(3, *label.after).bind(4, label.updated_at);
        }
        LLMOPS_TRY(write.run());
        LLMOPS_TRY(write_split(db, pid, label.label, label.split));
    }
    return {};
}

} // namespace

Expected<ImportReport> import_bundle(Database& db, const Bundle& bundle, bool dry_run) {
    auto tx = LLMOPS_TRY(Transaction::begin(db));
    PromptStore store(db);
    ImportReport report;
    report.dry_run = dry_run;
    for (const auto& bp : bundle.prompts) {
        const auto ours = LLMOPS_TRY(read_history(db, store, bp.name));
        PromptMerge plan = plan_prompt_merge(ours ? &*ours : nullptr, bp, report.conflicts);
        LLMOPS_TRY(apply_prompt_merge(db, plan, bundle));
        report.prompts.push_back(std::move(plan.report));
    }
    if (!dry_run) {
        LLMOPS_TRY(tx.commit());
    }
    return report;
}

} // namespace llmops::store
