#include <llmops/eval/assertions/common.hpp>

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::detail {

namespace {

// The small letter of capital `cp` in the scripts fold_case covers, or `cp` itself.
char32_t lower(char32_t cp) {
    if (cp >= 'A' && cp <= 'Z')
        return cp + 0x20;
    if (cp < 0xC0)
        return cp;
    if (cp <= 0xDE && cp != 0xD7) // Latin-1 capitals, but not the multiplication sign
        return cp + 0x20;
    if (cp >= 0x100 && cp <= 0x17F) { // Latin Extended-A: capital and small letters alternate
        if (cp == 0x178)
            return 0xFF;
        const bool odd_capitals = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
        const bool paired = (cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) || odd_capitals ||
                            (cp >= 0x14A && cp <= 0x177);
        if (paired && (cp % 2 == (odd_capitals ? 1u : 0u)))
            return cp + 1;
        return cp;
    }
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) // Greek
        return cp + 0x20;
    if (cp == 0x386)
        return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A)
        return cp + 37;
    if (cp == 0x38C)
        return 0x3CC;
    if (cp == 0x38E || cp == 0x38F)
        return cp + 63;
    if (cp >= 0x410 && cp <= 0x42F) // Cyrillic
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    return cp;
}

} // namespace

std::string quote(std::string_view text, size_t max_chars) {
    std::string out = "'";
    size_t chars = 0;
    size_t i = 0;
    while (i < text.size()) {
        if (chars == max_chars) {
            out += "...";
            break;
        }
        const util::CodePoint c = util::decode_utf8(text, i);
        const char32_t cp = c.value;
        const size_t len = c.valid ? c.length : 1; // one U+FFFD per bad byte
        if (!c.valid) {
            out += util::k_replacement_character; // so reasons stay valid UTF-8
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp == '\t') {
            out += "\\t";
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
        ++chars;
    }
    return out + "'";
}

std::string value_text(const nlohmann::json& value) {
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_boolean())
        return value.get<bool>() ? "true" : "false";
    if (value.is_number_integer())
        return std::to_string(value.get<int64_t>());
    if (value.is_number_unsigned())
        return std::to_string(value.get<uint64_t>());
    if (value.is_number_float()) {
        const double d = value.get<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15)
            return fmt::format("{}", static_cast<int64_t>(d));
        return fmt::format("{}", d);
    }
    return dump_json(value);
}

std::vector<std::string> comma_separated(std::string_view text) {
    std::vector<std::string> pieces;
    std::string current;
    bool quoted = false;
    const auto finish = [&] {
        const auto piece = util::trim(current);
        if (!piece.empty())
            pieces.emplace_back(piece);
        current.clear();
    };
    for (const char c : text) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            finish();
        } else {
            current += c;
        }
    }
    finish();
    return pieces;
}

std::u32string decode_utf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const util::CodePoint c = util::decode_utf8(text, i);
        out += c.value;              // U+FFFD when ill-formed
        i += c.valid ? c.length : 1; // one U+FFFD per bad byte
    }
    return out;
}

std::string fold_case(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const util::CodePoint c = util::decode_utf8(text, i);
        if (!c.valid) {
            out += text[i];
            ++i;
            continue;
        }
        util::append_utf8(out, lower(c.value));
        i += c.length;
    }
    return out;
}

std::string format_number(double value) {
    if (!std::isfinite(value))
        return fmt::format("{}", value);
    if (std::floor(value) == value && std::fabs(value) < 1e15)
        return fmt::format("{}", static_cast<int64_t>(value));
    std::string text =
        std::fabs(value) >= 1 ? fmt::format("{:.2f}", value) : fmt::format("{:.4g}", value);
    if (text.find('.') != std::string::npos && text.find('e') == std::string::npos) {
        while (text.back() == '0')
            text.pop_back();
        if (text.back() == '.')
            text.pop_back();
    }
    return text;
}

std::string dump_json(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string written_type(const AssertionSpec& spec) {
    return spec.negate ? "not-" + spec.type : spec.type;
}

} // namespace llmops::eval::detail
