#include <llmops/util/diff.hpp>

#include <algorithm>
#include <vector>

#include <dtl/dtl.hpp>
#include <fmt/format.h>

#include <llmops/util/strings.hpp>
#include <llmops/util/term.hpp>

namespace llmops::util {

namespace {

// What diff and patch print after a last line that has no newline.
constexpr std::string_view k_no_newline = "\\ No newline at end of file";

// The lines of `text`. A last line without a newline carries the marker as a second line, so
// that "a" and "a\n" differ, as they do to diff(1), and the hunk shows why.
std::vector<std::string> lines_of(std::string_view text) {
    if (text.empty()) {
        return {};
    }
    const bool terminated = text.back() == '\n';
    if (terminated) {
        text.remove_suffix(1);
    }
    auto lines = split(text, '\n');
    if (!terminated) {
        lines.back() += '\n';
        lines.back() += k_no_newline;
    }
    return lines;
}

// A hunk range as diff(1) writes it: "start,count", just "start" for one line, and an empty
// range starts at the line before it.
std::string range(size_t start, size_t count) {
    if (count == 1) {
        return fmt::format("{}", start);
    }
    return fmt::format("{},{}", count == 0 ? start - 1 : start, count);
}

constexpr size_t k_context = 3;

enum class Kind { common, removed, added };
using Script = std::vector<std::pair<std::string, Kind>>;

// The edit script from `before` to `after`, each run of changes with its removals first, as
// diff(1) prints them. dtl finds the script; its own hunk builder is not used because it
// disagrees with diff(1) near the end of a file (it keeps extra context lines).
Script edit_script(const std::vector<std::string>& before, const std::vector<std::string>& after) {
    dtl::Diff<std::string, std::vector<std::string>> diff(before, after);
    diff.onHuge();
    diff.compose();
    Script script;
    Script added;
    for (const auto& [line, info] : diff.getSes().getSequence()) {
        if (info.type == dtl::SES_ADD) {
            added.emplace_back(line, Kind::added);
            continue;
        }
        if (info.type == dtl::SES_COMMON) {
            script.insert(script.end(), added.begin(), added.end());
            added.clear();
        }
        script.emplace_back(line, info.type == dtl::SES_DELETE ? Kind::removed : Kind::common);
    }
    script.insert(script.end(), added.begin(), added.end());
    return script;
}

} // namespace

std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_label, std::string_view after_label, bool colour) {
    if (before == after) {
        return {};
    }
    const Script script = edit_script(lines_of(before), lines_of(after));
    std::string out = paint(fmt::format("--- {}", before_label), Colour::bold, colour) + "\n" +
                      paint(fmt::format("+++ {}", after_label), Colour::bold, colour) + "\n";
    const auto line_out = [&](const std::string& line, Kind kind) {
        static constexpr char k_signs[] = {' ', '-', '+'};
        const Colour line_colour = kind == Kind::removed ? Colour::red : Colour::green;
        const size_t marker = line.find('\n');
        out += paint(k_signs[static_cast<int>(kind)] + line.substr(0, marker), line_colour,
                     colour && kind != Kind::common);
        out += '\n';
        if (marker != std::string::npos) {
            out += line.substr(marker + 1);
            out += '\n';
        }
    };
    // Hunks: each change with k_context lines around it; changes at most 2 * k_context common
    // lines apart share a hunk.
    const size_t n = script.size();
    size_t before_line = 1; // line numbers of script[i] in each text
    size_t after_line = 1;
    size_t i = 0;
    while (i < n) {
        size_t first = i;
        while (first < n && script[first].second == Kind::common) {
            ++first;
        }
        if (first == n) {
            break;
        }
        size_t end = first; // one past the last change of this hunk
        for (size_t k = first; k < n && k <= end + 2 * k_context; ++k) {
            if (script[k].second != Kind::common) {
                end = k + 1;
            }
        }
        const size_t begin = first > i + k_context ? first - k_context : i;
        const size_t stop = std::min(n, end + k_context);
        for (size_t k = i; k < begin; ++k) { // common lines before the hunk
            ++before_line;
            ++after_line;
        }
        size_t before_count = 0;
        size_t after_count = 0;
        for (size_t k = begin; k < stop; ++k) {
            before_count += script[k].second != Kind::added ? 1 : 0;
            after_count += script[k].second != Kind::removed ? 1 : 0;
        }
        out += paint(fmt::format("@@ -{} +{} @@", range(before_line, before_count),
                                 range(after_line, after_count)),
                     Colour::cyan, colour);
        out += '\n';
        for (size_t k = begin; k < stop; ++k) {
            line_out(script[k].first, script[k].second);
        }
        before_line += before_count;
        after_line += after_count;
        i = stop;
    }
    return out;
}

} // namespace llmops::util
