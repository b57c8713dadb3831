#include <llmops/prompt/stat_index.hpp>

#include <array>
#include <charconv>
#include <ctime>
#include <sys/stat.h>

#include <fmt/format.h>

#include <llmops/prompt/workspace.hpp>
#include <llmops/util/build_info.hpp>
#include <llmops/util/files.hpp>

namespace llmops::prompt {

namespace fs = std::filesystem;

std::string index_checksum(std::string_view text) {
    uint64_t h = 14695981039346656037ULL;
    for (const char c : text) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return fmt::format("{:016x}", h);
}

namespace {

// The file's first field; a change of layout changes it, so an older llmops's index is ignored.
constexpr std::string_view k_magic = "llmops-stat-index\t1";
constexpr size_t k_entry_fields = 10;
constexpr int64_t k_ns_per_s = 1'000'000'000;

int64_t to_ns(const struct timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * k_ns_per_s + t.tv_nsec;
}

// Splits `text` at `separator` into at most `N` fields; false unless exactly `N`.
template <size_t N>
bool split_fields(std::string_view text, char separator, std::array<std::string_view, N>& out) {
    size_t count = 0;
    while (count < N) {
        const size_t end = text.find(separator);
        out[count++] = text.substr(0, end);
        if (end == std::string_view::npos) {
            return count == N;
        }
        text.remove_prefix(end + 1);
    }
    return false;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Fields written between tabs and newlines may hold neither; a path that does is not indexed
// (the file is simply read every time).
bool storable(std::string_view text) {
    return text.find_first_of("\t\n") == std::string_view::npos;
}

std::optional<std::pair<std::string, IndexEntry>> parse_entry(std::string_view line) {
    std::array<std::string_view, k_entry_fields> f;
    if (!split_fields(line, '\t', f) || (f[2] != "y" && f[2] != "m")) {
        return std::nullopt;
    }
    IndexEntry entry;
    entry.default_name = f[1];
    entry.format = f[2] == "y" ? FileFormat::yaml : FileFormat::markdown;
    FileStat& st = entry.stat;
    if (!parse_number(f[3], st.size) || !parse_number(f[4], st.mtime_ns) ||
        !parse_number(f[5], st.ctime_ns) || !parse_number(f[6], st.inode) ||
        !parse_number(f[7], st.device) || f[8].empty() || f[9].empty()) {
        return std::nullopt;
    }
    entry.name = f[8];
    entry.id = f[9];
    return std::pair{std::string(f[0]), std::move(entry)};
}

// The header line, without its time: what must match for the entries to be believed.
std::string header_prefix(std::string_view generation) {
    return fmt::format("{}\t{}\t{}\t", k_magic, util::version(), generation);
}

// The entries of an index file's `text`, and the time it names; nothing when it is not an index
// of this build or is damaged.
std::optional<std::pair<int64_t, std::unordered_map<std::string, IndexEntry>>>
parse_index(std::string_view text, std::string_view generation) {
    // The last line is a checksum of everything before it, as git's index ends with its hash.
    constexpr size_t k_trailer = 17;
    if (text.size() < k_trailer || text.back() != '\n' ||
        index_checksum(text.substr(0, text.size() - k_trailer)) !=
            text.substr(text.size() - k_trailer, k_trailer - 1)) {
        return std::nullopt;
    }
    text.remove_suffix(k_trailer);
    const std::string prefix = header_prefix(generation);
    const size_t header_end = text.find('\n');
    int64_t time_ns = 0;
    if (!text.starts_with(prefix) || header_end == std::string_view::npos ||
        !parse_number(text.substr(prefix.size(), header_end - prefix.size()), time_ns)) {
        return std::nullopt;
    }
    text.remove_prefix(header_end + 1);
    std::unordered_map<std::string, IndexEntry> entries;
    while (!text.empty()) {
        const size_t end = text.find('\n');
        if (end == std::string_view::npos) {
            return std::nullopt;
        }
        auto entry = parse_entry(text.substr(0, end));
        if (!entry) {
            return std::nullopt;
        }
        entries.insert(std::move(*entry));
        text.remove_prefix(end + 1);
    }
    return std::pair{time_ns, std::move(entries)};
}

} // namespace

std::optional<FileStat> stat_file(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return FileStat{static_cast<int64_t>(st.st_size), to_ns(st.st_mtim), to_ns(st.st_ctim),
                    static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_dev)};
}

int64_t index_scan_time_ns() {
    // The coarse clock is the one the kernel stamps files with: a file written after this call
    // gets an mtime at or after it, which the fine clock (ahead by up to a tick) does not promise.
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    return static_cast<int64_t>(now.tv_sec) * k_ns_per_s;
}

StatIndex StatIndex::load(const fs::path& path, std::string_view generation) {
    StatIndex index;
    index.m_generation = generation;
    // Stat before reading: should another process replace the file in between, the older mtime
    // is the one kept, which only makes more entries racily clean.
    const auto st = stat_file(path);
    auto text = util::read_file(path);
    if (!st || !text) {
        return index;
    }
    auto parsed = parse_index(*text, generation);
    if (!parsed) {
        return index;
    }
    index.m_time_ns = std::min(parsed->first, st->mtime_ns);
    index.m_entries = std::move(parsed->second);
    return index;
}

const IndexEntry* StatIndex::find(const PromptFile& file, const FileStat& stat) const {
    const auto it = m_entries.find(file.display);
    if (it == m_entries.end()) {
        return nullptr;
    }
    const IndexEntry& entry = it->second;
    if (entry.stat != stat || entry.default_name != file.default_name ||
        entry.format != file.format || entry.stat.mtime_ns >= m_time_ns) {
        return nullptr;
    }
    return &entry;
}

void StatIndex::record(const PromptFile& file, IndexEntry entry) {
    if (storable(file.display) && storable(entry.default_name) && storable(entry.name) &&
        storable(entry.id)) {
        m_next.insert_or_assign(file.display, std::move(entry));
    }
}

bool StatIndex::changed(int64_t now_ns) const {
    if (m_next.size() != m_entries.size()) {
        return true;
    }
    for (const auto& [path, entry] : m_next) {
        const auto it = m_entries.find(path);
        if (it == m_entries.end() || it->second != entry) {
            return true;
        }
        // Racily clean now, trusted in an index written now: worth the write.
        if (entry.stat.mtime_ns >= m_time_ns && entry.stat.mtime_ns < now_ns) {
            return true;
        }
    }
    return false;
}

Expected<void> StatIndex::save(const fs::path& path, int64_t now_ns) const {
    std::string text = header_prefix(m_generation) + fmt::format("{}\n", now_ns);
    for (const auto& [file, e] : m_next) {
        fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", file,
                       e.default_name, e.format == FileFormat::yaml ? 'y' : 'm', e.stat.size,
                       e.stat.mtime_ns, e.stat.ctime_ns, e.stat.inode, e.stat.device, e.name, e.id);
    }
    text += index_checksum(text) + "\n";
    return util::write_file_atomic(path, text);
}

} // namespace llmops::prompt
