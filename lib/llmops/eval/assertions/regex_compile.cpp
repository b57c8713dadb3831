// Compiling a regex (regex.hpp): the pattern parsed into a tree of nodes, then emitted as a
// program for the Pike VM that Regex::search runs (regex.cpp).

#include <llmops/eval/assertions/regex.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/assertions/regex_classes.hpp>

namespace llmops::eval::detail {

namespace {

using Ranges = Regex::Ranges;
using Op = Regex::Inst::Op;

constexpr uint32_t k_unbounded = UINT32_MAX;
// A pattern is a line in a suite; these bounds only stop absurd ones from eating memory or the
// parser's stack.
constexpr size_t k_max_program = 100000;
constexpr int k_max_depth = 100;
constexpr uint64_t k_max_count = 100000;

// A parsed pattern, before it becomes a program.
struct Node {
    enum class Kind {
        empty,
        literal,
        any,
        set,
        text_begin,
        text_end,
        word_boundary,
        not_boundary,
        concat,
        alternation,
        repeat
    };
    Kind kind = Kind::empty;
    char32_t cp = 0;  // literal
    uint32_t set = 0; // set: index into the regex's sets
    uint32_t min = 0; // repeat
    uint32_t max = 0; // repeat; k_unbounded for no limit
    std::vector<Node> children;
};

bool is_hex(char32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

uint32_t hex_value(char32_t c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

bool is_ascii_alnum(char32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

// Parses a pattern into a Node tree and emits the program into a Regex.
class RegexCompiler {
public:
    RegexCompiler(std::string_view pattern, Regex& regex)
        : m_pattern(decode_utf8(pattern)), m_regex(regex) {}

    Expected<void> run() {
        auto tree = LLMOPS_TRY(parse_alternation(0));
        if (!at_end())
            return fail(ErrorCode::invalid_input, "unmatched ')'");
        LLMOPS_TRY(emit(tree));
        return push({Op::match, 0, 0});
    }

private:
    // ---- parsing -------------------------------------------------------------------------

    bool at_end() const { return m_pos >= m_pattern.size(); }
    char32_t peek(size_t ahead = 0) const {
        return m_pos + ahead < m_pattern.size() ? m_pattern[m_pos + ahead] : 0;
    }

    Expected<Node> parse_alternation(int depth) {
        if (depth > k_max_depth)
            return fail(ErrorCode::invalid_input, "groups are nested too deeply");
        std::vector<Node> alternatives;
        alternatives.push_back(LLMOPS_TRY(parse_sequence(depth)));
        while (!at_end() && peek() == '|') {
            ++m_pos;
            alternatives.push_back(LLMOPS_TRY(parse_sequence(depth)));
        }
        if (alternatives.size() == 1)
            return std::move(alternatives.front());
        Node node;
        node.kind = Node::Kind::alternation;
        node.children = std::move(alternatives);
        return node;
    }

    Expected<Node> parse_sequence(int depth) {
        Node node;
        node.kind = Node::Kind::concat;
        while (!at_end() && peek() != '|' && peek() != ')') {
            auto atom = LLMOPS_TRY(parse_atom(depth));
            node.children.push_back(LLMOPS_TRY(parse_quantifier(std::move(atom))));
        }
        if (node.children.size() == 1)
            return std::move(node.children.front());
        return node;
    }

    // True when a `{n}`, `{n,}` or `{n,m}` quantifier starts at the current position; any other
    // `{` is a literal, as JavaScript (Annex B) reads it.
    bool quantifier_braces_here() const {
        if (peek() != '{')
            return false;
        size_t i = m_pos + 1;
        const auto digits = [&] {
            const size_t start = i;
            while (i < m_pattern.size() && m_pattern[i] >= '0' && m_pattern[i] <= '9')
                ++i;
            return i > start;
        };
        if (!digits())
            return false;
        if (i < m_pattern.size() && m_pattern[i] == ',') {
            ++i;
            digits();
        }
        return i < m_pattern.size() && m_pattern[i] == '}';
    }

    bool quantifier_here() const {
        return peek() == '*' || peek() == '+' || peek() == '?' || quantifier_braces_here();
    }

    uint64_t read_count() {
        uint64_t value = 0;
        while (!at_end() && peek() >= '0' && peek() <= '9') {
            value = std::min<uint64_t>(value * 10 + (peek() - '0'), k_max_count + 1);
            ++m_pos;
        }
        return value;
    }

    Expected<Node> parse_quantifier(Node atom) {
        if (at_end() || !quantifier_here())
            return atom;
        using K = Node::Kind;
        if (atom.kind == K::text_begin || atom.kind == K::text_end ||
            atom.kind == K::word_boundary || atom.kind == K::not_boundary)
            return fail(ErrorCode::invalid_input, "nothing to repeat");
        uint64_t min = 0;
        uint64_t max = k_unbounded;
        const char32_t c = peek();
        ++m_pos;
        if (c == '+') {
            min = 1;
        } else if (c == '?') {
            max = 1;
        } else if (c == '{') {
            min = read_count();
            max = min;
            if (peek() == ',') {
                ++m_pos;
                max = (peek() == '}') ? k_unbounded : read_count();
            }
            ++m_pos; // the '}'
            if (min > k_max_count || (max != k_unbounded && max > k_max_count))
                return fail(ErrorCode::invalid_input, "the regular expression is too large");
            if (max < min)
                return fail(ErrorCode::invalid_input, "numbers out of order in {{}} quantifier");
        }
        if (peek() == '?') // lazy: the same language, and a search only asks whether it matches
            ++m_pos;
        if (!at_end() && quantifier_here())
            return fail(ErrorCode::invalid_input, "nothing to repeat");
        Node node;
        node.kind = K::repeat;
        node.min = static_cast<uint32_t>(min);
        node.max = static_cast<uint32_t>(max);
        node.children.push_back(std::move(atom));
        return node;
    }

    Expected<Node> parse_atom(int depth) {
        const char32_t c = peek();
        ++m_pos;
        Node node;
        switch (c) {
        case '(': return parse_group(depth);
        case '[': return parse_class();
        case '.': node.kind = Node::Kind::any; return node;
        case '^': node.kind = Node::Kind::text_begin; return node;
        case '$': node.kind = Node::Kind::text_end; return node;
        case '\\': return parse_escape();
        case '*':
        case '+':
        case '?': return fail(ErrorCode::invalid_input, "nothing to repeat");
        case '{':
            --m_pos;
            if (quantifier_braces_here())
                return fail(ErrorCode::invalid_input, "nothing to repeat");
            ++m_pos;
            break;
        default: break;
        }
        node.kind = Node::Kind::literal;
        node.cp = c;
        return node;
    }

    Expected<Node> parse_group(int depth) {
        if (peek() == '?') {
            const char32_t kind = peek(1);
            if (kind == '=' || kind == '!')
                return fail(ErrorCode::invalid_input, "lookahead is not supported");
            if (kind == '<' && (peek(2) == '=' || peek(2) == '!'))
                return fail(ErrorCode::invalid_input, "lookbehind is not supported");
            if (kind == ':') {
                m_pos += 2;
            } else if (kind == '<') {
                m_pos += 2;
                const size_t start = m_pos;
                while (!at_end() && (is_ascii_alnum(peek()) || peek() == '_' || peek() == '$'))
                    ++m_pos;
                if (m_pos == start || peek() != '>')
                    return fail(ErrorCode::invalid_input, "invalid group name");
                ++m_pos;
            } else {
                return fail(ErrorCode::invalid_input,
                            "inline flags and '(?' groups other than '(?:' and '(?<name>' are not "
                            "supported");
            }
        }
        auto inner = parse_alternation(depth + 1);
        if (!inner)
            return inner;
        if (at_end() || peek() != ')')
            return fail(ErrorCode::invalid_input, "missing ')'");
        ++m_pos;
        return inner;
    }

    // Reads the escape after a backslash that stands for one character (`\n`, `\x41`, `\.`);
    // `in_class` makes `\b` a backspace and `\-` a hyphen, as inside `[...]`.
    Expected<char32_t> parse_character_escape(char32_t c, bool in_class) {
        switch (c) {
        case 't': return U'\t';
        case 'n': return U'\n';
        case 'r': return U'\r';
        case 'f': return U'\f';
        case 'v': return U'\v';
        case '0':
            if (peek() >= '0' && peek() <= '9')
                return fail(ErrorCode::invalid_input, "octal escapes are not supported");
            return U'\0';
        case 'x': {
            if (!is_hex(peek()) || !is_hex(peek(1)))
                return fail(ErrorCode::invalid_input, "invalid escape '\\x'");
            const char32_t value = hex_value(peek()) * 16 + hex_value(peek(1));
            m_pos += 2;
            return value;
        }
        case 'u': return parse_unicode_escape();
        case 'c': {
            const char32_t letter = peek();
            if (!((letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z')))
                return fail(ErrorCode::invalid_input, "invalid escape '\\c'");
            ++m_pos;
            return letter % 32;
        }
        case 'k': return fail(ErrorCode::invalid_input, "named backreferences are not supported");
        case 'p':
        case 'P':
            return fail(ErrorCode::invalid_input, "Unicode property escapes are not supported");
        default: break;
        }
        if (in_class && c == 'b')
            return U'\b';
        if (c >= '1' && c <= '9')
            return fail(ErrorCode::invalid_input, "backreferences are not supported");
        if (is_ascii_alnum(c)) {
            return fail(ErrorCode::invalid_input, "unsupported escape '\\{}'",
                        static_cast<char>(c));
        }
        return c; // escaped punctuation or any other character stands for itself
    }

    Expected<char32_t> parse_unicode_escape() {
        uint32_t value = 0;
        if (peek() == '{') {
            size_t i = 1;
            while (is_hex(peek(i)) && value <= k_max_code_point) {
                value = value * 16 + hex_value(peek(i));
                ++i;
            }
            if (i == 1 || peek(i) != '}' || value > k_max_code_point)
                return fail(ErrorCode::invalid_input, "invalid escape '\\u'");
            m_pos += i + 1;
            return static_cast<char32_t>(value);
        }
        const auto four_hex = [&](size_t at) -> std::optional<uint32_t> {
            uint32_t v = 0;
            for (size_t i = 0; i < 4; ++i) {
                if (!is_hex(peek(at + i)))
                    return std::nullopt;
                v = v * 16 + hex_value(peek(at + i));
            }
            return v;
        };
        const auto high = four_hex(0);
        if (!high)
            return fail(ErrorCode::invalid_input, "invalid escape '\\u'");
        m_pos += 4;
        // A UTF-16 surrogate pair written as two escapes is one code point.
        if (*high >= 0xD800 && *high <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
            if (const auto low = four_hex(2); low && *low >= 0xDC00 && *low <= 0xDFFF) {
                m_pos += 6;
                return static_cast<char32_t>(0x10000 + ((*high - 0xD800) << 10) + (*low - 0xDC00));
            }
        }
        return static_cast<char32_t>(*high);
    }

    Expected<Node> parse_escape() {
        if (at_end())
            return fail(ErrorCode::invalid_input, "\\ at end of pattern");
        const char32_t c = peek();
        ++m_pos;
        Node node;
        if (auto ranges = class_escape(c)) {
            node.kind = Node::Kind::set;
            node.set = add_set(std::move(*ranges));
            return node;
        }
        if (c == 'b' || c == 'B') {
            node.kind = c == 'b' ? Node::Kind::word_boundary : Node::Kind::not_boundary;
            return node;
        }
        auto cp = LLMOPS_TRY(parse_character_escape(c, false));
        node.kind = Node::Kind::literal;
        node.cp = cp;
        return node;
    }

    // One member of a class: a character, or the ranges of \d, \w, \s and their negations.
    struct ClassAtom {
        std::optional<char32_t> character;
        Ranges ranges;
    };

    Expected<ClassAtom> parse_class_atom() {
        if (at_end())
            return fail(ErrorCode::invalid_input, "missing ']'");
        const char32_t c = peek();
        ++m_pos;
        if (c != '\\')
            return ClassAtom{c, {}};
        if (at_end())
            return fail(ErrorCode::invalid_input, "\\ at end of pattern");
        const char32_t e = peek();
        ++m_pos;
        if (auto ranges = class_escape(e))
            return ClassAtom{std::nullopt, std::move(*ranges)};
        if (e == '-')
            return ClassAtom{U'-', {}};
        if (e == 'B')
            return fail(ErrorCode::invalid_input, "unsupported escape '\\B' in a character class");
        auto cp = LLMOPS_TRY(parse_character_escape(e, true));
        return ClassAtom{cp, {}};
    }

    Expected<Node> parse_class() {
        const bool negated = peek() == '^';
        if (negated)
            ++m_pos;
        Ranges ranges;
        const auto add = [&](const ClassAtom& atom) {
            if (atom.character)
                ranges.emplace_back(*atom.character, *atom.character);
            ranges.insert(ranges.end(), atom.ranges.begin(), atom.ranges.end());
        };
        while (true) {
            if (at_end())
                return fail(ErrorCode::invalid_input, "missing ']'");
            if (peek() == ']') {
                ++m_pos;
                break;
            }
            auto first = LLMOPS_TRY(parse_class_atom());
            if (first.character && peek() == '-' && peek(1) != ']' &&
                m_pos + 1 < m_pattern.size()) {
                ++m_pos;
                auto last = LLMOPS_TRY(parse_class_atom());
                if (!last.character) { // [a-\d]: a literal hyphen, as Annex B reads it
                    add(first);
                    ranges.emplace_back(U'-', U'-');
                    add(last);
                    continue;
                }
                if (*last.character < *first.character)
                    return fail(ErrorCode::invalid_input, "range out of order in character class");
                ranges.emplace_back(*first.character, *last.character);
                continue;
            }
            add(first);
        }
        ranges = normalized(std::move(ranges));
        Node node;
        node.kind = Node::Kind::set;
        node.set = add_set(negated ? complement(ranges) : std::move(ranges));
        return node;
    }

    uint32_t add_set(Ranges ranges) {
        m_regex.m_sets.push_back(std::move(ranges));
        return static_cast<uint32_t>(m_regex.m_sets.size() - 1);
    }

    // ---- emitting ------------------------------------------------------------------------

    uint32_t here() const { return static_cast<uint32_t>(m_regex.m_program.size()); }

    Expected<void> push(Regex::Inst inst) {
        if (m_regex.m_program.size() >= k_max_program)
            return fail(ErrorCode::invalid_input, "the regular expression is too large");
        m_regex.m_program.push_back(inst);
        return {};
    }

    Expected<void> emit(const Node& node) {
        using K = Node::Kind;
        switch (node.kind) {
        case K::empty: return {};
        case K::literal: return push({Op::character, static_cast<uint32_t>(node.cp), 0});
        case K::any: return push({Op::any, 0, 0});
        case K::set: return push({Op::set, node.set, 0});
        case K::text_begin: return push({Op::text_begin, 0, 0});
        case K::text_end: return push({Op::text_end, 0, 0});
        case K::word_boundary: return push({Op::word_boundary, 0, 0});
        case K::not_boundary: return push({Op::not_boundary, 0, 0});
        case K::concat:
            for (const auto& child : node.children) {
                LLMOPS_TRY(emit(child));
            }
            return {};
        case K::alternation: return emit_alternation(node);
        case K::repeat: return emit_repeat(node);
        }
        return {};
    }

    Expected<void> emit_alternation(const Node& node) {
        std::vector<uint32_t> jumps;
        for (size_t i = 0; i + 1 < node.children.size(); ++i) {
            const uint32_t split = here();
            LLMOPS_TRY(push({Op::split, split + 1, 0}));
            LLMOPS_TRY(emit(node.children[i]));
            jumps.push_back(here());
            LLMOPS_TRY(push({Op::jump, 0, 0}));
            m_regex.m_program[split].b = here();
        }
        LLMOPS_TRY(emit(node.children.back()));
        for (const uint32_t jump : jumps)
            m_regex.m_program[jump].a = here();
        return {};
    }

    Expected<void> emit_repeat(const Node& node) {
        const Node& child = node.children.front();
        for (uint32_t i = 0; i < node.min; ++i) {
            LLMOPS_TRY(emit(child));
        }
        if (node.max == k_unbounded) {
            const uint32_t loop = here();
            LLMOPS_TRY(push({Op::split, loop + 1, 0}));
            LLMOPS_TRY(emit(child));
            LLMOPS_TRY(push({Op::jump, loop, 0}));
            m_regex.m_program[loop].b = here();
            return {};
        }
        std::vector<uint32_t> splits;
        for (uint32_t i = node.min; i < node.max; ++i) {
            splits.push_back(here());
            LLMOPS_TRY(push({Op::split, here() + 1, 0}));
            LLMOPS_TRY(emit(child));
        }
        for (const uint32_t split : splits)
            m_regex.m_program[split].b = here();
        return {};
    }

    std::u32string m_pattern;
    size_t m_pos = 0;
    Regex& m_regex;
};

Expected<Regex> Regex::compile(std::string_view pattern) {
    Regex regex;
    RegexCompiler compiler(pattern, regex);
    LLMOPS_TRY(compiler.run());
    return regex;
}

} // namespace llmops::eval::detail
