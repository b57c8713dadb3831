#pragma once
// A temporary directory for a test. It is removed when the test passes and kept (its path
// printed) when the test fails, so the failure can be inspected.

#include <filesystem>
#include <string>
#include <string_view>

namespace llmops::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(std::string_view rel) const { return m_path / rel; }

    // Writes `content` to `rel` (creating folders) and returns the full path.
    std::filesystem::path write(std::string_view rel, std::string_view content) const;

    // Reads the file at `rel`.
    std::string read(std::string_view rel) const;

private:
    std::filesystem::path m_path;
    int m_failures_at_start = 0;
};

} // namespace llmops::test
