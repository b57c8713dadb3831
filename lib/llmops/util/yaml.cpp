#include <llmops/util/yaml.hpp>

#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <llmops/util/nesting.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::util {

namespace {

using nlohmann::json;

// yaml-cpp 0.7's parser recurses once per nested node and gives up at 500 with "bad file" at a
// place of little use (a map's first key). Lists and maps are refused one level before that, with
// nesting.hpp's message and the place of the one too many, so YAML allows less than JSON's
// k_max_nesting.
constexpr size_t k_max_yaml_nesting = 498;

std::string where(std::string_view origin, const YAML::Mark& mark, size_t line_offset) {
    if (mark.is_null()) {
        return std::string(origin);
    }
    return fmt::format("{}:{}:{}", origin, mark.line + 1 + line_offset, mark.column + 1);
}

// The number patterns of the YAML 1.2 core schema, matched by hand rather than with std::regex,
// which recurses once per character (a long scalar in a user's file would overflow the stack).

// Skips the characters of `s` from `i` that `is` accepts; returns how many.
template <typename Is>
size_t skip(std::string_view s, size_t& i, Is is) {
    const size_t from = i;
    while (i < s.size() && is(static_cast<unsigned char>(s[i]))) {
        ++i;
    }
    return i - from;
}

bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

// `s` is `prefix` followed by one or more characters that `is` accepts.
template <typename Is>
bool prefixed_digits(std::string_view s, std::string_view prefix, Is is) {
    size_t i = prefix.size();
    return s.starts_with(prefix) && skip(s, i, is) > 0 && i == s.size();
}

// [-+]?[0-9]+
bool is_yaml_int(std::string_view s) {
    size_t i = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    return skip(s, i, is_digit) > 0 && i == s.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_yaml_float(std::string_view s) {
    size_t i = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (skip(s, i, is_digit) > 0) {
        if (i < s.size() && s[i] == '.') {
            ++i;
            skip(s, i, is_digit);
        }
    } else if (i < s.size() && s[i] == '.') {
        ++i;
        if (skip(s, i, is_digit) == 0) {
            return false;
        }
    } else {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            ++i;
        }
        if (skip(s, i, is_digit) == 0) {
            return false;
        }
    }
    return i == s.size();
}

// YAML 1.2 core schema resolution of a plain scalar.
json plain_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
        return nullptr;
    }
    if (s == "true" || s == "True" || s == "TRUE") {
        return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
        return false;
    }
    const bool hex =
        prefixed_digits(s, "0x", [](unsigned char c) { return std::isxdigit(c) != 0; });
    const bool octal =
        !hex && prefixed_digits(s, "0o", [](unsigned char c) { return c >= '0' && c <= '7'; });
    if (hex || octal || is_yaml_int(s)) {
        long long value = 0;
        const char* begin = s.data() + (hex || octal ? 2 : s[0] == '+' ? 1 : 0);
        const int base = hex ? 16 : octal ? 8 : 10;
        const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value, base);
        if (ec == std::errc() && ptr == s.data() + s.size()) {
            return value;
        }
        return s; // too large for an integer: keep the text rather than lose digits
    }
    if (is_yaml_float(s)) {
        // std::stod throws for 1e400 (and 1e-400); from_chars reports it instead.
        double value = 0;
        const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
        const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
        if (ec == std::errc() && ptr == s.data() + s.size()) {
            return value;
        }
        return s; // beyond a double's range: keep the text, as JSON has no infinity
    }
    return s;
}

// A first pass over the parser's events that finds what the node tree hides: aliases (a node
// tree shares the anchored node, so they cannot be told apart there) and documents after the
// first one (YAML::Load silently drops them). It also stops the parse at the first list or map
// nested deeper than k_max_yaml_nesting, throwing a YAML::ParserException there.
class Screen : public YAML::EventHandler {
public:
    std::optional<YAML::Mark> alias;
    std::optional<YAML::Mark> extra_document;

    void OnDocumentStart(const YAML::Mark& mark) override {
        ++m_documents;
        m_document_start = mark;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
        if (!alias) {
            alias = mark;
        }
        content();
    }
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        content();
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        open(mark);
        content();
    }
    void OnSequenceEnd() override { --m_depth; }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        open(mark);
        content();
    }
    void OnMapEnd() override { --m_depth; }

private:
    void open(const YAML::Mark& mark) {
        if (++m_depth > k_max_yaml_nesting) {
            throw YAML::ParserException(mark, nesting_message(k_max_yaml_nesting));
        }
    }

    // An empty document after the first (a trailing `---`) holds nothing to lose.
    void content() {
        if (m_documents > 1 && !extra_document) {
            extra_document = m_document_start;
        }
    }

    int m_documents = 0;
    YAML::Mark m_document_start = YAML::Mark::null_mark();
    size_t m_depth = 0;
};

