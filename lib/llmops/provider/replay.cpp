#include <llmops/provider/replay.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/files.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/nesting.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::provider {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The format version this build writes and reads.
constexpr std::string_view k_format_version = "1";

// How much of the first message a miss quotes.
constexpr size_t k_quote_code_points = 60;

// A validating scanner for one line (RFC 8259: strict numbers, escapes, surrogate pairs and
// UTF-8) that records where the members of a top-level object are, without building a DOM.
// nlohmann's parser costs about 5 ms per MB here even through its SAX interface, which is too
// slow for a recording of 10,000 long prompts; this scan is several times faster, and only the
// answer that is looked up is ever parsed.
class LineScanner {
public:
    struct Member {
        std::string_view key;   // raw, between the quotes (escapes not decoded)
        std::string_view value; // the value's text
    };

    explicit LineScanner(std::string_view text) : m_text(text) {}

    // Scans the line as exactly one JSON value (white space around it allowed). Returns false
    // with error() and error_column() set when it is not valid JSON.
    bool scan() {
        skip_space();
        if (!value(0))
            return false;
        skip_space();
        if (m_pos < m_text.size())
            return fail("unexpected " + describe(m_pos) + " after the JSON value");
        return true;
    }

    bool is_object() const { return m_is_object; }
    // Whether the line is refused for nesting deeper than util::k_max_nesting (error() says so):
    // deep JSON is still JSON, so this is not reported as invalid.
    bool too_deep() const { return m_too_deep; }
    const std::vector<Member>& members() const { return m_members; }
    const std::string& error() const { return m_error; }
    size_t error_column() const { return m_error_pos + 1; }

private:
    bool fail(std::string message) {
        m_error = std::move(message);
        m_error_pos = m_pos;
        return false;
    }

    // Nesting is refused rather than risking the stack on a hostile file (nesting.hpp).
    bool refuse_depth() {
        m_too_deep = true;
        return fail(util::nesting_message());
    }

    std::string describe(size_t pos) const {
        if (pos >= m_text.size())
            return "end of line";
        auto c = static_cast<unsigned char>(m_text[pos]);
        if (c >= 0x20 && c < 0x7f)
            return fmt::format("'{}'", static_cast<char>(c));
        return fmt::format("byte 0x{:02x}", c);
    }

    void skip_space() {
        while (m_pos < m_text.size()) {
            char c = m_text[m_pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            ++m_pos;
        }
    }

    bool value(size_t depth) {
        if (m_pos >= m_text.size())
            return fail("unexpected end of line");
        switch (m_text[m_pos]) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }

    bool object(size_t depth) {
        if (depth >= util::k_max_nesting)
            return refuse_depth();
        if (depth == 0)
            m_is_object = true;
        ++m_pos; // {
        skip_space();
        if (m_pos < m_text.size() && m_text[m_pos] == '}') {
            ++m_pos;
            return true;
        }
        while (true) {
            skip_space();
            if (m_pos >= m_text.size() || m_text[m_pos] != '"')
                return fail("expected a member name, found " + describe(m_pos));
            size_t key_start = m_pos + 1;
            if (!string())
                return false;
            std::string_view key = m_text.substr(key_start, m_pos - 1 - key_start);
            skip_space();
            if (m_pos >= m_text.size() || m_text[m_pos] != ':')
                return fail("expected ':', found " + describe(m_pos));
            ++m_pos;
            skip_space();
            size_t value_start = m_pos;
            if (!value(depth + 1))
                return false;
            if (depth == 0)
                m_members.push_back({key, m_text.substr(value_start, m_pos - value_start)});
            skip_space();
            if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_text.size() && m_text[m_pos] == '}') {
                ++m_pos;
                return true;
            }
            return fail("expected ',' or '}', found " + describe(m_pos));
        }
    }

