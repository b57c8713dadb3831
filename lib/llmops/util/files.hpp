#pragma once
// File helpers: whole-file reads and atomic writes.

#include <filesystem>
#include <string>
#include <string_view>

#include <llmops/util/error.hpp>

namespace llmops::util {

// Reads the whole file at `path`. Fails with `not_found` when it does not exist, `io` otherwise.
Expected<std::string> read_file(const std::filesystem::path& path);

// The one atomic writer: a file that replaces `path` whole or not at all. The bytes go to a
// temporary file beside it (".<name>.tmp-XXXXXX", created 0600, close-on-exec), which `commit`
// makes 0644 and renames over `path`: a reader never sees half a file, and a failed write leaves
// the old file as it was. The temporary file is removed unless committed. Every failure is `io`,
// "cannot write '<path>': <reason>".
class AtomicFile {
public:
    // Creates the temporary file beside `path`.
    static Expected<AtomicFile> create(std::filesystem::path path);

    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile(); // removes the temporary file unless committed

    // Writes all of `bytes` (retrying after signals).
    Expected<void> write(std::string_view bytes);
    // Closes the temporary file and renames it over `path`; afterwards nothing may be written.
    Expected<void> commit();

private:
    AtomicFile(std::filesystem::path path, std::string temp, int fd);
    std::unexpected<Error> io_error(int err) const;

    std::filesystem::path m_path;
    std::string m_temp; // empty once renamed into place (or moved from)
    int m_fd = -1;
};

// Writes `content` to `path` with an `AtomicFile`, so a reader never sees half a file. Fails
// with `io`.
Expected<void> write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Returns `path` relative to `base` with forward slashes, or `path` itself when outside `base`.
std::string relative_display(const std::filesystem::path& path, const std::filesystem::path& base);

} // namespace llmops::util