// The text of a plain null used as a mapping key (`null`, `Null`, `NULL`, `~` or nothing), read
// back from the source because yaml-cpp keeps no text for nulls. Keys are strings in JSON and
// other plain keys (`true`, `123`) keep their text, so a null key does too.
std::optional<std::string> null_key_text(std::string_view text, const YAML::Mark& mark) {
    if (mark.is_null() || mark.pos < 0 || static_cast<size_t>(mark.pos) > text.size()) {
        return std::nullopt;
    }
    const std::string_view at = text.substr(static_cast<size_t>(mark.pos));
    for (const std::string_view spelling : {"null", "Null", "NULL", "~"}) {
        if (at.starts_with(spelling)) {
            const std::string_view rest = at.substr(spelling.size());
            if (rest.empty() || rest[0] == ':' || rest[0] == ' ' || rest[0] == '\t' ||
                rest[0] == '\n' || rest[0] == '\r' || rest[0] == ',' || rest[0] == '}') {
                return std::string(spelling);
            }
        }
    }
    if (at.starts_with(":") || at.starts_with("?")) {
        return std::string(); // an empty key
    }
    return std::nullopt;
}

template <class Json>
struct Converter {
    std::string_view text;
    std::string_view origin;
    size_t line_offset;

    // `depth` counts the lists and maps around `node`: the screen refused deeper ones, and the
    // check keeps this recursion bounded whatever tree it is given.
    Expected<Json> convert(const YAML::Node& node, size_t depth = 0) const {
        if ((node.IsSequence() || node.IsMap()) && ++depth > k_max_yaml_nesting) {
            return fail(ErrorCode::invalid_input, "{}: {}", where(origin, node.Mark(), line_offset),
                        nesting_message(k_max_yaml_nesting));
        }
        switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return Json(nullptr);
        case YAML::NodeType::Scalar: {
            const std::string& value = node.Scalar();
            if (const auto bad = find_invalid_utf8(value)) {
                return fail(ErrorCode::invalid_input, "{}: invalid UTF-8 in a value",
                            where(origin, node.Mark(), line_offset));
            }
            // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
            return node.Tag() == "?" ? Json(plain_scalar(value)) : Json(value);
        }
        case YAML::NodeType::Sequence: {
            Json out = Json::array();
            for (const auto& item : node) {
                auto value = LLMOPS_TRY(convert(item, depth));
                out.push_back(std::move(value));
            }
            return out;
        }
        case YAML::NodeType::Map: {
            Json out = Json::object();
            for (const auto& entry : node) {
                std::string key;
                if (entry.first.IsScalar()) {
                    key = entry.first.Scalar();
                } else if (const auto null_key = entry.first.IsNull()
                                                     ? null_key_text(text, entry.first.Mark())
                                                     : std::nullopt) {
                    key = *null_key;
                } else {
                    return fail(ErrorCode::invalid_input, "{}: mapping keys must be scalars",
                                where(origin, entry.first.Mark(), line_offset));
                }
                if (out.contains(key)) {
                    return fail(ErrorCode::invalid_input, "{}: duplicate key '{}'",
                                where(origin, entry.first.Mark(), line_offset), key);
                }
                auto value = LLMOPS_TRY(convert(entry.second, depth));
                out[key] = std::move(value);
            }
            return out;
        }
        }
        return Json(nullptr);
    }
};

} // namespace

namespace {

template <class Json>
Expected<Json> parse_as(std::string_view text, std::string_view origin, size_t line_offset) {
    if (const auto bad = find_invalid_utf8(text)) {
        const auto [line, column] = line_and_column(text, *bad);
        return fail(ErrorCode::invalid_input, "{}:{}:{}: invalid UTF-8 (byte {})", origin,
                    line + line_offset, column, *bad);
    }
    // yaml-cpp skips a byte order mark but its marks' byte positions do not count it; dropping
    // it here keeps positions true to the text the converter reads keys back from.
    std::string_view body = text;
    if (body.starts_with("\xEF\xBB\xBF")) {
        body.remove_prefix(3);
    }
    const std::string owned(body);
    YAML::Node root;
    try {
        std::istringstream in(owned);
        YAML::Parser parser(in);
        Screen screen;
        // yaml-cpp 0.7 never ends a stream holding a ',' outside a flow collection (",",
        // "- a\n,"): it reports empty documents forever without reading on. Text holds fewer
        // documents than bytes.
        size_t documents = 0;
        while (parser.HandleNextDocument(screen)) {
            if (++documents > owned.size()) {
                return fail(ErrorCode::invalid_input, "{}: unexpected ',' outside [ ] or {{ }}",
                            origin);
            }
        }
        if (screen.alias) {
            return fail(ErrorCode::invalid_input, "{}: aliases are not supported",
                        where(origin, *screen.alias, line_offset));
        }
        if (screen.extra_document) {
            return fail(ErrorCode::invalid_input,
                        "{}: a second YAML document (only one is allowed)",
                        where(origin, *screen.extra_document, line_offset));
        }
        root = YAML::Load(owned);
    } catch (const YAML::Exception& e) {
        return fail(ErrorCode::invalid_input, "{}: {}", where(origin, e.mark, line_offset), e.msg);
    }
    try {
        return Converter<Json>{owned, origin, line_offset}.convert(root);
    } catch (const YAML::Exception& e) {
        return fail(ErrorCode::invalid_input, "{}: {}", where(origin, e.mark, line_offset), e.msg);
    }
}

} // namespace

Expected<json> parse_yaml(std::string_view text, std::string_view origin, size_t line_offset) {
    return parse_as<json>(text, origin, line_offset);
}

Expected<nlohmann::ordered_json> parse_yaml_ordered(std::string_view text,
                                                    std::string_view origin) {
    return parse_as<nlohmann::ordered_json>(text, origin, 0);
}

} // namespace llmops::util