    bool array(size_t depth) {
        if (depth >= util::k_max_nesting)
            return refuse_depth();
        ++m_pos; // [
        skip_space();
        if (m_pos < m_text.size() && m_text[m_pos] == ']') {
            ++m_pos;
            return true;
        }
        while (true) {
            skip_space();
            if (!value(depth + 1))
                return false;
            skip_space();
            if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_text.size() && m_text[m_pos] == ']') {
                ++m_pos;
                return true;
            }
            return fail("expected ',' or ']', found " + describe(m_pos));
        }
    }

    bool literal(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) != word)
            return fail("unexpected " + describe(m_pos));
        m_pos += word.size();
        return true;
    }

    bool digits() {
        size_t start = m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
            ++m_pos;
        return m_pos > start;
    }

    bool number() {
        size_t start = m_pos;
        if (m_pos < m_text.size() && m_text[m_pos] == '-')
            ++m_pos;
        if (m_pos < m_text.size() && m_text[m_pos] == '0') {
            ++m_pos;
        } else if (!digits()) {
            m_pos = start;
            return fail("unexpected " + describe(m_pos));
        }
        if (m_pos < m_text.size() && m_text[m_pos] == '.') {
            ++m_pos;
            if (!digits())
                return fail("invalid number: expected a digit, found " + describe(m_pos));
        }
        if (m_pos < m_text.size() && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
            ++m_pos;
            if (m_pos < m_text.size() && (m_text[m_pos] == '+' || m_text[m_pos] == '-'))
                ++m_pos;
            if (!digits())
                return fail("invalid number: expected a digit, found " + describe(m_pos));
        }
        // Like nlohmann (which parses the answer on a hit), refuse what a double cannot hold.
        std::string_view text = m_text.substr(start, m_pos - start);
        if (text.find_first_of("eE") != std::string_view::npos || text.size() > 300) {
            if (!std::isfinite(std::strtod(std::string(text).c_str(), nullptr))) {
                m_pos = start;
                return fail("number overflow");
            }
        }
        return true;
    }

    // Reads the 4 hex digits of a \u escape at m_pos.
    bool hex4(unsigned& code) {
        code = 0;
        for (int i = 0; i < 4; ++i, ++m_pos) {
            if (m_pos >= m_text.size())
                return fail("unterminated string");
            char c = m_text[m_pos];
            unsigned digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<unsigned>(c - 'A' + 10);
            } else {
                return fail("invalid \\u escape");
            }
            code = code * 16 + digit;
        }
        return true;
    }

    bool escape() {
        ++m_pos; // the backslash
        if (m_pos >= m_text.size())
            return fail("unterminated string");
        char c = m_text[m_pos];
        if (std::string_view("\"\\/bfnrt").find(c) != std::string_view::npos) {
            ++m_pos;
            return true;
        }
        if (c != 'u')
            return fail("invalid escape '\\" + std::string(1, c) + "'");
        ++m_pos;
        unsigned code = 0;
        if (!hex4(code))
            return false;
        if (code >= 0xDC00 && code <= 0xDFFF)
            return fail("lone low surrogate in a \\u escape");
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (m_text.substr(m_pos, 2) != "\\u")
                return fail("high surrogate not followed by a low surrogate");
            m_pos += 2;
            if (!hex4(code))
                return false;
            if (code < 0xDC00 || code > 0xDFFF)
                return fail("high surrogate not followed by a low surrogate");
        }
        return true;
    }

    // Checks one UTF-8 sequence starting at m_pos (a byte >= 0x80), RFC 3629 table 3.
    bool utf8() {
        const util::CodePoint c = util::decode_utf8(m_text, m_pos);
        if (!c.valid)
            return fail("invalid UTF-8");
        m_pos += c.length;
        return true;
    }

    bool string() {
        ++m_pos; // the opening quote
        while (true) {
            // The common case first: a run of plain ASCII.
            while (m_pos < m_text.size()) {
                auto c = static_cast<unsigned char>(m_text[m_pos]);
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                    break;
                ++m_pos;
            }
            if (m_pos >= m_text.size())
                return fail("unterminated string");
            auto c = static_cast<unsigned char>(m_text[m_pos]);
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (c == '\\') {
                if (!escape())
                    return false;
            } else if (c < 0x20) {
                return fail(fmt::format("control character 0x{:02x} in a string", c));
            } else if (!utf8()) {
                return false;
            }
        }
    }

    std::string_view m_text;
    size_t m_pos = 0;
    bool m_is_object = false;
    bool m_too_deep = false;
    std::vector<Member> m_members;
    std::string m_error;
    size_t m_error_pos = 0;
};

// Decodes a scanned (hence valid) JSON string's text, quotes included.
std::string decode_string(std::string_view text) {
    std::string_view inner = text.substr(1, text.size() - 2);
    if (inner.find('\\') == std::string_view::npos)
        return std::string(inner);
    auto value = json::parse(text, nullptr, false);
    return value.is_string() ? value.get<std::string>() : std::string();
}

// The members a line must have, found by name (member names decoded when escaped).
struct LineFields {
    std::optional<std::string_view> key, provider, response, version;
};

LineFields find_fields(const std::vector<LineScanner::Member>& members) {
    LineFields fields;
    for (const auto& m : members) {
        std::string name = m.key.find('\\') == std::string_view::npos
                               ? std::string(m.key)
                               : decode_string("\"" + std::string(m.key) + "\"");
        // Later members win, as in nlohmann's parser.
        if (name == "key")
            fields.key = m.value;
        else if (name == "provider")
            fields.provider = m.value;
        else if (name == "response")
            fields.response = m.value;
        else if (name == "v")
            fields.version = m.value;
    }
    return fields;
}

