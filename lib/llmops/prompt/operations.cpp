#include <llmops/prompt/operations.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <llmops/prompt/assign.hpp>
#include <llmops/prompt/display.hpp>
#include <llmops/prompt/stat_index.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::prompt {

namespace fs = std::filesystem;

namespace {

const char* format_name(FileFormat format) {
    return format == FileFormat::yaml ? "yaml" : "markdown";
}

} // namespace

Expected<std::vector<FileCommit>> commit_files(store::Database& db,
                                               const std::vector<PromptFile>& files,
                                               std::string_view message, std::string_view author) {
    // A file named twice (`commit prompts/a.yaml prompts/`) is one file, not two declaring one
    // prompt.
    std::vector<PromptFile> unique;
    std::set<fs::path> seen;
    for (const auto& file : files) {
        if (seen.insert(file.path.lexically_normal()).second) {
            unique.push_back(file);
        }
    }
    std::vector<store::CommitRequest> requests;
    requests.reserve(unique.size());
    std::map<std::string, std::string> declared_by;
    for (const auto& file : unique) {
        // Read once: the text kept for checkout is the text the version was parsed from.
        auto text = LLMOPS_TRY(util::read_file(file.path));
        auto def =
            LLMOPS_TRY(parse_prompt_file(text, file.format, file.default_name, file.display));
        if (const auto [it, inserted] = declared_by.emplace(def.name, file.display); !inserted) {
            return fail(ErrorCode::invalid_input, "{}: prompt '{}' is also declared by '{}'",
                        file.display, def.name, it->second);
        }
        std::string content = canonical_content(def);
        std::string id = util::sha256_hex(content);
        requests.push_back(store::CommitRequest{
            def.name, std::move(id), std::move(content), std::string(message), std::string(author),
            std::move(text), format_name(file.format), file.display});
    }
    store::PromptStore prompts(db);
    auto outcomes = LLMOPS_TRY(prompts.commit(requests));
    std::vector<FileCommit> out;
    out.reserve(unique.size());
    for (size_t i = 0; i < unique.size(); ++i) {
        out.push_back(FileCommit{std::move(unique[i]), std::move(outcomes[i])});
    }
    return out;
}

Expected<LoadedVersion> load_version(store::PromptStore& prompts, std::string_view ref) {
    auto version = LLMOPS_TRY(prompts.resolve(ref));
    auto content = LLMOPS_TRY(prompts.content(version));
    auto def = LLMOPS_TRY(definition_from_content(version.name, content));
    return LoadedVersion{std::move(version), std::move(content), std::move(def)};
}

namespace {

// True when some version of `name` has content `id`.
Expected<bool> is_committed(store::PromptStore& prompts, const std::string& name,
                            const std::string& id) {
    auto log = LLMOPS_TRY(prompts.log(name));
    for (const auto& v : log) {
        if (v.id == id) {
            return true;
        }
    }
    return false;
}

} // namespace

namespace {

// The text checkout writes to `target`: the file the version was committed from, byte for byte,
// when it was kept, is of the target's format and reads back as this very version at the target's
// path (its name included); else the canonical rendering.
Expected<std::string> file_text(store::PromptStore& prompts, const LoadedVersion& loaded,
                                const PromptFile& target, FileFormat format, IncludeName include) {
    const auto source = LLMOPS_TRY(prompts.source(loaded.version));
    if (source && source->format == format_name(format)) {
        const auto parsed =
            parse_prompt_file(source->text, format, target.default_name, target.display);
        if (parsed && parsed->name == loaded.version.name &&
            version_id(*parsed) == loaded.version.id) {
            return source->text;
        }
    }
    return to_file_text(loaded.def, format, include);
}

} // namespace

