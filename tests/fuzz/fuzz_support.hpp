#pragma once
// What the fuzz targets share: a scratch folder of the process's own (for parsers that read
// files), and the check that a failure came back as an llmops Error of an expected kind. A
// target that finds a bug aborts, which libFuzzer and the corpus replay driver both report.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>

#include <llmops/util/error.hpp>

namespace llmops::fuzz {

// Returns the name of `code` as written in the source, for reports.
inline const char* code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::io: return "io";
    case ErrorCode::network: return "network";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::provider: return "provider";
    case ErrorCode::internal: return "internal";
    case ErrorCode::interrupted: return "interrupted";
    }
    return "?";
}

// Prints `what` and aborts: the fuzzer saves the input that got here.
[[noreturn]] inline void die(std::string_view what, const Error& error) {
    std::fprintf(stderr, "fuzz: %.*s: unexpected error (%s): '%s'\n", static_cast<int>(what.size()),
                 what.data(), code_name(error.code()), error.message().c_str());
    std::abort();
}

[[noreturn]] inline void die(std::string_view what) {
    std::fprintf(stderr, "fuzz: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

// Aborts unless `error` is one a caller is promised for bad input: a code in `allowed` and a
// message. `internal` is never allowed (it means a bug in llmops).
inline void check_error(const Error& error, std::initializer_list<ErrorCode> allowed,
                        std::string_view what) {
    bool ok = false;
    for (ErrorCode code : allowed) {
        ok = ok || code == error.code();
    }
    if (!ok || error.message().empty()) {
        die(what, error);
    }
    // LLMOPS_FUZZ_VERBOSE=1 prints the errors, to see how far a seed gets.
    static const bool verbose = std::getenv("LLMOPS_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
        std::fprintf(stderr, "  %.*s: %s: %s\n", static_cast<int>(what.size()), what.data(),
                     code_name(error.code()), error.message().c_str());
    }
}

// A folder for this process alone (parallel fuzzers and ctest jobs never share one), removed
// when the process exits normally.
class ScratchDir {
public:
    static const std::filesystem::path& path() {
        static const ScratchDir dir;
        return dir.m_path;
    }

    // Writes `content` to `name` in the folder, replacing it, and returns its path.
    static std::filesystem::path write(std::string_view name, std::string_view content) {
        const std::filesystem::path file = path() / name;
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.close();
        if (!out) {
            die("cannot write the scratch file " + file.string());
        }
        return file;
    }

private:
    ScratchDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "llmops-fuzz-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            die("cannot create a scratch folder in " + tmpl);
        }
        m_path = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    std::filesystem::path m_path;
};

// True when `text` may name a file that never ends or blocks when read (/dev/zero, /dev/stdin,
// /proc/self/fd/0), directly, through `../`, or through a YAML or JSON escape or an escaped line
// break in a YAML string. Targets whose parser follows `file://` references skip reading such
// inputs: reading what a user's own config names is not a bug, and the fuzzer would only time
// out.
inline bool may_name_special_file(std::string_view text) {
    for (std::string_view needle :
         {"/dev", "/proc", "/sys", "\\x", "\\u", "\\U", "\\/", "\\\n", "\\\r"}) {
        if (text.find(needle) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

} // namespace llmops::fuzz
