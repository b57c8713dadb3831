#include <llmops/report/prompt_report.hpp>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include <llmops/prompt/assign.hpp>
#include <llmops/prompt/display.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;

constexpr size_t k_short_id = 12;

std::string short_id(const std::string& id) {
    return id.substr(0, k_short_id);
}

json version_json(const store::VersionInfo& v) {
    return json{{"name", v.name},
                {"version", v.number},
                {"id", v.id},
                {"parent", v.parent_id ? json(*v.parent_id) : json(nullptr)},
                {"message", v.message},
                {"author", v.author},
                {"created_at", v.created_at}};
}

// Labels of `name` pointing at version `number`, sorted.
// A split label is at each of its arms, with the arm's weight: "production 10%".
std::vector<std::string> labels_at(const std::vector<store::LabelInfo>& labels,
                                   const std::string& name, int64_t number) {
    std::vector<std::string> out;
    for (const auto& l : labels) {
        if (l.prompt != name) {
            continue;
        }
        if (l.split.empty() && l.number == number) {
            out.push_back(l.label);
        }
        for (const auto& arm : l.split) {
            if (arm.number == number) {
                out.push_back(fmt::format("{} {}%", l.label, arm.weight));
            }
        }
    }
    return out;
}

// For JSON: the names of the labels of `name` serving version `number` (wholly or as an arm),
// sorted.
std::vector<std::string> label_names_at(const std::vector<store::LabelInfo>& labels,
                                        const std::string& name, int64_t number) {
    std::vector<std::string> out;
    for (const auto& l : labels) {
        const bool arm = std::any_of(l.split.begin(), l.split.end(),
                                     [&](const store::LabelArm& a) { return a.number == number; });
        if (l.prompt == name && ((l.split.empty() && l.number == number) || arm)) {
            out.push_back(l.label);
        }
    }
    return out;
}

// For JSON: {"production": 10} for each split label of `name` that version `number` is an arm of.
json weights_at(const std::vector<store::LabelInfo>& labels, const std::string& name,
                int64_t number) {
    json out = json::object();
    for (const auto& l : labels) {
        for (const auto& arm : l.split) {
            if (l.prompt == name && arm.number == number) {
                out[l.label] = arm.weight;
            }
        }
    }
    return out;
}

json arms_json(const std::vector<store::LabelArm>& arms) {
    json out = json::array();
    for (const auto& arm : arms) {
        json item{{"version", arm.number}, {"weight", arm.weight}};
        if (!arm.id.empty()) {
            item["id"] = arm.id;
        }
        out.push_back(std::move(item));
    }
    return out;
}

std::string dump_pretty(const json& value) {
    return value.dump(2) + "\n";
}