// Returns the first message's content cut to k_quote_code_points, on one line.
std::string quote_first_message(const std::vector<ChatMessage>& messages) {
    if (messages.empty())
        return "";
    std::string_view text = messages.front().content;
    std::string out;
    size_t code_points = 0;
    size_t i = 0;
    for (; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool starts_code_point = (c & 0xC0) != 0x80;
        if (starts_code_point && code_points++ == k_quote_code_points)
            break;
        out += c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c);
    }
    if (i < text.size())
        out += "...";
    return out;
}

// Serialises `value` canonically; invalid UTF-8 (which a model's output may hold) becomes
// U+FFFD instead of throwing, so recording and keying never fail on it.
std::string canonical_or_replaced(const json& value) {
    try {
        return util::canonical_json(value);
    } catch (const json::type_error&) {
        return value.dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

json messages_json(const std::vector<ChatMessage>& messages) {
    json array = json::array();
    for (const auto& m : messages)
        array.push_back({{"content", m.content}, {"role", m.role}});
    return array;
}

// The parameters that were set, as the record's "params" (JSON texts parsed when valid).
json recorded_params(const Params& p) {
    auto parsed = [](const std::string& text) {
        json value = json::parse(text, nullptr, false);
        return value.is_discarded() ? json(text) : value;
    };
    json params = json::object();
    if (p.temperature)
        params["temperature"] = *p.temperature;
    if (p.top_p)
        params["top_p"] = *p.top_p;
    if (p.max_tokens)
        params["max_tokens"] = *p.max_tokens;
    if (p.seed)
        params["seed"] = *p.seed;
    if (!p.stop.empty())
        params["stop"] = p.stop;
    if (p.response_format_json)
        params["response_format"] = parsed(*p.response_format_json);
    if (p.tools_json)
        params["tools"] = parsed(*p.tools_json);
    if (p.stream)
        params["stream"] = true;
    return params;
}

// Writes all of `data` to `fd` (one write() unless the kernel takes less).
bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

} // namespace

std::string replay_key(const std::vector<ChatMessage>& messages, int repeat) {
    json value = {{"messages", messages_json(messages)}, {"repeat", repeat}};
    return util::sha256_hex(canonical_or_replaced(value));
}

// ---------------------------------------------------------------------------------------------
// ReplayFile

Expected<ReplayFile> ReplayFile::load(const fs::path& path) {
    auto text = util::read_file(path);
    if (!text) {
        if (text.error().code() == ErrorCode::not_found)
            return fail(ErrorCode::not_found, "replay file '{}' does not exist", path.string());
        return fail(text.error());
    }
    const std::string name = path.string();
    ReplayFile file;
    file.m_path = path;
    std::string_view rest = *text;
    if (rest.starts_with("\xEF\xBB\xBF"))
        rest.remove_prefix(3); // a byte order mark some editors add
    for (size_t line_no = 1; !rest.empty(); ++line_no) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (util::trim(line).empty())
            continue;

        LineScanner scanner(line);
        if (!scanner.scan()) {
            return fail(ErrorCode::invalid_input, "{}:{}:{}: {}{}", name, line_no,
                        scanner.error_column(),
                        scanner.too_deep() ? "" : "not valid JSON: ", scanner.error());
        }
        if (!scanner.is_object())
            return fail(ErrorCode::invalid_input, "{}:{}: not a JSON object", name, line_no);
        LineFields fields = find_fields(scanner.members());
        if (fields.version && *fields.version != k_format_version) {
            return fail(ErrorCode::invalid_input,
                        "{}:{}: unsupported replay format version {} (this llmops reads "
                        "version {})",
                        name, line_no, *fields.version, k_format_version);
        }
        struct Required {
            const char* name;
            std::optional<std::string_view> value;
            char first;
            const char* type;
        };
        for (const Required& r : {Required{"key", fields.key, '"', "a string"},
                                  Required{"provider", fields.provider, '"', "a string"},
                                  Required{"response", fields.response, '{', "an object"}}) {
            if (!r.value)
                return fail(ErrorCode::invalid_input, "{}:{}: missing '{}'", name, line_no, r.name);
            if (r.value->front() != r.first) {
                return fail(ErrorCode::invalid_input, "{}:{}: '{}' is not {}", name, line_no,
                            r.name, r.type);
            }
        }
        std::string key = decode_string(*fields.key);
        std::string provider = decode_string(*fields.provider);
        if (key.empty())
            return fail(ErrorCode::invalid_input, "{}:{}: 'key' is empty", name, line_no);
        if (provider.empty())
            return fail(ErrorCode::invalid_input, "{}:{}: 'provider' is empty", name, line_no);

        Entry entry{std::move(provider), std::string(*fields.response), line_no};
        // A key recorded again from the same provider is a re-record: the later line wins.
        auto [lo, hi] = file.m_entries.equal_range(key);
        auto same = std::find_if(
            lo, hi, [&](const auto& e) { return e.second.provider == entry.provider; });
        if (same != hi)
            same->second = std::move(entry);
        else
            file.m_entries.emplace(std::move(key), std::move(entry));
    }
    return file;
}

