#include <llmops/prompt/workspace.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <llmops/prompt/stat_index.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/hash.hpp>

namespace llmops::prompt {

namespace fs = std::filesystem;

namespace {

bool is_hidden(const fs::path& p) {
    const std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}

std::string strip_extension(const std::string& generic) {
    const size_t slash = generic.rfind('/');
    const size_t dot = generic.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
        return generic;
    }
    return generic.substr(0, dot);
}

// `path` relative to `base`: lexically first (no system calls, which matters for a tree of
// thousands of files), then through the file system for paths reached via symlinks.
std::optional<fs::path> relative_to(const fs::path& path, const fs::path& base) {
    // The common case first, as strings: `path` is `base` + '/' + plain names (a listed file).
    std::string_view prefix = base.native();
    while (prefix.size() > 1 && prefix.back() == '/') {
        prefix.remove_suffix(1);
    }
    const std::string_view whole = path.native();
    if (whole.size() > prefix.size() + 1 && whole.starts_with(prefix) &&
        whole[prefix.size()] == '/') {
        const std::string_view rest = whole.substr(prefix.size() + 1);
        if (rest[0] != '.' && rest.find("/.") == std::string_view::npos &&
            rest.find("//") == std::string_view::npos && rest.back() != '/') {
            return fs::path(rest);
        }
    }
    fs::path rel = path.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..") {
        std::error_code ec;
        rel = fs::relative(path, base, ec);
        if (ec || rel.empty() || *rel.begin() == "..") {
            return std::nullopt;
        }
    }
    return rel;
}

// README files document a prompts folder; they are not prompts.
bool is_readme(const fs::path& p) {
    return p.stem() == "README" || p.stem() == "readme";
}

// The order of std::filesystem::path's operator< (name by name) for paths without redundant
// separators, as one string comparison: '/' sorts before every other byte. path's own compare
// splits both paths into names, which was a tenth of `prompt status` on 1,000 files.
bool path_less(const PromptFile& a, const PromptFile& b) {
    const std::string& x = a.path.native();
    const std::string& y = b.path.native();
    const size_t n = std::min(x.size(), y.size());
    for (size_t i = 0; i < n; ++i) {
        if (x[i] != y[i]) {
            const auto rank = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c); };
            return rank(x[i]) < rank(y[i]);
        }
    }
    return x.size() < y.size();
}

std::optional<PromptFile> describe(const fs::path& path, const store::Project& project) {
    const auto format = format_for_path(path.filename().string());
    if (!format) {
        return std::nullopt;
    }
    PromptFile file;
    file.path = path;
    file.format = *format;
    const auto from_root = relative_to(path, project.root);
    file.display = from_root ? from_root->generic_string() : path.generic_string();
    if (const auto rel = relative_to(path, project.prompts_dir())) {
        file.default_name = strip_extension(rel->generic_string());
    } else {
        file.default_name = path.stem().string();
    }
    return file;
}

Expected<std::vector<PromptFile>> files_under(const fs::path& dir, const store::Project& project) {
    std::vector<PromptFile> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        return out;
    }
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
        return fail(ErrorCode::io, "cannot list '{}': {}", dir.string(), ec.message());
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            return fail(ErrorCode::io, "cannot list '{}': {}", dir.string(), ec.message());
        }
        if (is_hidden(it->path())) {
            if (it->is_directory(ec)) {
                it.disable_recursion_pending();
            }
            continue;
        }
        if (!it->is_regular_file(ec) || is_readme(it->path())) {
            continue;
        }
        if (auto file = describe(it->path(), project)) {
            out.push_back(std::move(*file));
        }
    }
    std::sort(out.begin(), out.end(), path_less);
    return out;
}

// Bumped whenever parse_prompt_file accepts less than before, so that a file the older parser
// accepted (and the cache remembers) is parsed again. 2: templates are checked for unclosed and
// mismatched sections.
constexpr std::string_view k_parser_generation = "2";

std::string cache_key(const PromptFile& file, std::string_view bytes) {
    std::string material(k_parser_generation);
    material += '\0';
    material += file.default_name;
    material += '\0';
    material += file.format == FileFormat::yaml ? 'y' : 'm';
    material += bytes;
    return util::sha256_hex(material);
}

} // namespace

