#include <llmops/util/yaml.hpp>

#include <charconv>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <llmops/util/strings.hpp>

namespace llmops::util {

namespace {

using nlohmann::json;

std::string where(std::string_view origin, const YAML::Mark& mark, size_t line_offset) {
    if (mark.is_null()) {
        return std::string(origin);
    }
    return fmt::format("{}:{}:{}", origin, mark.line + 1 + line_offset, mark.column + 1);
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
    static const std::regex k_int("[-+]?[0-9]+");
    static const std::regex k_float(
        "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    if (std::regex_match(s, k_int)) {
        long long value = 0;
        const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
        const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
        if (ec == std::errc() && ptr == s.data() + s.size()) {
            return value;
        }
        return s; // too large for an integer: keep the text rather than lose digits
    }
    if (std::regex_match(s, k_float)) {
        return std::stod(s);
    }
    return s;
}

struct Converter {
    std::string_view origin;
    size_t line_offset;

    Expected<json> convert(const YAML::Node& node) const {
        switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return json(nullptr);
        case YAML::NodeType::Scalar: {
            const std::string& value = node.Scalar();
            if (const auto bad = find_invalid_utf8(value)) {
                return fail(ErrorCode::invalid_input, "{}: invalid UTF-8 in a value",
                            where(origin, node.Mark(), line_offset));
            }
            // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
            return node.Tag() == "?" ? plain_scalar(value) : json(value);
        }
        case YAML::NodeType::Sequence: {
            json out = json::array();
            for (const auto& item : node) {
                auto value = convert(item);
                if (!value) {
                    return value;
                }
                out.push_back(std::move(*value));
            }
            return out;
        }
        case YAML::NodeType::Map: {
            json out = json::object();
            for (const auto& entry : node) {
                if (!entry.first.IsScalar()) {
                    return fail(ErrorCode::invalid_input, "{}: mapping keys must be scalars",
                                where(origin, entry.first.Mark(), line_offset));
                }
                const std::string& key = entry.first.Scalar();
                if (out.contains(key)) {
                    return fail(ErrorCode::invalid_input, "{}: duplicate key '{}'",
                                where(origin, entry.first.Mark(), line_offset), key);
                }
                auto value = convert(entry.second);
                if (!value) {
                    return value;
                }
                out[key] = std::move(*value);
            }
            return out;
        }
        }
        return json(nullptr);
    }
};

} // namespace

Expected<json> parse_yaml(std::string_view text, std::string_view origin, size_t line_offset) {
    if (const auto bad = find_invalid_utf8(text)) {
        const auto [line, column] = line_and_column(text, *bad);
        return fail(ErrorCode::invalid_input, "{}:{}:{}: invalid UTF-8 (byte {})", origin,
                    line + line_offset, column, *bad);
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return fail(ErrorCode::invalid_input, "{}: {}", where(origin, e.mark, line_offset), e.msg);
    }
    try {
        return Converter{origin, line_offset}.convert(root);
    } catch (const YAML::Exception& e) {
        return fail(ErrorCode::invalid_input, "{}: {}", where(origin, e.mark, line_offset), e.msg);
    }
}

} // namespace llmops::util