Expected<Checkout> checkout(store::Database& db, const store::Project& project,
                            std::string_view ref, const std::optional<std::string>& output,
                            Force force) {
    store::PromptStore prompts(db);
    auto loaded = LLMOPS_TRY(load_version(prompts, ref));
    const std::string& name = loaded.version.name;
    if (output && *output == "-") {
        std::string text = to_file_text(loaded.def, FileFormat::yaml, IncludeName::yes);
        return Checkout{std::move(loaded), std::nullopt, std::move(text)};
    }
    std::optional<PromptFile> target;
    std::error_code ec;
    if (output && fs::is_directory(*output, ec)) {
        // prompt_files_for would list the folder, and a folder holding one prompt file would
        // silently become the target.
        return fail(ErrorCode::invalid_input, "'{}' is a folder, not a prompt file name", *output);
    }
    if (output) {
        auto described = prompt_files_for(*output, project);
        if (described && described->size() == 1) {
            target = described->front();
        } else if (!described && described.error().code() != ErrorCode::not_found) {
            return fail(described.error());
        } else {
            PromptFile file;
            file.path = fs::absolute(*output).lexically_normal();
            file.display = *output;
            const auto format = format_for_path(*output);
            if (!format) {
                return fail(ErrorCode::invalid_input,
                            "'{}' is not a prompt file name (use .yaml, .yml, .md, .txt or "
                            ".prompt)",
                            *output);
            }
            file.format = *format;
            target = file;
        }
    } else {
        auto files = LLMOPS_TRY(tracked_prompt_files(db, project));
        auto found = LLMOPS_TRY(find_file_for(db, files, name, stat_index_path(project)));
        target = found;
    }
    if (!target) {
        PromptFile file;
        file.path = project.prompts_dir() / (name + ".yaml");
        file.display = util::relative_display(file.path, project.root);
        file.default_name = name;
        target = file;
    }
    if (fs::exists(target->path, ec) && force == Force::no) {
        auto current = load_prompt_file(*target);
        bool safe = false;
        if (current && current->name == name) {
            auto committed = LLMOPS_TRY(is_committed(prompts, name, version_id(*current)));
            safe = committed;
        }
        if (!safe) {
            return fail(ErrorCode::conflict,
                        "'{}' holds content that no version of '{}' has; commit it first or use "
                        "--force to overwrite it",
                        target->display, name);
        }
    }
    // Write the name only when the path would not imply it.
    std::error_code rel_ec;
    const fs::path rel = fs::relative(target->path, project.prompts_dir(), rel_ec);
    std::string implied = rel.generic_string();
    if (const size_t dot = implied.rfind('.'); dot != std::string::npos) {
        implied.resize(dot);
    }
    const IncludeName include = !rel_ec && implied == name ? IncludeName::no : IncludeName::yes;
    const FileFormat format = format_for_definition(loaded.def, target->format);
    if (format != target->format) {
        if (loaded.def.is_chat()) {
            return fail(ErrorCode::invalid_input,
                        "'{}' is a chat prompt and cannot be written as Markdown; use a .yaml path",
                        name);
        }
        return fail(ErrorCode::invalid_input,
                    "'{}' starts or ends with a line break, which Markdown cannot keep; use a "
                    ".yaml path",
                    name);
    }
    std::string text = LLMOPS_TRY(file_text(prompts, loaded, *target, format, include));
    fs::create_directories(target->path.parent_path(), ec);
    LLMOPS_TRY(util::write_file_atomic(target->path, text));
    return Checkout{std::move(loaded), target->path, std::move(text)};
}

Expected<std::pair<DiffSide, DiffSide>> diff_sides(store::Database& db,
                                                   const store::Project& project,
                                                   std::string_view from,
                                                   const std::optional<std::string>& to) {
    store::PromptStore prompts(db);
    auto a = LLMOPS_TRY(load_version(prompts, from));
    const auto side = [](const LoadedVersion& v) {
        return DiffSide{
            fmt::format("{}@{} ({})", v.version.name, v.version.number, v.version.id.substr(0, 12)),
            v.version, to_file_text(v.def, FileFormat::yaml, IncludeName::no)};
    };
    if (to) {
        auto b = LLMOPS_TRY(load_version(prompts, *to));
        return std::pair{side(a), side(b)};
    }
    auto files = LLMOPS_TRY(tracked_prompt_files(db, project));
    auto found = LLMOPS_TRY(find_file_for(db, files, a.version.name, stat_index_path(project)));
    if (!found) {
        // A broken file at the path the name implies is most likely the one meant: say why it
        // does not count rather than that there is none.
        for (const auto& file : files) {
            if (file.default_name == a.version.name) {
                LLMOPS_TRY(load_prompt_file(file));
            }
        }
        return fail(ErrorCode::not_found,
                    "no working file declares prompt '{}' (give two refs to compare versions)",
                    a.version.name);
    }
    auto working = LLMOPS_TRY(load_prompt_file(*found));
    return std::pair{side(a), DiffSide{found->display, std::nullopt,
                                       to_file_text(working, FileFormat::yaml, IncludeName::no)}};
}