Expected<std::vector<PromptFile>> list_prompt_files(const store::Project& project) {
    return files_under(project.prompts_dir(), project);
}

Expected<std::vector<PromptFile>> tracked_prompt_files(store::Database& db,
                                                       const store::Project& project) {
    auto files = LLMOPS_TRY(list_prompt_files(project));
    store::PromptStore prompts(db);
    const auto sources = LLMOPS_TRY(prompts.latest_source_paths());
    // Most prompts were last committed from the prompts folder, listed already: those are told
    // apart by their path's prefix, without path arithmetic (a tenth of `prompt status` on 1,000
    // prompts).
    const auto inside = relative_to(project.prompts_dir(), project.root);
    const std::string prefix = inside ? inside->generic_string() + "/" : std::string();
    std::unordered_set<std::string> listed; // filled at the first path outside the prefix
    bool added = false;
    for (const auto& [name, path] : sources) {
        if (!prefix.empty() && path.starts_with(prefix) && path.size() > prefix.size() &&
            path[prefix.size()] != '.' && path.find("/.") == std::string::npos &&
            path.find("//") == std::string::npos) {
            continue;
        }
        if (listed.empty()) {
            for (const auto& file : files) {
                listed.insert(file.path.native());
            }
        }
        const fs::path absolute = (project.root / path).lexically_normal();
        std::error_code ec;
        if (relative_to(absolute, project.prompts_dir()) || listed.contains(absolute.native()) ||
            !fs::is_regular_file(absolute, ec)) {
            continue; // listed already, or gone (then `status` says "no file")
        }
        if (auto file = describe(absolute, project)) {
            listed.insert(absolute.native());
            files.push_back(std::move(*file));
            added = true;
        }
    }
    if (added) {
        std::sort(files.begin(), files.end(), path_less);
    }
    return files;
}

Expected<std::vector<PromptFile>> prompt_files_for(const fs::path& path,
                                                   const store::Project& project) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec).lexically_normal();
    if (fs::is_directory(absolute, ec)) {
        return files_under(absolute, project);
    }
    if (!fs::exists(absolute, ec)) {
        return fail(ErrorCode::not_found, "no such file '{}'", path.string());
    }
    auto file = describe(absolute, project);
    if (!file) {
        return fail(ErrorCode::invalid_input,
                    "'{}' is not a prompt file (expected .yaml, .yml, .md, .txt or .prompt)",
                    path.string());
    }
    return std::vector<PromptFile>{std::move(*file)};
}

Expected<PromptDefinition> load_prompt_file(const PromptFile& file) {
    auto text = LLMOPS_TRY(util::read_file(file.path));
    return parse_prompt_file(text, file.format, file.default_name, file.display);
}

namespace {

// One file's parse result, where `workspace_status` found it: the stat index, the worktree
// cache, or the parser.
struct Identified {
    std::string name, id;
    std::string error; // the file is invalid
};

// What `workspace_status` learns while it scans: parse results to cache and the next index.
struct StatusScan {
    store::PromptStore& prompts;
    StatIndex& index;
    struct Parsed {
        std::string key, name, id;
    };
    std::vector<Parsed> to_remember; // written after the scan, so reading takes no write lock
};

// Names the prompt and version `file` holds: from the stat index when its stat data is trusted
// there (the file is not read), else from its bytes, through the worktree cache.
Identified identify(StatusScan& scan, const PromptFile& file) {
    const auto stat = stat_file(file.path);
    if (stat) {
        if (const IndexEntry* entry = scan.index.find(file, *stat)) {
            scan.index.record(file, *entry);
            return Identified{entry->name, entry->id, ""};
        }
    }
    auto bytes = util::read_file(file.path);
    if (!bytes) {
        return Identified{"", "", bytes.error().message()};
    }
    Identified out;
    const std::string key = cache_key(file, *bytes);
    auto cached = scan.prompts.cached_parse(key);
    if (cached && *cached) {
        out = Identified{(*cached)->first, (*cached)->second, ""};
    } else {
        auto def = parse_prompt_file(*bytes, file.format, file.default_name, file.display);
        if (!def) {
            return Identified{"", "", def.error().message()};
        }
        out = Identified{def->name, version_id(*def), ""};
        scan.to_remember.push_back(StatusScan::Parsed{key, out.name, out.id});
    }
    // The stat taken before the read: should the file change in between, the index holds the
    // older stat data, which no longer matches.
    if (stat) {
        scan.index.record(file,
                          IndexEntry{file.default_name, file.format, *stat, out.name, out.id});
    }
    return out;
}

// Caching is an optimisation: a read-only or busy store simply parses again next time, and a
// read-only `.llmops/` keeps its index as it was.
void remember(store::Database& db, const StatusScan& scan, const std::filesystem::path& index_path,
              int64_t scan_time_ns) {
    if (!scan.to_remember.empty()) {
        if (auto tx = store::Transaction::begin(db)) {
            for (const auto& p : scan.to_remember) {
                (void)scan.prompts.remember_parse(p.key, p.name, p.id);
            }
            (void)tx->commit();
        }
    }
    if (!index_path.empty() && scan.index.changed(scan_time_ns)) {
        (void)scan.index.save(index_path, scan_time_ns);
    }
}

} // namespace

