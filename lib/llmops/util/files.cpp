#include <llmops/util/files.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace llmops::util {

namespace fs = std::filesystem;

Expected<std::string> read_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return fail(err == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot read '{}': {}",
                    path.string(), std::strerror(err));
    }
    std::string content;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        content.reserve(static_cast<size_t>(st.st_size)); // read into place, no regrowth
    }
    char buffer[65536];
    while (true) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int err = errno;
            ::close(fd);
            return fail(ErrorCode::io, "cannot read '{}': {}", path.string(), std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        content.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return content;
}

Expected<AtomicFile> AtomicFile::create(fs::path path) {
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string temp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) {
        return fail(ErrorCode::io, "cannot write '{}': {}", path.string(), std::strerror(errno));
    }
    return AtomicFile(std::move(path), std::move(temp), fd);
}

AtomicFile::AtomicFile(fs::path path, std::string temp, int fd)
    : m_path(std::move(path)), m_temp(std::move(temp)), m_fd(fd) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_temp(std::exchange(other.m_temp, {})),
      m_fd(std::exchange(other.m_fd, -1)) {}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    if (!m_temp.empty()) {
        ::unlink(m_temp.c_str());
    }
}

Expected<void> AtomicFile::write(std::string_view bytes) {
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return io_error(errno);
        }
        written += static_cast<size_t>(n);
    }
    return {};
}

Expected<void> AtomicFile::commit() {
    // mkostemp creates 0600; a checked-out prompt or a report is an ordinary file.
    ::fchmod(m_fd, 0644);
    const int closed = ::close(m_fd);
    m_fd = -1;
    if (closed != 0 || ::rename(m_temp.c_str(), m_path.c_str()) != 0) {
        return io_error(errno); // the destructor removes the temporary file
    }
    m_temp.clear();
    return {};
}

std::unexpected<Error> AtomicFile::io_error(int err) const {
    return fail(ErrorCode::io, "cannot write '{}': {}", m_path.string(), std::strerror(err));
}

Expected<void> write_file_atomic(const fs::path& path, std::string_view content) {
    auto file = LLMOPS_TRY(AtomicFile::create(path));
    LLMOPS_TRY(file.write(content));
    return file.commit();
}

std::string relative_display(const fs::path& path, const fs::path& base) {
    std::error_code ec;
    const fs::path rel = fs::relative(path, base, ec);
    if (ec || rel.empty() || *rel.begin() == "..") {
        return path.generic_string();
    }
    return rel.generic_string();
}

} // namespace llmops::util
