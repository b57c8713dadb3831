#include <llmops/util/dotenv.hpp>

#include <cctype>

#include <llmops/util/strings.hpp>

namespace llmops::util {

namespace {

bool is_name(std::string_view s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) {
        return false;
    }
    for (char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
            return false;
        }
    }
    return true;
}

// The value after `=`: quoted (the quotes dropped; escapes read in double quotes), or bare (cut
// at an inline ` #` comment).
std::string read_value(std::string_view raw) {
    raw = trim(raw);
    if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'' || raw.front() == '`')) {
        const size_t close = raw.find(raw.front(), 1);
        if (close != std::string_view::npos) {
            const std::string_view inner = raw.substr(1, close - 1);
            if (raw.front() != '"') {
                return std::string(inner);
            }
            std::string out;
            for (size_t i = 0; i < inner.size(); ++i) {
                if (inner[i] == '\\' && i + 1 < inner.size() &&
                    (inner[i + 1] == 'n' || inner[i + 1] == 'r')) {
                    out += inner[i + 1] == 'n' ? '\n' : '\r';
                    ++i;
                } else {
                    out += inner[i];
                }
            }
            return out;
        }
    }
    const size_t comment = raw.find(" #");
    return std::string(trim(raw.substr(0, comment)));
}

} // namespace

Expected<std::vector<std::pair<std::string, std::string>>> parse_dotenv(std::string_view text,
                                                                        std::string_view name) {
    std::vector<std::pair<std::string, std::string>> out;
    size_t line_number = 0;
    for (const auto& raw_line : split(text, '\n')) {
        ++line_number;
        std::string_view line = trim(raw_line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.starts_with("export ")) {
            line = trim(line.substr(7));
        }
        const size_t eq = line.find('=');
        const std::string_view key = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
        if (eq == std::string_view::npos || !is_name(key)) {
            return fail(ErrorCode::invalid_input, "{}:{}: expected NAME=value", name, line_number);
        }
        out.emplace_back(std::string(key), read_value(line.substr(eq + 1)));
    }
    return out;
}

} // namespace llmops::util