// "2026-11-23T09:00:00.123Z" -> "2026-11-23 09:00"
std::string short_time(const std::string& iso) {
    if (iso.size() < 16) {
        return iso;
    }
    return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

// "1 label", "2 labels"
std::string count(int64_t n, std::string_view noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string first_line(const std::string& text) {
    const size_t nl = text.find('\n');
    return nl == std::string::npos ? text : text.substr(0, nl);
}

const char* state_name(prompt::FileState state) {
    switch (state) {
    case prompt::FileState::added: return "new";
    case prompt::FileState::modified: return "modified";
    case prompt::FileState::unchanged: return "unchanged";
    case prompt::FileState::invalid: return "invalid";
    }
    return "invalid";
}

} // namespace

std::string commit_text(const std::vector<prompt::FileCommit>& lines) {
    std::string out;
    size_t created = 0;
    for (const auto& line : lines) {
        const auto& v = line.outcome.version;
        if (line.outcome.created) {
            ++created;
            out += fmt::format("committed {}@{} {} ({})\n", v.name, v.number, short_id(v.id),
                               line.file.display);
        } else {
            out += fmt::format("unchanged {}@{} {} ({}): identical to the latest version\n", v.name,
                               v.number, short_id(v.id), line.file.display);
        }
    }
    if (lines.empty()) {
        out += "nothing to commit: every prompt file matches its latest version\n";
    } else if (lines.size() > 1) {
        out += fmt::format("{} version{} committed, {} unchanged\n", created,
                           created == 1 ? "" : "s", lines.size() - created);
    }
    return out;
}

std::string commit_json(const std::vector<prompt::FileCommit>& lines) {
    json items = json::array();
    for (const auto& line : lines) {
        json item = version_json(line.outcome.version);
        item["path"] = line.file.display;
        item["created"] = line.outcome.created;
        items.push_back(std::move(item));
    }
    return dump_pretty(json{{"commits", items}});
}

std::string status_text(const prompt::WorkspaceStatus& status, Colour colour) {
    std::string out;
    size_t changes = 0;
    for (const auto& e : status.files) {
        switch (e.state) {
        case prompt::FileState::unchanged: continue;
        case prompt::FileState::added:
            out += paint(fmt::format("  new:       {} ({})", e.file.display, e.name),
                         util::Colour::green, colour);
            break;
        case prompt::FileState::modified:
            out += paint(fmt::format("  modified:  {} ({}, latest @{})", e.file.display, e.name,
                                     *e.latest_number),
                         util::Colour::yellow, colour);
            break;
        case prompt::FileState::invalid:
            out += paint(fmt::format("  invalid:   {}", e.error), util::Colour::red, colour);
            break;
        }
        out += '\n';
        ++changes;
    }
    for (const auto& name : status.without_file) {
        out += paint(fmt::format("  no file:   {} (committed; no file under prompts/)", name),
                     util::Colour::dim, colour);
        out += '\n';
    }
    if (status.files.empty()) {
        return "no prompt files under prompts/ (.yaml, .yml, .md, .txt or .prompt)\n" + out;
    }
    if (changes == 0) {
        const auto n = static_cast<int64_t>(status.files.size());
        return fmt::format("clean: {} {}\n{}", count(n, "prompt file"),
                           n == 1 ? "matches its latest version" : "match their latest versions",
                           out);
    }
    return "changes not committed (llmops prompt commit -m MSG):\n" + out;
}

std::string status_json(const prompt::WorkspaceStatus& status) {
    json files = json::array();
    for (const auto& e : status.files) {
        files.push_back(json{
            {"path", e.file.display},
            {"name", e.name.empty() ? json(nullptr) : json(e.name)},
            {"state", state_name(e.state)},
            {"id", e.id.empty() ? json(nullptr) : json(e.id)},
            {"latest_version", e.latest_number ? json(*e.latest_number) : json(nullptr)},
            {"error", e.error.empty() ? json(nullptr) : json(e.error)},
        });
    }
    return dump_pretty(json{{"files", files}, {"without_file", status.without_file}});
}

std::string list_text(const std::vector<store::PromptSummary>& prompts) {
    if (prompts.empty()) {
        return "no prompts committed yet (llmops prompt commit -m MSG)\n";
    }
    size_t width = 4;
    for (const auto& p : prompts) {
        width = std::max(width, p.name.size());
    }
    std::string out = fmt::format("{:<{}}  {:>7}  {:<12}  {:<16}  {}\n", "NAME", width, "LATEST",
                                  "ID", "UPDATED", "LABELS");
    for (const auto& p : prompts) {
        std::vector<std::string> labels;
        for (const auto& [label, number] : p.labels) {
            const auto split = p.splits.find(label);
            labels.push_back(split == p.splits.end()
                                 ? fmt::format("{}=@{}", label, number)
                                 : fmt::format("{}={}", label, split_text(split->second)));
        }
        std::string line = fmt::format("{:<{}}  {:>7}  {:<12}  {:<16}  {}", p.name, width,
                                       "@" + std::to_string(p.versions), short_id(p.latest_id),
                                       short_time(p.updated_at), util::join(labels, " "));
        // No trailing blanks when the prompt has no labels.
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    return out;
}

std::string list_json(const std::vector<store::PromptSummary>& prompts) {
    json items = json::array();
    for (const auto& p : prompts) {
        json labels = json::object();
        json splits = json::object();
        for (const auto& [label, number] : p.labels) {
            labels[label] = number;
        }
        for (const auto& [label, arms] : p.splits) {
            splits[label] = arms_json(arms);
        }
        items.push_back(json{{"name", p.name},
                             {"latest_version", p.versions},
                             {"latest_id", p.latest_id},
                             {"updated_at", p.updated_at},
                             {"labels", labels},
                             {"splits", splits}});
    }
    return dump_pretty(json{{"prompts", items}});
}

std::string log_text(const std::vector<store::VersionInfo>& versions,
                     const std::vector<store::LabelInfo>& labels, Colour colour) {
    if (versions.empty()) {
        return "no versions committed yet (llmops prompt commit -m MSG)\n";
    }
    std::string out;
    for (const auto& v : versions) {
        const auto at = labels_at(labels, v.name, v.number);
        std::string decoration;
        if (!at.empty()) {
            decoration = " (" + paint(util::join(at, ", "), util::Colour::green, colour) + ")";
        }
        out += paint(fmt::format("{}@{} {}", v.name, v.number, short_id(v.id)),
                     util::Colour::yellow, colour) +
               decoration + "\n";
        out += fmt::format("Author: {}\nDate:   {}\n\n    {}\n\n", v.author, v.created_at,
                           first_line(v.message));
    }
    return out;
}

std::string log_json(const std::vector<store::VersionInfo>& versions,
                     const std::vector<store::LabelInfo>& labels) {
    json items = json::array();
    for (const auto& v : versions) {
        json item = version_json(v);
        item["labels"] = label_names_at(labels, v.name, v.number);
        item["weights"] = weights_at(labels, v.name, v.number);
        items.push_back(std::move(item));
    }
    return dump_pretty(json{{"versions", items}});
}

std::string show_text(const store::VersionInfo& version, const prompt::PromptDefinition& def,
                      const std::vector<store::LabelInfo>& labels, Colour colour) {
    const auto at = labels_at(labels, version.name, version.number);
    std::string out =
        paint(fmt::format("{}@{}", version.name, version.number), util::Colour::yellow, colour);
    if (!at.empty()) {
        out += " (" + paint(util::join(at, ", "), util::Colour::green, colour) + ")";
    }
    out += fmt::format("\nid:      {}\nparent:  {}\nauthor:  {}\ndate:    {}\nmessage: {}\n\n",
                       version.id, version.parent_id.value_or("(none)"), version.author,
                       version.created_at, version.message);
    out += prompt::to_file_text(def, prompt::FileFormat::yaml, prompt::IncludeName::no);
    return out;
}

std::string show_json(const store::VersionInfo& version, const std::string& content,
                      const std::vector<store::LabelInfo>& labels) {
    json item = version_json(version);
    item["labels"] = label_names_at(labels, version.name, version.number);
    item["weights"] = weights_at(labels, version.name, version.number);
    item["content"] = json::parse(content);
    return dump_pretty(item);
}

std::string diff_json(const prompt::DiffSide& from, const prompt::DiffSide& to,
                      const std::string& diff) {
    const auto side = [](const prompt::DiffSide& s) {
        json out{{"label", s.label}};
        out["version"] = s.version ? version_json(*s.version) : json(nullptr);
        return out;
    };
    return dump_pretty(
        json{{"from", side(from)}, {"to", side(to)}, {"identical", diff.empty()}, {"diff", diff}});
}

std::string split_text(const std::vector<store::LabelArm>& arms) {
    std::vector<std::string> parts;
    for (const auto& arm : arms) {
        parts.push_back(fmt::format("@{} {}%", arm.number, arm.weight));
    }
    return util::join(parts, ", ");
}

std::string label_event_text(const store::LabelEvent& e) {
    std::string what;
    if (!e.split.empty()) {
        what = fmt::format("split {}", split_text(e.split));
    } else if (e.from && e.to && *e.from == *e.to) {
        what = fmt::format("unsplit: all to @{}", *e.to);
    } else if (!e.from) {
        what = fmt::format("set to @{}", *e.to);
    } else if (!e.to) {
        what = fmt::format("removed (was @{})", *e.from);
    } else {
        what = fmt::format("moved @{} -> @{}", *e.from, *e.to);
    }
    std::string out = fmt::format("{}  {}:{} {}  by {}", short_time(e.created_at), e.prompt,
                                  e.label, what, e.author);
    if (!e.message.empty()) {
        out += ": " + first_line(e.message);
    }
    return out + "\n";
}

std::string labels_text(const std::vector<store::LabelInfo>& labels) {
    if (labels.empty()) {
        return "no label has been set yet (llmops prompt label set REF LABEL)\n";
    }
    std::string out;
    for (const auto& l : labels) {
        const std::string where =
            l.split.empty() ? fmt::format("@{} {}", l.number, short_id(l.id)) : split_text(l.split);
        out += fmt::format("{}:{} {}  (since {})\n", l.prompt, l.label, where,
                           short_time(l.updated_at));
    }
    return out;
}

std::string labels_json(const std::vector<store::LabelInfo>& labels) {
    json items = json::array();
    for (const auto& l : labels) {
        items.push_back(json{{"prompt", l.prompt},
                             {"label", l.label},
                             {"version", l.number},
                             {"id", l.id},
                             {"updated_at", l.updated_at},
                             {"split", l.split.empty() ? json(nullptr) : arms_json(l.split)}});
    }
    return dump_pretty(json{{"labels", items}});
}

std::string label_history_text(const std::vector<store::LabelEvent>& events) {
    if (events.empty()) {
        return "no label has been set yet (llmops prompt label set REF LABEL)\n";
    }
    std::string out;
    for (const auto& e : events) {
        out += label_event_text(e);
    }
    return out;
}

std::string label_history_json(const std::vector<store::LabelEvent>& events) {
    json items = json::array();
    for (const auto& e : events) {
        items.push_back(json{{"seq", e.seq},
                             {"prompt", e.prompt},
                             {"label", e.label},
                             {"from", e.from ? json(*e.from) : json(nullptr)},
                             {"to", e.to ? json(*e.to) : json(nullptr)},
                             {"author", e.author},
                             {"message", e.message},
                             {"created_at", e.created_at},
                             {"split", e.split.empty() ? json(nullptr) : arms_json(e.split)}});
    }
    return dump_pretty(json{{"events", items}});
}

std::string fsck_text(const store::FsckReport& report) {
    std::string out;
    for (const auto& p : report.problems) {
        out += fmt::format("{}: {}: {}\n", p.kind, p.subject, p.message);
    }
    out += fmt::format("checked {}, {}, {}, {}: {}\n", count(report.objects, "object"),
                       count(report.versions, "version"), count(report.labels, "label"),
                       count(report.label_events, "label event"),
                       report.problems.empty()
                           ? std::string("ok")
                           : count(static_cast<int64_t>(report.problems.size()), "problem"));
    return out;
}

std::string fsck_json(const store::FsckReport& report) {
    json problems = json::array();
    for (const auto& p : report.problems) {
        problems.push_back(json{{"kind", p.kind}, {"subject", p.subject}, {"message", p.message}});
    }
    return dump_pretty(json{{"ok", report.problems.empty()},
                            {"objects", report.objects},
                            {"versions", report.versions},
                            {"labels", report.labels},
                            {"label_events", report.label_events},
                            {"problems", problems}});
}

std::string
export_json(const std::vector<prompt::LoadedVersion>& entries,
            const std::optional<std::string>& label,
            const std::map<std::string, std::vector<prompt::WeightedVersion>>& weights) {
    json prompts = json::object();
    for (const auto& e : entries) {
        json item = json::parse(e.content);
        item["version"] = e.version.number;
        item["id"] = e.version.id;
        item["created_at"] = e.version.created_at;
        if (const auto it = weights.find(e.version.name); it != weights.end()) {
            json arms = json::array();
            for (const auto& w : it->second) {
                arms.push_back(json{{"version", w.arm.number},
                                    {"id", w.arm.id},
                                    {"weight", w.arm.weight},
                                    {"content", json::parse(w.content)}});
            }
            item["weights"] = std::move(arms);
        }
        prompts[e.version.name] = std::move(item);
    }
    json out{{"format", "llmops-export/1"},
             {"label", label ? json(*label) : json("latest")},
             {"prompts", prompts}};
    if (!weights.empty()) {
        out["assignment"] = prompt::k_assignment_rule;
    }
    return dump_pretty(out);
}

namespace {

std::string number_or_none(const std::optional<int64_t>& n) {
    return n ? fmt::format("@{}", *n) : std::string("none");
}

// `3`, or `3-5` for consecutive numbers, or `3, 5`.
std::string number_list(const std::vector<int64_t>& numbers) {
    bool consecutive = true;
    for (size_t i = 1; i < numbers.size(); ++i) {
        consecutive = consecutive && numbers[i] == numbers[i - 1] + 1;
    }
    if (numbers.size() > 1 && consecutive) {
        return fmt::format("{}-{}", numbers.front(), numbers.back());
    }
    return fmt::format("{}", fmt::join(numbers, ", "));
}

json conflict_side(const std::optional<store::VersionInfo>& v) {
    return v ? json{{"version", v->number}, {"id", v->id}} : json(nullptr);
}

} // namespace

std::string merge_text(const store::ImportReport& report, const MergeWords& words) {
    std::string out;
    size_t changed = 0;
    for (const auto& p : report.prompts) {
        std::vector<std::string> parts;
        if (!p.added.empty()) {
            std::vector<int64_t> here;
            std::vector<int64_t> there;
            for (const auto& a : p.added) {
                here.push_back(a.number);
                there.push_back(a.bundle_number);
            }
            const std::string noun = p.added.size() == 1 ? "version" : "versions";
            if (p.created) {
                parts.push_back(fmt::format("new prompt, {} {}", p.added.size(), noun));
            } else if (here == there) {
                parts.push_back(fmt::format("added {} {}", noun, number_list(here)));
            } else {
                parts.push_back(fmt::format("diverged: {} {} {} added as {}", words.theirs, noun,
                                            number_list(there), number_list(here)));
            }
        }
        for (const auto& l : p.labels) {
            parts.push_back(
                fmt::format("{} {} -> {}", l.label, number_or_none(l.from), number_or_none(l.to)));
        }
        if (parts.empty()) {
            continue;
        }
        ++changed;
        out += fmt::format("{}: {}\n", p.name, fmt::join(parts, "; "));
    }
    for (const auto& c : report.conflicts) {
        const auto side = [](const std::optional<store::VersionInfo>& v) {
            return v ? fmt::format("@{} ({})", v->number, v->id.substr(0, 12))
                     : std::string("removed");
        };
        out +=
            fmt::format("conflict: label '{}' of '{}' moved on both sides: {} {}, {} {}\n", c.label,
                        c.prompt, words.here, side(c.here), words.there, side(c.bundle));
        if (!words.advice.empty()) {
            out += fmt::format("  {}\n", words.advice);
        } else if (c.bundle) {
            out += fmt::format("  to take {}: llmops prompt label set {}@{} {}\n", words.theirs,
                               c.prompt, c.bundle->number, c.label);
        } else {
            out += fmt::format("  to take {}: llmops prompt label rm {} {}\n", words.theirs,
                               c.prompt, c.label);
        }
    }
    const size_t same = report.prompts.size() - changed;
    out += fmt::format("{}: {} prompt{} changed, {} unchanged", words.summary, changed,
                       changed == 1 ? "" : "s", same);
    if (!report.conflicts.empty()) {
        out += fmt::format(", {} label conflict{}", report.conflicts.size(),
                           report.conflicts.size() == 1 ? "" : "s");
    }
    out += report.dry_run ? " (dry run: nothing written)\n" : "\n";
    return out;
}

std::string import_text(const store::ImportReport& report, const std::string& file) {
    const std::string summary =
        fmt::format("{} '{}'", report.dry_run ? "would import" : "imported", file);
    return merge_text(report, MergeWords{"the bundle's", "here", "in the bundle", summary, ""});
}

std::string import_json(const store::ImportReport& report, const std::string& file) {
    json prompts = json::array();
    for (const auto& p : report.prompts) {
        json added = json::array();
        for (const auto& a : p.added) {
            added.push_back(
                {{"bundle_version", a.bundle_number}, {"version", a.number}, {"id", a.id}});
        }
        json labels = json::array();
        for (const auto& l : p.labels) {
            labels.push_back({{"label", l.label},
                              {"from", l.from ? json(*l.from) : json(nullptr)},
                              {"to", l.to ? json(*l.to) : json(nullptr)}});
        }
        prompts.push_back({{"name", p.name},
                           {"created", p.created},
                           {"diverged", p.diverged},
                           {"added", std::move(added)},
                           {"labels", std::move(labels)}});
    }
    json conflicts = json::array();
    for (const auto& c : report.conflicts) {
        conflicts.push_back({{"prompt", c.prompt},
                             {"label", c.label},
                             {"here", conflict_side(c.here)},
                             {"bundle", conflict_side(c.bundle)}});
    }
    return dump_pretty(json{{"file", file},
                            {"dry_run", report.dry_run},
                            {"prompts", std::move(prompts)},
                            {"conflicts", std::move(conflicts)}});
}

std::string render_output(const store::VersionInfo& version, const prompt::PromptDefinition& def,
                          const prompt::RenderedPrompt& rendered, RenderFormat format,
                          const prompt::Assignment* assignment) {
    json messages = json::array();
    if (rendered.text) {
        messages.push_back(json{{"role", "user"}, {"content", *rendered.text}});
    }
    for (const auto& m : rendered.messages) {
        messages.push_back(json{{"role", m.role}, {"content", m.content}});
    }
    switch (format) {
    case RenderFormat::text: {
        if (rendered.text) {
            return *rendered.text + "\n";
        }
        std::string out;
        for (size_t i = 0; i < rendered.messages.size(); ++i) {
            out += fmt::format("{}[{}]\n{}\n", i == 0 ? "" : "\n", rendered.messages[i].role,
                               rendered.messages[i].content);
        }
        return out;
    }
    case RenderFormat::json: {
        json out{{"name", version.name}, {"version", version.number}, {"id", version.id}};
        if (rendered.text) {
            out["text"] = *rendered.text;
        }
        out["messages"] = messages;
        out["config"] = json::parse(def.config_json);
        if (assignment != nullptr) {
            out["label"] = assignment->label;
            out["weights"] = arms_json(assignment->weights);
            out["assignment"] = json{{"rule", prompt::k_assignment_rule},
                                     {"unit", assignment->unit},
                                     {"bucket", assignment->bucket},
                                     {"version", assignment->arm.number},
                                     {"weight", assignment->arm.weight}};
        }
        return dump_pretty(out);
    }
    case RenderFormat::openai: {
        // The Chat Completions request body: the prompt's config supplies model and parameters.
        json body = json::parse(def.config_json);
        body["messages"] = messages;
        return dump_pretty(body);
    }
    }
    return {};
}

std::string paint(std::string_view text, util::Colour c, Colour colour) {
    return util::paint(text, c, colour == Colour::on);
}

} // namespace llmops::report
