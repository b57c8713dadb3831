#pragma once
// Escaping untrusted text (model outputs, dataset values) for each output, shared by the run and
// diff reports. escape.cpp documents each rule in detail. Every function here turns invalid
// UTF-8 into U+FFFD (one per ill-formed sequence, util::decode_utf8).

#include <cstddef>
#include <string>
#include <string_view>

namespace llmops::report {

// For a terminal: valid UTF-8, control characters (which terminals may obey) shown as \x1b.
std::string terminal_text(std::string_view s);
// The same on one line: newlines and tabs as spaces.
std::string terminal_line(std::string_view s);
// `s` on one line, cut to `width` code points (with "…") and padded to it.
std::string terminal_cell(std::string_view s, size_t width);
// Inline Markdown (GitHub, GitLab) on one line: no tag, link, emphasis, table break or mention.
std::string markdown_text(std::string_view s);
// A fenced Markdown code block that no text can close.
std::string markdown_code_block(const std::string& text);
// HTML (or XML) text and attribute values: the special characters as entities, characters
// HTML cannot hold dropped, invalid UTF-8 as U+FFFD. Same as xml_escape(s, XmlPlace::attribute).
std::string html_text(std::string_view s);

// Where XML text goes: element content keeps newlines and tabs, attributes get them as
// character references.
enum class XmlPlace { text, attribute };
// XML 1.0 (JUnit): the five special characters as entities, characters XML cannot hold dropped.
std::string xml_escape(std::string_view s, XmlPlace place);
// A CSV cell (RFC 4180): no NUL bytes, formula characters defused, quoted when needed.
std::string csv_text(std::string_view s);

// At most `max` code points of `s`; `dropped` counts the rest.
std::string head_text(std::string_view s, size_t max, size_t& dropped);
// Number of code points in `s` (an ill-formed sequence counts as one).
size_t code_point_count(std::string_view s);

} // namespace llmops::report
