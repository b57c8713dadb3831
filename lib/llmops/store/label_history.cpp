// The label history's rows (schema v4's hash chain, v9's splits): how a row is hashed and
// appended, and a split's canonical text, apart from the prompt store's other work.

#include <llmops/store/prompts.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>

namespace llmops::store {

namespace {

// A split's key: a version number as canonical text ("3", not "03" or "+3"), at least 1.
std::optional<int64_t> arm_number(std::string_view key) {
    if (key.empty() || key.size() > 18 || key.front() == '0' ||
        key.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    return std::stoll(std::string(key));
}

} // namespace

std::string split_json(const std::vector<LabelArm>& arms) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& arm : arms) {
        object[std::to_string(arm.number)] = arm.weight;
    }
    return util::canonical_json(object);
}

std::optional<std::vector<LabelArm>> parse_split(std::string_view text) {
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object() || parsed.size() < 2) {
        return std::nullopt;
    }
    std::vector<LabelArm> arms;
    int64_t sum = 0;
    for (const auto& [key, value] : parsed.items()) {
        const auto number = arm_number(key);
        if (!number || !value.is_number_integer()) {
            return std::nullopt;
        }
        const auto weight = value.get<int64_t>();
        if (weight < 1 || weight > 99) {
            return std::nullopt;
        }
        sum += weight;
        arms.push_back(LabelArm{*number, weight});
    }
    std::sort(arms.begin(), arms.end(),
              [](const LabelArm& a, const LabelArm& b) { return a.number < b.number; });
    if (sum != 100) {
        return std::nullopt;
    }
    return arms;
}

std::string label_event_hash(std::string_view previous, const LabelEvent& event) {
    const auto number = [](const std::optional<int64_t>& n) {
        return n ? nlohmann::json(*n) : nlohmann::json(nullptr);
    };
    nlohmann::json row =
        nlohmann::json::array({std::string(previous), event.prompt, event.label, number(event.from),
                               number(event.to), event.author, event.message, event.created_at});
    // Only when present: the rows written before schema 9 keep their hashes.
    if (!event.split.empty()) {
        row.push_back(split_json(event.split));
    }
    return util::sha256_hex(util::canonical_json(row));
}

Expected<void> append_label_event(Database& db, int64_t prompt_id, LabelEvent& event) {
    auto last = LLMOPS_TRY(db.prepare("SELECT hash FROM label_history ORDER BY id DESC LIMIT 1"));
    auto insert = LLMOPS_TRY(db.prepare(
        "INSERT INTO label_history(prompt_id, label, from_number, to_number, author, message, "
        "created_at, hash, split) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    auto row = LLMOPS_TRY(last.step());
    const std::string previous = row ? last.text(0) : std::string();
    insert.bind(1, prompt_id)
        .bind(2, event.label)
        .bind(3, event.from)
        .bind(4, event.to)
        .bind(5, event.author)
        .bind(6, event.message)
        .bind(7, event.created_at)
        .bind(8, label_event_hash(previous, event))
        .bind(9, event.split.empty() ? std::optional<std::string>()
                                     : std::optional<std::string>(split_json(event.split)));
    LLMOPS_TRY(insert.run());
    event.seq = db.last_insert_rowid();
    return {};
}

} // namespace llmops::store
