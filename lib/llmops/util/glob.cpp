#include <llmops/util/glob.hpp>

// See glob.hpp. One walk per expanded pattern, part by part: a literal part is one lookup, a
// wildcard part lists its folder, `**` recurses. fnmatch(3) matches one part.

#include <algorithm>
#include <fnmatch.h>
#include <set>
#include <system_error>

namespace llmops::util {

namespace {

namespace fs = std::filesystem;

// The position of the `}` closing the group opened at `open`, or npos.
size_t closing_brace(std::string_view s, size_t open) {
    int depth = 0;
    for (size_t i = open; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '{') {
            ++depth;
        } else if (s[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

// The alternatives of the group `body` (between its braces), split at top-level commas.
std::vector<std::string_view> alternatives(std::string_view body) {
    std::vector<std::string_view> out;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\\') {
            ++i;
        } else if (body[i] == '{') {
            ++depth;
        } else if (body[i] == '}') {
            --depth;
        } else if (body[i] == ',' && depth == 0) {
            out.push_back(body.substr(start, i - start));
            start = i + 1;
        }
    }
    out.push_back(body.substr(start));
    return out;
}

std::vector<std::string> split_parts(std::string_view pattern) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        const size_t slash = pattern.find('/', start);
        const auto part = pattern.substr(start, slash - start);
        if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        if (slash == std::string_view::npos) {
            return parts;
        }
        start = slash + 1;
    }
}

bool is_wild(const std::string& part) {
    return part.find_first_of("*?[") != std::string::npos;
}

bool matches(const std::string& part, const std::string& name) {
    if (name.starts_with('.') && !part.starts_with('.')) {
        return false;
    }
    return ::fnmatch(part.c_str(), name.c_str(), 0) == 0;
}

struct Walk {
    const fs::path& base;
    const std::vector<std::string>& parts;
    std::set<std::string>& found;

    // Matches parts[i...] below the folder `rel` (relative to base; empty for base itself).
    void step(const fs::path& rel, size_t i) const {
        std::error_code ec;
        if (i == parts.size()) {
            if (fs::is_regular_file(base / rel, ec)) {
                found.insert(rel.generic_string());
            }
            return;
        }
        const std::string& part = parts[i];
        if (part == "**") {
            step(rel, i + 1);
            for_each_child(rel, [&](const std::string& name, bool dir) {
                if (dir && !name.starts_with('.')) {
                    step(rel / name, i);
                }
            });
        } else if (!is_wild(part)) {
            if (fs::exists(base / rel / part, ec)) {
                step(rel / part, i + 1);
            }
        } else {
            for_each_child(rel, [&](const std::string& name, bool) {
                if (matches(part, name)) {
                    step(rel / name, i + 1);
                }
            });
        }
    }

    template <class F>
    void for_each_child(const fs::path& rel, F&& f) const {
        std::error_code ec;
        fs::directory_iterator it(base / rel, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            std::error_code type_ec;
            f(it->path().filename().string(), it->is_directory(type_ec));
        }
    }
};

} // namespace

std::vector<std::string> expand_braces(std::string_view pattern) {
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') {
            ++i;
            continue;
        }
        if (pattern[i] != '{') {
            continue;
        }
        const size_t close = closing_brace(pattern, i);
        if (close == std::string_view::npos) {
            break; // an unmatched `{` is literal
        }
        const auto head = pattern.substr(0, i);
        const auto tail = pattern.substr(close + 1);
        std::vector<std::string> out;
        for (const auto alt : alternatives(pattern.substr(i + 1, close - i - 1))) {
            std::string joined = std::string(head).append(alt).append(tail);
            for (auto& expanded : expand_braces(joined)) {
                out.push_back(std::move(expanded));
            }
        }
        return out;
    }
    return {std::string(pattern)};
}

std::vector<std::string> glob_files(const fs::path& base, std::string_view pattern) {
    std::set<std::string> found;
    for (const auto& expanded : expand_braces(pattern)) {
        const auto parts = split_parts(expanded);
        if (!parts.empty()) {
            Walk{base, parts, found}.step(fs::path(), 0);
        }
    }
    return {found.begin(), found.end()};
}

} // namespace llmops::util