Expected<WorkspaceStatus> workspace_status(store::Database& db,
                                           const std::vector<PromptFile>& files,
                                           const std::filesystem::path& index_path) {
    // Taken before the first stat: a file edited after it is racily clean in the next index.
    const int64_t scan_time_ns = index_scan_time_ns();
    StatIndex index =
        index_path.empty() ? StatIndex() : StatIndex::load(index_path, k_parser_generation);
    store::PromptStore prompts(db);
    auto snapshot = LLMOPS_TRY(store::ReadTransaction::begin(db));
    auto summaries = LLMOPS_TRY(prompts.list());
    std::unordered_map<std::string_view, const store::PromptSummary*> latest;
    for (const auto& s : summaries) {
        latest.emplace(s.name, &s);
    }
    WorkspaceStatus status;
    StatusScan scan{prompts, index, {}};
    std::unordered_map<std::string, std::string> declared_by; // name -> file
    for (const auto& file : files) {
        auto [name, id, error] = identify(scan, file);
        StatusEntry entry{file,          std::move(name), FileState::invalid,
                          std::move(id), std::nullopt,    std::move(error)};
        if (!entry.error.empty()) {
            status.files.push_back(std::move(entry));
            continue;
        }
        if (const auto [it, inserted] = declared_by.emplace(entry.name, file.display); !inserted) {
            entry.error = fmt::format("{}: prompt '{}' is also declared by '{}'", file.display,
                                      entry.name, it->second);
            status.files.push_back(std::move(entry));
            continue;
        }
        if (const auto found = latest.find(entry.name); found == latest.end()) {
            entry.state = FileState::added;
        } else {
            entry.latest_number = found->second->versions;
            entry.state =
                found->second->latest_id == entry.id ? FileState::unchanged : FileState::modified;
        }
        status.files.push_back(std::move(entry));
    }
    snapshot.end();
    remember(db, scan, index_path, scan_time_ns);
    for (const auto& s : summaries) {
        if (!declared_by.contains(s.name)) {
            status.without_file.push_back(s.name);
        }
    }
    return status;
}

Expected<std::optional<PromptFile>> find_file_for(store::Database& db,
                                                  const std::vector<PromptFile>& files,
                                                  std::string_view name,
                                                  const std::filesystem::path& index_path) {
    // The path that the name implies is the usual answer; check it first.
    for (const auto& file : files) {
        if (file.default_name == name) {
            auto def = load_prompt_file(file);
            if (def && def->name == name) {
                return std::optional<PromptFile>(file);
            }
        }
    }
    auto status = LLMOPS_TRY(workspace_status(db, files, index_path));
    for (const auto& entry : status.files) {
        if (entry.name == name && entry.state != FileState::invalid) {
            return std::optional<PromptFile>(entry.file);
        }
    }
    return std::optional<PromptFile>();
}

} // namespace llmops::prompt
