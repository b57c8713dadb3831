#pragma once
// The stat index (`.llmops/index`): what each prompt file parsed to, keyed by its path and the
// file's stat data, so `prompt status` neither reads nor hashes a file that did not change, as
// git's index does. It is a cache: a missing, corrupt or foreign index reads as empty and is
// rebuilt.
//
// The racily-clean rule (git's): a file edited in the same clock tick as the index was written,
// keeping its size, keeps its stat data too, so an entry whose mtime is not strictly older than
// the index's time cannot be trusted; such an entry is re-hashed, and trusted once an index
// written later is newer than it.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <llmops/prompt/definition.hpp>
#include <llmops/store/project.hpp>

namespace llmops::prompt {

struct PromptFile;

// What stat(2) says of a file: what changes when its content may have.
struct FileStat {
    int64_t size = 0;
    int64_t mtime_ns = 0; // Unix time in nanoseconds
    int64_t ctime_ns = 0; // changes with every write, and when mtime is set back by hand
    uint64_t inode = 0;   // changes when the file is replaced by a rename
    uint64_t device = 0;

    bool operator==(const FileStat&) const = default;
};

// Where a project keeps its stat index: `.llmops/index` (ignored by git like the rest of the
// folder but config.yaml).
inline std::filesystem::path stat_index_path(const store::Project& project) {
    return project.dir / "index";
}

// stat(2) of `path` (following symlinks), or nothing when it fails.
std::optional<FileStat> stat_file(const std::filesystem::path& path);

// One indexed file: its stat data when its content parsed to prompt `name`, version `id`.
struct IndexEntry {
    std::string default_name; // the name the file's path implies (a new prompts_dir changes it)
    FileFormat format = FileFormat::yaml;
    FileStat stat;
    std::string name;
    std::string id;

    bool operator==(const IndexEntry&) const = default;
};

class StatIndex {
public:
    // An empty index.
    StatIndex() = default;

    // Reads the index at `path`. A missing, unreadable or corrupt index (its SHA-256 trailer
    // does not match), or one written by another format, llmops version or `generation` of the
    // parser, reads as empty. Never fails: the index is only a cache.
    static StatIndex load(const std::filesystem::path& path, std::string_view generation);

    // The entry for `file` when it is trusted: the same path, default name and format, stat data
    // equal to `stat`, and an mtime strictly older than the index's time (not racily clean).
    // Nothing otherwise: the file must be read.
    const IndexEntry* find(const PromptFile& file, const FileStat& stat) const;

    // Puts `file` into the next index (the one `save` writes): `entry` as found, or as parsed.
    void record(const PromptFile& file, IndexEntry entry);

    // Whether the next index differs from the loaded one in a way worth a write: an entry
    // added, changed or gone, or a racily-clean entry that an index written at `now_ns` would
    // trust.
    bool changed(int64_t now_ns) const;

    // Writes the next index to `path` atomically (a temporary file renamed over it), with
    // `now_ns` as its time: the time the scan started, before the first stat. Fails with `io`
    // (a read-only store: the caller goes on without).
    Expected<void> save(const std::filesystem::path& path, int64_t now_ns) const;

    // The index's time: the earlier of the time written in it and the file's own mtime (the file
    // system's clock and granularity, as git uses). Entries at or after it are racily clean.
    int64_t time_ns() const { return m_time_ns; }

    // How many entries were loaded.
    size_t size() const { return m_entries.size(); }

private:
    std::string m_generation;
    int64_t m_time_ns = 0;
    std::unordered_map<std::string, IndexEntry> m_entries; // loaded, by path
    std::unordered_map<std::string, IndexEntry> m_next;    // to write, by path
};

// The time a scan starting now records in the index: the current time rounded down to the
// second, so a file system that keeps coarser times than the clock cannot hide an edit made in
// the same second.
int64_t index_scan_time_ns();

// The index file's last line: FNV-1a (64 bits) of everything before it, in 16 hex digits. It
// tells a torn or edited index from a whole one. Not SHA-256: util::sha256_hex opens libcrypto,
// whose loading and set-up alone took longer than a `prompt status` that finds nothing changed
// (docs/benchmarks.md, "Start-up").
std::string index_checksum(std::string_view text);

} // namespace llmops::prompt
