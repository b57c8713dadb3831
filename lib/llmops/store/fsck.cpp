#include <llmops/store/fsck.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include <llmops/store/prompts.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::store {

namespace {

// "@3", or "nothing" for a label that did not exist.
std::string position(const std::optional<int64_t>& number) {
    return number.has_value() ? fmt::format("@{}", number.value()) : std::string("nothing");
}

// Runs `sql` (with `args` bound to ?1, ?2, ...) and calls `on_row` for each row. Fails with
// `io`.
template <typename F, typename... Args>
Expected<void> each_row(Database& db, std::string_view sql, F&& on_row, const Args&... args) {
    auto stmt = LLMOPS_TRY(db.prepare(sql));
    int index = 0;
    (stmt.bind(++index, args), ...);
    while (true) {
        auto row = LLMOPS_TRY(stmt.step());
        if (!row) {
            return {};
        }
        on_row(stmt);
    }
}

// " (prompt 'greet' version 1, ...)": the versions whose content object `id` is, so that a
// damaged object is named as users know it. Fails with `io`.
Expected<std::string> versions_of(Database& db, const std::string& id) {
    std::vector<std::string> names;
    LLMOPS_TRY(each_row(
        db,
        "SELECT p.name, v.number FROM versions v JOIN prompts p ON p.id = "
        "v.prompt_id WHERE v.object_id = ?1 ORDER BY p.name, v.number",
        [&](const Statement& s) {
            names.push_back(fmt::format("prompt '{}' version {}", s.text(0), s.integer(1)));
        },
        id));
    return names.empty() ? std::string(" (no version uses it)")
                         : fmt::format(" ({})", util::join(names, ", "));
}

void check_objects(Database& db, FsckReport& report, Expected<void>& status) {
    const size_t first = report.problems.size();
    status = each_row(db, "SELECT id, content FROM objects", [&](const Statement& s) {
        ++report.objects;
        const std::string id = s.text(0);
        const std::string content = s.text(1);
        const std::string actual = util::sha256_hex(content);
        if (actual != id) {
            report.problems.push_back(
                {"hash-mismatch", id, fmt::format("content hashes to {}", actual.substr(0, 12))});
            return;
        }
        if (util::find_invalid_utf8(content)) {
            report.problems.push_back({"not-canonical", id, "content is not valid UTF-8"});
            return;
        }
        const auto parsed = nlohmann::json::parse(content, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) {
            report.problems.push_back({"not-canonical", id, "content is not a JSON object"});
        } else if (util::canonical_json(parsed) != content) {
            report.problems.push_back({"not-canonical", id, "content is not canonical JSON"});
        }
    });
    // Named once the scan is done: a damaged object is rare, a lookup per object is not free.
    for (size_t i = first; status && i < report.problems.size(); ++i) {
        auto users = versions_of(db, report.problems[i].subject);
        if (!users) {
            status = fail(users.error());
            return;
        }
        report.problems[i].message += *users;
    }
}

void check_versions(Database& db, FsckReport& report, Expected<void>& status) {
    // Versions of each prompt in order: numbers must be 1..n and each parent the previous object.
    std::string last_name;
    int64_t expected_number = 1;
    std::optional<std::string> previous_object;
    status = each_row(
        db,
        "SELECT p.name, v.number, v.object_id, v.parent_id, "
        "EXISTS(SELECT 1 FROM objects o WHERE o.id = v.object_id) FROM versions v "
        "JOIN prompts p ON p.id = v.prompt_id ORDER BY p.name, v.number",
        [&](const Statement& s) {
            ++report.versions;
            const std::string name = s.text(0);
            const int64_t number = s.integer(1);
            const std::string object = s.text(2);
            const auto parent = s.optional_text(3);
            const std::string subject = fmt::format("{}@{}", name, number);
            if (name != last_name) {
                last_name = name;
                expected_number = 1;
                previous_object.reset();
            }
            if (number != expected_number) {
                report.problems.push_back({"version-gap", subject,
                                           fmt::format("expected version {} after {}",
                                                       expected_number, expected_number - 1)});
            }
            if (s.integer(4) == 0) {
                report.problems.push_back(
                    {"missing-object", subject, fmt::format("object {} is missing", object)});
            }
            if (parent != previous_object) {
                report.problems.push_back(
                    {"bad-parent", subject,
                     fmt::format("parent is {}, expected {}", parent.value_or("none"),
                                 previous_object.value_or("none"))});
            }
            expected_number = number + 1;
            previous_object = object;
        });
}

// Checks the split an event recorded (column 6 of `s`, columns 0, 1, 3 and 4 naming the prompt,
// label, `to` and the event): readable, with `to` among its arms, and arms that are versions of
// the prompt. Returns split_json of it (nothing when unreadable or absent).
std::optional<std::string> check_event_split(const Statement& s, FsckReport& report) {
    const auto text = s.optional_text(6);
    if (!text) {
        return std::nullopt;
    }
    const std::string subject = s.text(0) + ":" + s.text(1);
    const auto arms = parse_split(*text);
    if (!arms) {
        report.problems.push_back(
            {"label-split", subject,
             fmt::format("history event {} records an unreadable split '{}' (weights of two or "
                         "more versions, 1 to 99 each, summing to 100)",
                         s.integer(4), *text)});
        return std::nullopt;
    }
    const auto to = s.optional_integer(3);
    if (!to || std::none_of(arms->begin(), arms->end(),
                            [&](const LabelArm& a) { return a.number == *to; })) {
        report.problems.push_back(
            {"label-split", subject,
             fmt::format("history event {} splits the label between versions that do not "
                         "include its own ({})",
                         s.integer(4), position(to))});
    }
    return split_json(*arms);
}

// Checks the current splits (label_splits): weights sum to 100 over two or more arms, the
// label's own version is one of them, every arm is a version, and they are where the label's
// history ends (`replayed`: split_json per label, '' when unsplit).
void check_splits(Database& db, FsckReport& report, Expected<void>& status,
                  const std::map<std::pair<std::string, std::string>, int64_t>& current,
                  const std::map<std::pair<std::string, std::string>, std::string>& replayed) {
    using Key = std::pair<std::string, std::string>;
    std::map<Key, std::vector<LabelArm>> splits;
    status = each_row(
        db,
        "SELECT p.name, s.label, s.version_number, s.weight, EXISTS(SELECT 1 FROM versions v "
        "WHERE v.prompt_id = s.prompt_id AND v.number = s.version_number) FROM label_splits s "
        "JOIN prompts p ON p.id = s.prompt_id ORDER BY p.name, s.label, s.version_number",
        [&](const Statement& s) {
            const Key key{s.text(0), s.text(1)};
            splits[key].push_back(LabelArm{s.integer(2), s.integer(3)});
            if (s.integer(4) == 0) {
                report.problems.push_back(
                    {"label-split", key.first + ":" + key.second,
                     fmt::format("arm points at missing version {}", s.integer(2))});
            }
        });
    if (!status) {
        return;
    }
    for (const auto& [key, arms] : splits) {
        const std::string subject = key.first + ":" + key.second;
        int64_t sum = 0;
        for (const auto& arm : arms) {
            sum += arm.weight;
        }
        const auto label = current.find(key);
        if (sum != 100 || arms.size() < 2) {
            report.problems.push_back(
                {"label-split", subject,
                 fmt::format("weights of {} arm{} sum to {}, not 100 over two or more arms",
                             arms.size(), arms.size() == 1 ? "" : "s", sum)});
        }
        if (label == current.end()) {
            report.problems.push_back({"label-split", subject,
                                       "split of a label that does not "
                                       "exist"});
        } else if (std::none_of(arms.begin(), arms.end(),
                                [&](const LabelArm& a) { return a.number == label->second; })) {
            report.problems.push_back(
                {"label-split", subject,
                 fmt::format("the label's own version {} is not one of its arms", label->second)});
        }
    }
    for (const auto& [key, number] : current) {
        const auto it = splits.find(key);
        const std::string now = it == splits.end() ? std::string() : split_json(it->second);
        const auto end = replayed.find(key);
        const std::string history = end == replayed.end() ? std::string() : end->second;
        if (now != history) {
            report.problems.push_back({"label-split", key.first + ":" + key.second,
                                       fmt::format("label splits {}, but its history ends at {}",
                                                   now.empty() ? "nothing" : now,
                                                   history.empty() ? "no split" : history)});
        }
    }
}

void check_labels(Database& db, FsckReport& report, Expected<void>& status) {
    // Replay the history of every label; the result must be where the label points now, and
    // each event must start where the previous one ended.
    using Key = std::pair<std::string, std::string>;
    std::map<Key, std::optional<int64_t>> replayed;
    std::map<Key, std::string> replayed_split; // split_json of the history's end ('' for none)
    status = each_row(
        db,
        "SELECT p.name, h.label, h.from_number, h.to_number, h.id, "
        "h.to_number IS NULL OR EXISTS(SELECT 1 FROM versions v WHERE v.prompt_id = h.prompt_id "
        "AND v.number = h.to_number), h.split FROM label_history h JOIN prompts p ON p.id = "
        "h.prompt_id ORDER BY h.id",
        [&](const Statement& s) {
            replayed_split[Key{s.text(0), s.text(1)}] =
                check_event_split(s, report).value_or(std::string());
            ++report.label_events;
            const Key key{s.text(0), s.text(1)};
            const auto from = s.optional_integer(2);
            const auto to = s.optional_integer(3);
            const std::string subject = key.first + ":" + key.second;
            const auto it = replayed.find(key);
            const std::optional<int64_t> before = it == replayed.end() ? std::nullopt : it->second;
            if (from != before) {
                report.problems.push_back(
                    {"label-history", subject,
                     fmt::format("history event {} starts at {}, but the label was at {}",
                                 s.integer(4), position(from), position(before))});
            }
            if (s.integer(5) == 0) {
                report.problems.push_back(
                    {"label-history", subject,
                     fmt::format("history event {} points at missing version {}", s.integer(4),
                                 to.value_or(0))});
            }
            replayed[key] = to;
        });
    if (!status) {
        return;
    }
    std::map<Key, int64_t> current;
    status = each_row(db,
                      "SELECT p.name, l.name, l.version_number, EXISTS(SELECT 1 FROM versions v "
                      "WHERE v.prompt_id = l.prompt_id AND v.number = l.version_number) FROM "
                      "labels l JOIN prompts p ON p.id = l.prompt_id",
                      [&](const Statement& s) {
                          ++report.labels;
                          const Key key{s.text(0), s.text(1)};
                          current[key] = s.integer(2);
                          if (s.integer(3) == 0) {
                              report.problems.push_back(
                                  {"dangling-label", key.first + ":" + key.second,
                                   fmt::format("points at missing version {}", s.integer(2))});
                          }
                      });
    if (!status) {
        return;
    }
    for (const auto& [key, to] : replayed) {
        const auto it = current.find(key);
        const std::optional<int64_t> now =
            it == current.end() ? std::nullopt : std::optional<int64_t>(it->second);
        if (now != to) {
            report.problems.push_back({"label-history", key.first + ":" + key.second,
                                       fmt::format("label is at {}, but its history ends at {}",
                                                   position(now), position(to))});
        }
    }
    for (const auto& [key, number] : current) {
        if (!replayed.contains(key)) {
            report.problems.push_back(
                {"label-history", key.first + ":" + key.second, "label has no history"});
        }
    }
    check_splits(db, report, status, current, replayed_split);
}

// Says which events are missing before event `id`, which follows event `previous` (none: `id`
// is the first row).
std::string deleted_events(int64_t id, std::optional<int64_t> previous) {
    const int64_t first = previous.value_or(0) + 1;
    const std::string missing = first == id - 1
                                    ? fmt::format("event {} was deleted", first)
                                    : fmt::format("events {}-{} were deleted", first, id - 1);
    return previous ? fmt::format("history event {} follows event {}: {}", id, *previous, missing)
                    : fmt::format("history event {} is the first: {}", id, missing);
}

// Recomputes the label history's hash chain (see `label_event_hash`) in id order. Each break is
// reported once, at the row where the chain breaks; the check then goes on from the stored hash,
// so one damaged row is one problem. Ids are never reused or skipped by llmops (rows are only
// appended, and SQLite gives each the next id), so a gap is a deleted row.
void check_history_chain(Database& db, FsckReport& report, Expected<void>& status) {
    std::string previous;
    std::optional<int64_t> previous_id;
    status = each_row(
        db,
        "SELECT h.id, coalesce(p.name, ''), h.label, h.from_number, h.to_number, h.author, "
        "h.message, h.created_at, h.hash, p.name IS NULL, h.split FROM label_history h LEFT JOIN "
        "prompts p ON p.id = h.prompt_id ORDER BY h.id",
        [&](const Statement& s) {
            LabelEvent event{s.integer(0),          s.text(1), s.text(2), s.optional_integer(3),
                             s.optional_integer(4), s.text(5), s.text(6), s.text(7)};
            // An unreadable split is reported by check_labels; hashed as none, it breaks here too.
            if (const auto split = s.optional_text(10)) {
                event.split = parse_split(*split).value_or(std::vector<LabelArm>{});
            }
            const std::string stored = s.text(8);
            const std::string subject =
                (s.integer(9) != 0 ? std::string("(missing prompt)") : event.prompt) + ":" +
                event.label;
            const int64_t expected_id = previous_id.value_or(0) + 1;
            if (event.seq > expected_id) {
                report.problems.push_back(
                    {"history-chain", subject, deleted_events(event.seq, previous_id)});
            } else if (stored.empty()) {
                report.problems.push_back(
                    {"history-chain", subject,
                     fmt::format("history event {} has no hash: it was inserted outside llmops",
                                 event.seq)});
            } else if (stored != label_event_hash(previous, event)) {
                report.problems.push_back(
                    {"history-chain", subject,
                     fmt::format("history event {} does not match its hash: it (or the event "
                                 "before it) was edited or inserted outside llmops",
                                 event.seq)});
            }
            previous = stored;
            previous_id = event.seq;
        });
}

} // namespace

Expected<FsckReport> fsck(Database& db) {
    FsckReport report;
    LLMOPS_TRY(each_row(db, "PRAGMA integrity_check", [&](const Statement& s) {
        if (s.text(0) != "ok") {
            report.problems.push_back({"sqlite-integrity", db.path().string(), s.text(0)});
        }
    }));
    auto missing = LLMOPS_TRY(missing_tables(db));
    for (const auto& table : missing) {
        report.problems.push_back({"missing-table", table, "the table is missing"});
    }
    if (!missing.empty()) {
        return report; // the checks below would only fail on the missing tables
    }
    LLMOPS_TRY(each_row(db, "PRAGMA foreign_key_check", [&](const Statement& s) {
        // WITHOUT ROWID tables (versions, labels) report no row id.
        report.problems.push_back(
            {"foreign-key",
             s.is_null(1) ? s.text(0) : fmt::format("{} row {}", s.text(0), s.integer(1)),
             fmt::format("references a missing row of {}", s.text(2))});
    }));
    Expected<void> status;
    for (auto check : {check_objects, check_versions, check_labels, check_history_chain}) {
        check(db, report, status);
        if (!status) {
            return fail(status.error());
        }
    }
    return report;
}

} // namespace llmops::store
