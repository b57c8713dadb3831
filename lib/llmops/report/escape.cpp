#include <llmops/report/escape.hpp>

// Text safety. Model outputs, reasons and dataset text are arbitrary bytes: every format gets
// valid UTF-8 (an ill-formed sequence becomes one U+FFFD, util::decode_utf8) and its own
// escaping.

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <llmops/util/strings.hpp>

namespace llmops::report {

namespace {

// Calls `visit(code_point, bytes)` for each code point of `s`.
template <typename Visit>
void for_each_code_point(std::string_view s, Visit&& visit) {
    for (size_t i = 0; i < s.size();) {
        const util::CodePoint c = util::decode_utf8(s, i);
        visit(c, s.substr(i, c.length));
        i += c.length;
    }
}

bool is_control(char32_t c) {
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);
}

} // namespace

// Number of code points in `s` (for column widths and truncation).
size_t code_point_count(std::string_view s) {
    size_t n = 0;
    for_each_code_point(s, [&](const util::CodePoint&, std::string_view) { ++n; });
    return n;
}

// The first `max` code points of `s`; `dropped` receives how many were left out.
std::string head_text(std::string_view s, size_t max, size_t& dropped) {
    size_t i = 0;
    size_t kept = 0;
    while (i < s.size() && kept < max) {
        i += util::decode_utf8(s, i).length;
        ++kept;
    }
    dropped = code_point_count(s.substr(i));
    return std::string(s.substr(0, i));
}

// Text for a terminal or a code block: valid UTF-8, control characters (C0, DEL and C1, which
// terminals may obey as escape sequences) shown as `\x1b` or `\u009b`. Newlines and tabs are
// kept.
std::string terminal_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for_each_code_point(s, [&](const util::CodePoint& c, std::string_view bytes) {
        if (!c.valid) {
            out += util::k_replacement_character;
        } else if (c.value == '\n' || c.value == '\t') {
            out += bytes;
        } else if (c.value < 0x80 && is_control(c.value)) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned>(c.value));
        } else if (is_control(c.value)) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c.value));
        } else {
            out += bytes;
        }
    });
    return out;
}

// One line of visible text: newlines and tabs become spaces.
std::string terminal_line(std::string_view s) {
    std::string out = terminal_text(s);
    std::replace(out.begin(), out.end(), '\n', ' ');
    std::replace(out.begin(), out.end(), '\t', ' ');
    return out;
}

// Text for XML 1.0: the five special characters as entities; characters XML 1.0 cannot hold
// (C0 controls other than tab, newline and carriage return; U+FFFE, U+FFFF) dropped; invalid
// UTF-8 as U+FFFD. Carriage returns (and, in attributes, newlines and tabs) become character
// references so that a parser's line-end and attribute normalisation keeps them.
std::string xml_escape(std::string_view s, XmlPlace place) {
    const bool attribute = place == XmlPlace::attribute;
    std::string out;
    out.reserve(s.size());
    for_each_code_point(s, [&](const util::CodePoint& c, std::string_view bytes) {
        if (!c.valid) {
            out += util::k_replacement_character;
            return;
        }
        switch (c.value) {
        case '&': out += "&amp;"; return;
        case '<': out += "&lt;"; return;
        case '>': out += "&gt;"; return;
        case '"': out += "&quot;"; return;
        case '\'': out += "&apos;"; return;
        case '\r': out += "&#13;"; return;
        case '\n': out += attribute ? "&#10;" : "\n"; return;
        case '\t': out += attribute ? "&#9;" : "\t"; return;
        default: break;
        }
        if (c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF) {
            return;
        }
        out += bytes;
    });
    return out;
}

// Model or dataset text outside code blocks in a Markdown comment (GitHub, GitLab), on one line:
// HTML special characters as entities (no tag, image or link can be injected, and the text is
// safe inside HTML such as <summary>); Markdown punctuation as numeric entities (no emphasis,
// code span, link, strike-through or math), `|` as `&#124;` (no table cell break); an `@` that
// could start a mention (not after a letter, digit or `_`, as in `prompt@2` or an e-mail address)
// followed by a zero-width space, so no one is notified (what Dependabot does); newlines and tabs
// as spaces, other control characters dropped.
std::string markdown_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    char32_t previous = ' ';
    for_each_code_point(s, [&](const util::CodePoint& c, std::string_view bytes) {
        const char32_t before = previous;
        previous = c.value;
        if (!c.valid) {
            out += util::k_replacement_character;
            return;
        }
        const bool after_word =
            before < 0x80 && (std::isalnum(static_cast<int>(before)) != 0 || before == '_');
        if (c.value == '@' && after_word) {
            out += '@';
            return;
        }
        switch (c.value) {
        case '&': out += "&amp;"; return;
        case '<': out += "&lt;"; return;
        case '>': out += "&gt;"; return;
        case '"': out += "&quot;"; return;
        case '\'': out += "&#39;"; return;
        case '|': out += "&#124;"; return;
        case '\\': out += "&#92;"; return;
        case '`': out += "&#96;"; return;
        case '*': out += "&#42;"; return;
        case '_': out += "&#95;"; return;
        case '[': out += "&#91;"; return;
        case ']': out += "&#93;"; return;
        case '~': out += "&#126;"; return;
        case '$': out += "&#36;"; return;
        case '@': out += "@&#8203;"; return;
        case '\n':
        case '\r':
        case '\t': out += ' '; return;
        default: break;
        }
        if (is_control(c.value)) {
            return;
        }
        out += bytes;
    });
    return out;
}

// A CSV text cell (RFC 4180): valid UTF-8 without NUL bytes (which many CSV readers reject); a
// leading `=`, `+`, `-`, `@`, tab or carriage return gets an apostrophe in front, so a
// spreadsheet shows model or dataset text instead of evaluating it as a formula (OWASP's advice
// on CSV injection); quoted when it holds a comma, a double quote, a carriage return or a
// newline, with double quotes doubled.
std::string csv_text(std::string_view s) {
    std::string value = util::valid_utf8(s);
    std::erase(value, '\0');
    if (!value.empty() && std::string_view("=+-@\t\r").find(value[0]) != std::string_view::npos) {
        value.insert(0, 1, '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        return value;
    }
    std::string out = "\"";
    for (char ch : value) {
        out += ch;
        if (ch == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

// A fenced code block holding `text` (control characters shown escaped): its fence is one
// backtick longer than the longest run of backticks inside, so no output can close it.
std::string markdown_code_block(const std::string& text) {
    const std::string body = terminal_text(text);
    size_t longest = 0;
    size_t run = 0;
    for (char ch : body) {
        run = ch == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::string fence(std::max<size_t>(3, longest + 1), '`');
    std::string out = fence + "text\n" + body;
    if (!body.empty() && body.back() != '\n') {
        out += '\n';
    }
    return out + fence + "\n";
}

// `text` cut to `width` code points (with "…") and padded to it.
std::string terminal_cell(std::string_view text, size_t width) {
    std::string shown = terminal_line(text);
    size_t dropped = 0;
    if (code_point_count(shown) > width) {
        shown = head_text(shown, width - 1, dropped) + "…";
    }
    return shown + std::string(width - code_point_count(shown), ' ');
}

std::string html_text(std::string_view s) {
    return xml_escape(s, XmlPlace::attribute);
}

} // namespace llmops::report
