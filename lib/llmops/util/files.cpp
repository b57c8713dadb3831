#include <llmops/util/files.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

Expected<void> write_file_atomic(const fs::path& path, std::string_view content) {
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
        return fail(ErrorCode::io, "cannot write '{}': {}", path.string(), std::strerror(errno));
    }
    size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int err = errno;
            ::close(fd);
            ::unlink(tmpl.c_str());
            return fail(ErrorCode::io, "cannot write '{}': {}", path.string(), std::strerror(err));
        }
        written += static_cast<size_t>(n);
    }
    // mkstemp creates 0600; a checked-out prompt is an ordinary file.
    ::fchmod(fd, 0644);
    if (::close(fd) != 0 || ::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        return fail(ErrorCode::io, "cannot write '{}': {}", path.string(), std::strerror(err));
    }
    return {};
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
