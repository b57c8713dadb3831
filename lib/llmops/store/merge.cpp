#include <llmops/store/merge.hpp>

#include <algorithm>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace llmops::store {

namespace {

// One label event compared across stores: versions by id, not by number (its split too, as
// "id:weight,..." by id).
using EventKey = std::tuple<std::optional<std::string>, std::optional<std::string>, std::string,
                            std::string, std::string, std::string>;

// The split of an event as ids and weights, for EventKey; `id_of` maps a version number.
template <typename IdOf>
std::string split_key(const std::vector<LabelArm>& split, IdOf id_of) {
    std::vector<std::string> arms;
    for (const auto& arm : split) {
        arms.push_back(fmt::format("{}:{}", id_of(arm.number).value_or(""), arm.weight));
    }
    std::sort(arms.begin(), arms.end());
    return fmt::format("{}", fmt::join(arms, ","));
}

bool is_prefix(const std::vector<EventKey>& a, const std::vector<EventKey>& b) {
    return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A source event's split in the destination's numbers (`to_local` maps the source's).
std::vector<LabelArm> local_split(const std::vector<LabelArm>& split,
                                  const std::vector<int64_t>& to_local) {
    std::vector<LabelArm> out;
    for (const auto& arm : split) {
        out.push_back(LabelArm{to_local[static_cast<size_t>(arm.number)], arm.weight});
    }
    std::sort(out.begin(), out.end(),
              [](const LabelArm& a, const LabelArm& b) { return a.number < b.number; });
    return out;
}

// Maps every source version number to a destination one (index = source number), appending to
// `local` (and to the plan) the versions the destination lacks.
std::vector<int64_t> merge_versions(std::vector<VersionInfo>& local, const BundlePrompt& theirs,
                                    PromptMerge& plan) {
    const size_t shared = local.size();
    const bool linear =
        shared <= theirs.versions.size() &&
        std::equal(local.begin(), local.end(), theirs.versions.begin(),
                   [](const VersionInfo& a, const VersionInfo& b) { return a.id == b.id; });
    std::vector<int64_t> to_local(theirs.versions.size() + 1, 0);
    for (const auto& bv : theirs.versions) {
        const auto n = static_cast<size_t>(bv.number);
        if (linear && n <= shared) {
            to_local[n] = bv.number;
            continue;
        }
        if (!linear) {
            if (n <= local.size() && local[n - 1].id == bv.id) {
                to_local[n] = bv.number;
                continue;
            }
            const auto same = std::find_if(local.rbegin(), local.rend(),
                                           [&](const VersionInfo& v) { return v.id == bv.id; });
            if (same != local.rend()) {
                to_local[n] = same->number;
                continue;
            }
            plan.report.diverged = true;
        }
        VersionInfo added = bv;
        added.name = theirs.name;
        added.number = static_cast<int64_t>(local.size()) + 1;
        added.parent_id =
            local.empty() ? std::nullopt : std::optional<std::string>(local.back().id);
        to_local[n] = added.number;
        plan.report.added.push_back({bv.number, added.number, added.id});
        plan.new_versions.push_back(added);
        local.push_back(std::move(added));
    }
    return to_local;
}

// Where the source's events of a label can be replayed on the destination from, or nullopt (a
// conflict). From the end of the destination's history when it is a prefix of the source's (a
// plain fast-forward); else, past the shared prefix, from just after the source's last event
// that left the label where the destination has it now (its version and split): the source saw
// that state and moved on, so its later moves follow from what the destination holds. This is
// what lets two stores that settled a conflict (one took the other's version) fast-forward
// again afterwards. `other.size()` means nothing to replay.
std::optional<size_t> fast_forward_start(const std::vector<EventKey>& mine,
                                         const std::vector<EventKey>& other) {
    if (is_prefix(mine, other)) {
        return mine.size();
    }
    size_t base = 0;
    while (base < mine.size() && base < other.size() && mine[base] == other[base]) {
        ++base;
    }
    const auto state = [](const EventKey& e) { return std::pair(std::get<1>(e), std::get<5>(e)); };
    for (size_t k = other.size(); k > base; --k) {
        if (state(other[k - 1]) == state(mine.back())) {
            return k;
        }
    }
    return std::nullopt;
}

struct LabelSides {
    std::map<std::string, std::vector<EventKey>> ours;
    std::map<std::string, std::vector<EventKey>> theirs;
    std::map<std::string, std::vector<const BundleEvent*>> their_events;
    std::vector<std::string> order; // labels in the order the source first moved them
};

// Plans the fast-forward of `label` to the source's events from index `start` on.
LabelMerge fast_forward(const std::string& label, std::optional<int64_t> here, size_t start,
                        const LabelSides& sides, const std::string& prompt,
                        const std::vector<int64_t>& to_local) {
    LabelMerge merge{label, here, {}, here, {}, {}};
    const auto& events = sides.their_events.at(label);
    for (size_t k = start; k < events.size(); ++k) {
        const BundleEvent& e = *events[k];
        const std::optional<int64_t> to =
            e.to ? std::optional<int64_t>(to_local[static_cast<size_t>(*e.to)]) : std::nullopt;
        merge.events.push_back(LabelEvent{0, prompt, label, merge.after, to, e.author, e.message,
                                          e.created_at, local_split(e.split, to_local)});
        merge.after = to;
    }
    merge.split = local_split(events.back()->split, to_local);
    merge.updated_at = events.back()->created_at;
    return merge;
}

void merge_labels(const BundlePrompt* ours, const BundlePrompt& theirs,
                  const std::vector<VersionInfo>& local, const std::vector<int64_t>& to_local,
                  PromptMerge& plan, std::vector<LabelConflict>& conflicts) {
    const auto local_id = [&](std::optional<int64_t> n) {
        return n ? std::optional<std::string>(local[static_cast<size_t>(*n) - 1].id) : std::nullopt;
    };
    const auto their_id = [&](std::optional<int64_t> n) {
        return n ? std::optional<std::string>(theirs.versions[static_cast<size_t>(*n) - 1].id)
                 : std::nullopt;
    };
    LabelSides sides;
    if (ours != nullptr) {
        for (const auto& e : ours->history) {
            sides.ours[e.label].emplace_back(local_id(e.from), local_id(e.to), e.author, e.message,
                                             e.created_at, split_key(e.split, local_id));
        }
    }
    for (const auto& e : theirs.history) {
        if (!sides.theirs.contains(e.label)) {
            sides.order.push_back(e.label);
        }
        sides.theirs[e.label].emplace_back(their_id(e.from), their_id(e.to), e.author, e.message,
                                           e.created_at, split_key(e.split, their_id));
        sides.their_events[e.label].push_back(&e);
    }
    for (const auto& label : sides.order) {
        const auto& mine = sides.ours[label];
        const auto& other = sides.theirs[label];
        if (is_prefix(other, mine)) {
            continue; // the destination has all of it already
        }
        std::optional<int64_t> here;
        if (ours != nullptr && ours->labels.contains(label)) {
            here = ours->labels.at(label);
        }
        const std::optional<size_t> start = fast_forward_start(mine, other);
        if (start && *start == other.size()) {
            continue; // moved on both sides, but the source ends where the destination is
        }
        if (start) {
            LabelMerge merge = fast_forward(label, here, *start, sides, theirs.name, to_local);
            plan.report.labels.push_back({label, merge.before, merge.after});
            plan.labels.push_back(std::move(merge));
            continue;
        }
        const auto there =
            theirs.labels.contains(label)
                ? std::optional<int64_t>(to_local[static_cast<size_t>(theirs.labels.at(label))])
                : std::nullopt;
        LabelConflict conflict{theirs.name, label, std::nullopt, std::nullopt};
        if (here) {
            conflict.here = local[static_cast<size_t>(*here) - 1];
        }
        if (there) {
            conflict.bundle = local[static_cast<size_t>(*there) - 1];
        }
        conflicts.push_back(std::move(conflict));
    }
}

} // namespace

PromptMerge plan_prompt_merge(const BundlePrompt* ours, const BundlePrompt& theirs,
                              std::vector<LabelConflict>& conflicts) {
    PromptMerge plan;
    plan.report.name = theirs.name;
    plan.report.created = ours == nullptr;
    std::vector<VersionInfo> local;
    if (ours != nullptr) {
        local = ours->versions;
    }
    const std::vector<int64_t> to_local = merge_versions(local, theirs, plan);
    merge_labels(ours, theirs, local, to_local, plan, conflicts);
    return plan;
}

MergePlan plan_merge(const std::vector<BundlePrompt>& ours, const Bundle& theirs) {
    std::map<std::string, const BundlePrompt*> by_name;
    for (const auto& p : ours) {
        by_name[p.name] = &p;
    }
    MergePlan plan;
    for (const auto& p : theirs.prompts) {
        const auto found = by_name.find(p.name);
        plan.prompts.push_back(
            plan_prompt_merge(found == by_name.end() ? nullptr : found->second, p, plan.conflicts));
    }
    return plan;
}

} // namespace llmops::store