Expected<std::vector<LoadedVersion>> export_versions(store::PromptStore& prompts,
                                                     const std::optional<std::string>& label,
                                                     std::vector<std::string>& skipped) {
    auto names = LLMOPS_TRY(prompts.names());
    std::set<std::string> labelled;
    if (label) {
        auto labels = LLMOPS_TRY(prompts.labels(std::nullopt));
        for (const auto& l : labels) {
            if (l.label == *label) {
                labelled.insert(l.prompt);
            }
        }
    }
    std::vector<LoadedVersion> out;
    for (const auto& name : names) {
        if (label && *label != "latest" && !labelled.contains(name)) {
            skipped.push_back(name);
            continue;
        }
        auto loaded = LLMOPS_TRY(load_version(prompts, label ? name + "@" + *label : name));
        out.push_back(std::move(loaded));
    }
    return out;
}

Expected<std::vector<WeightedVersion>>
label_weights(store::PromptStore& prompts, std::string_view name, std::string_view label) {
    auto labels = LLMOPS_TRY(prompts.labels(std::string(name)));
    const auto it = std::find_if(labels.begin(), labels.end(),
                                 [&](const store::LabelInfo& l) { return l.label == label; });
    if (it == labels.end()) {
        std::vector<std::string> names;
        for (const auto& l : labels) {
            names.push_back(l.label);
        }
        LLMOPS_TRY(prompts.resolve(std::string(name))); // an unknown prompt is named as such
        return fail(ErrorCode::not_found, "prompt '{}' has no label '{}'{} ({})", name, label,
                    util::did_you_mean(label, names),
                    names.empty() ? "it has no labels" : "labels: " + util::join(names, ", "));
    }
    std::vector<store::LabelArm> arms = it->split;
    if (arms.empty()) {
        arms.push_back(store::LabelArm{it->number, 100, it->id});
    }
    std::vector<WeightedVersion> out;
    for (const auto& arm : arms) {
        auto loaded = LLMOPS_TRY(load_version(prompts, fmt::format("{}@{}", name, arm.number)));
        out.push_back(WeightedVersion{arm, std::move(loaded.content)});
    }
    return out;
}

Expected<std::pair<LoadedVersion, Assignment>>
load_for_unit(store::PromptStore& prompts, std::string_view ref, std::string_view unit) {
    const auto [name, spec] = store::split_ref(ref);
    if (!store::is_valid_label(spec)) {
        return fail(ErrorCode::invalid_input,
                    "--unit needs a ref that names a label, such as '{}@production' (got '{}')",
                    name, ref);
    }
    auto arms = LLMOPS_TRY(label_weights(prompts, name, spec));
    Assignment assignment{std::string(unit), spec, assignment_bucket(name, spec, unit), {}, {}};
    for (const auto& arm : arms) {
        assignment.weights.push_back(arm.arm);
    }
    // The weights sum to 100 (the store and fsck hold them to it), so some arm owns the bucket.
    const auto arm = assign_arm(assignment.weights, assignment.bucket);
    if (!arm) {
        return fail(ErrorCode::io,
                    "weights of label '{}' of '{}' do not sum to 100 (run 'llmops "
                    "fsck')",
                    spec, name);
    }
    assignment.arm = *arm;
    auto loaded = LLMOPS_TRY(load_version(prompts, fmt::format("{}@{}", name, arm->number)));
    return std::pair{std::move(loaded), std::move(assignment)};
}

} // namespace llmops::prompt