std::vector<std::string> ReplayFile::providers() const {
    std::vector<std::string> names;
    for (const auto& [key, entry] : m_entries)
        names.push_back(entry.provider);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

Expected<CallOutcome> ReplayFile::find(const std::vector<ChatMessage>& messages, int repeat,
                                       std::string_view provider) const {
    const std::string name = m_path.string();
    auto [lo, hi] = m_entries.equal_range(replay_key(messages, repeat));
    std::vector<const Entry*> matches;
    for (auto it = lo; it != hi; ++it) {
        if (provider.empty() || it->second.provider == provider)
            matches.push_back(&it->second);
    }
    if (matches.empty()) {
        std::string from = provider.empty() ? "" : fmt::format(" from '{}'", provider);
        std::string first = messages.empty()
                                ? std::string("no messages")
                                : fmt::format("first message: '{}'", quote_first_message(messages));
        return fail(ErrorCode::not_found,
                    "replay {}: no recorded answer{} for this request (repeat {}; {})", name, from,
                    repeat, first);
    }
    if (matches.size() > 1) {
        std::vector<std::string> names;
        for (const Entry* e : matches)
            names.push_back(e->provider);
        std::sort(names.begin(), names.end());
        return fail(ErrorCode::invalid_input,
                    "replay {}: this request was recorded from several providers; set "
                    "config.provider to one of: {}",
                    name, util::join(names, ", "));
    }
    const Entry& entry = *matches.front();
    json value = json::parse(entry.response_json, nullptr, false); // validated when loaded
    auto outcome = outcome_from_json(value);
    if (!outcome)
        return fail(outcome.error(), "{}:{}", name, entry.line);
    outcome->replayed = true;
    return outcome;
}

// ---------------------------------------------------------------------------------------------
// Recorder

Expected<std::unique_ptr<Recorder>> Recorder::open(const fs::path& path) {
    if (path.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        if (ec) {
            return fail(ErrorCode::io, "cannot create the folder of replay file '{}': {}",
                        path.string(), ec.message());
        }
    }
    // Read-write only to look at the last byte; every write appends (O_APPEND), so lines from
    // several threads, or even processes, never overwrite each other.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(ErrorCode::io, "cannot open replay file '{}' for appending: {}", path.string(),
                    std::strerror(errno));
    }
    std::unique_ptr<Recorder> recorder(new Recorder(path, fd));
    // A file that does not end with a newline (edited by hand) gets one, so the first record
    // starts its own line instead of corrupting the last one.
    struct stat st {};
    char last = '\n';
    if (::fstat(fd, &st) == 0 && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 &&
        last != '\n' && !write_all(fd, "\n")) {
        return fail(ErrorCode::io, "cannot write to replay file '{}': {}", path.string(),
                    std::strerror(errno));
    }
    return recorder;
}

Recorder::~Recorder() {
    if (m_fd >= 0)
        ::close(m_fd);
}

Expected<void> Recorder::record(std::string_view provider_id, const CompletionRequest& request,
                                int repeat, const CallOutcome& outcome,
                                const util::Redactor& redactor) {
    json line = {
        {"v", 1},
        {"provider", provider_id},
        {"model", request.model},
        {"key", replay_key(request.messages, repeat)},
        {"repeat", repeat},
        {"messages", messages_json(request.messages)},
        {"params", recorded_params(request.params)},
        {"response", outcome_to_json(outcome)},
    };
    redactor.redact_json(line["messages"]);
    redactor.redact_json(line["params"]);
    std::string text = canonical_or_replaced(line);
    text += '\n';
    // One write() per line, no user-space buffer: a killed run leaves only whole lines, and the
    // kernel has each line as soon as this returns (no fsync: a power cut may lose the tail).
    std::lock_guard lock(m_mutex);
    if (!write_all(m_fd, text)) {
        return fail(ErrorCode::io, "cannot write to replay file '{}': {}", m_path.string(),
                    std::strerror(errno));
    }
    return {};
}

} // namespace llmops::provider
