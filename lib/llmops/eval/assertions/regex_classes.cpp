// The character classes of the regex engine (regex_classes.hpp): code point ranges, their
// complements, and the ranges of \d \w \s.

#include <llmops/eval/assertions/regex_classes.hpp>

#include <algorithm>
#include <iterator>

namespace llmops::eval::detail {

namespace {

using Ranges = Regex::Ranges;

const Ranges& digit_ranges() {
    static const Ranges ranges{{'0', '9'}};
    return ranges;
}

const Ranges& word_ranges() {
    static const Ranges ranges{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    return ranges;
}

// JavaScript's \s: WhiteSpace and LineTerminator.
const Ranges& space_ranges() {
    static const Ranges ranges = normalized({{0x09, 0x0D},
                                             {0x20, 0x20},
                                             {0xA0, 0xA0},
                                             {0x1680, 0x1680},
                                             {0x2000, 0x200A},
                                             {0x2028, 0x2029},
                                             {0x202F, 0x202F},
                                             {0x205F, 0x205F},
                                             {0x3000, 0x3000},
                                             {0xFEFF, 0xFEFF}});
    return ranges;
}

} // namespace

Ranges normalized(Ranges ranges) {
    std::sort(ranges.begin(), ranges.end());
    Ranges out;
    for (const auto& [lo, hi] : ranges) {
        if (!out.empty() && lo <= out.back().second + 1)
            out.back().second = std::max(out.back().second, hi);
        else
            out.emplace_back(lo, hi);
    }
    return out;
}

Ranges complement(const Ranges& sorted) {
    Ranges out;
    char32_t next = 0;
    for (const auto& [lo, hi] : sorted) {
        if (lo > next)
            out.emplace_back(next, lo - 1);
        next = hi + 1;
    }
    if (next <= k_max_code_point)
        out.emplace_back(next, k_max_code_point);
    return out;
}

// The ranges of a class escape letter (d, D, w, W, s, S), or nothing for another letter.
std::optional<Ranges> class_escape(char32_t c) {
    switch (c) {
    case 'd': return digit_ranges();
    case 'D': return complement(digit_ranges());
    case 'w': return word_ranges();
    case 'W': return complement(word_ranges());
    case 's': return space_ranges();
    case 'S': return complement(space_ranges());
    default: return std::nullopt;
    }
}

bool in_ranges(const Ranges& ranges, char32_t c) {
    auto it =
        std::upper_bound(ranges.begin(), ranges.end(), c,
                         [](char32_t value, const auto& range) { return value < range.first; });
    return it != ranges.begin() && c <= std::prev(it)->second;
}

bool is_word(char32_t c) {
    return in_ranges(word_ranges(), c);
}

bool is_line_terminator(char32_t c) {
    return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

} // namespace llmops::eval::detail
