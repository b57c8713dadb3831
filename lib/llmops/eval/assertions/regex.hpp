#pragma once
// Internal to the eval module: the regular expressions of `regex` assertions and JSON Schema
// `pattern`s. Both speak ECMAScript (promptfoo runs `new RegExp(value)`; JSON Schema names
// ECMA-262), so this engine reads that syntax. It exists because std::regex in libstdc++
// recurses once per character: `.*x` on a 40,000-character output overflows an 8 MB stack and
// kills the process, and a model's answer can be that long. This one compiles to a Thompson
// NFA and searches with a Pike VM: time linear in the text, constant stack, no catastrophic
// backtracking.
//
// Supported: literals, `.`, classes `[...]`/`[^...]` with ranges, `\d \D \w \W \s \S`, `\b \B`,
// `^ $` (start and end of the text, as JavaScript without the `m` flag), groups `(...)`,
// `(?:...)`, `(?<name>...)`, `|`, the quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms,
// escapes `\t \n \r \f \v \0 \xHH \uHHHH \u{H...} \cX` and escaped punctuation. Refused with a
// message: backreferences, lookahead and lookbehind, inline flags, Unicode property escapes and
// unknown letter escapes (`\A`, `\z`: anchors elsewhere, plain letters in JavaScript, so they
// would silently mean something else). Matching is on Unicode code points; `\d \w \b` are ASCII,
// `\s` is JavaScript's Unicode white space.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::eval::detail {

class Regex {
public:
    // Compiles `pattern`. Fails with `invalid_input` and a lowercase reason without the
    // pattern ("missing ')'", "nothing to repeat", "backreferences are not supported").
    static Expected<Regex> compile(std::string_view pattern);

    // compile() through a small per-thread cache of the last patterns seen: a dataset whose
    // cases share a pattern (the usual case) compiles it once, not once per case. The result
    // stays valid until the calling thread's next call.
    static const Expected<Regex>& compile_cached(std::string_view pattern);

    // True when the pattern matches somewhere in `text` (UTF-8; invalid bytes read as U+FFFD).
    bool search(std::string_view text) const;

    // One instruction of the compiled program.
    struct Inst {
        enum class Op : uint8_t {
            character,     // `a` is the code point
            any,           // any code point but a line terminator
            set,           // `a` indexes the character sets
            split,         // continue at `a` and at `b`
            jump,          // continue at `a`
            text_begin,    // ^
            text_end,      // $
            word_boundary, // \b
            not_boundary,  // \B
            match,
        };
        Op op = Op::match;
        uint32_t a = 0;
        uint32_t b = 0;
    };
    using Ranges = std::vector<std::pair<char32_t, char32_t>>; // sorted, disjoint, inclusive

private:
    std::vector<Inst> m_program;
    std::vector<Ranges> m_sets;

    friend class RegexCompiler;
};

} // namespace llmops::eval::detail
