// Running a compiled regex (regex.hpp): the Pike VM's search, and the per-thread cache of
// compiled patterns. Compiling is in regex_compile.cpp.

#include <llmops/eval/assertions/regex.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/assertions/regex_classes.hpp>

namespace llmops::eval::detail {

namespace {

// The threads of one step of the Pike VM: program counters, each at most once.
struct ThreadList {
    std::vector<uint32_t> pcs;
    std::vector<uint32_t> mark; // mark[pc] == generation: pc is already in the list
    uint32_t generation = 1;

    explicit ThreadList(size_t program_size) : mark(program_size, 0) {}
    void clear() {
        pcs.clear();
        ++generation;
    }
};

// Follows the empty transitions of `program` from `start` at position `i` of `text`, adding the
// threads that wait for a character to `list`; true as soon as one reaches the match. `stack` is
// scratch space, kept by the caller so the search allocates once.
bool add_thread(const std::vector<Regex::Inst>& program, const std::u32string& text,
                ThreadList& list, std::vector<uint32_t>& stack, uint32_t start, size_t i) {
    using Inst = Regex::Inst;
    const size_t n = text.size();
    stack.push_back(start);
    while (!stack.empty()) {
        const uint32_t pc = stack.back();
        stack.pop_back();
        if (list.mark[pc] == list.generation)
            continue;
        list.mark[pc] = list.generation;
        const Inst& inst = program[pc];
        const bool word_before = i > 0 && is_word(text[i - 1]);
        const bool word_after = i < n && is_word(text[i]);
        switch (inst.op) {
        case Inst::Op::jump: stack.push_back(inst.a); break;
        case Inst::Op::split:
            stack.push_back(inst.b);
            stack.push_back(inst.a);
            break;
        case Inst::Op::text_begin:
            if (i == 0)
                stack.push_back(pc + 1);
            break;
        case Inst::Op::text_end:
            if (i == n)
                stack.push_back(pc + 1);
            break;
        case Inst::Op::word_boundary:
            if (word_before != word_after)
                stack.push_back(pc + 1);
            break;
        case Inst::Op::not_boundary:
            if (word_before == word_after)
                stack.push_back(pc + 1);
            break;
        case Inst::Op::match: stack.clear(); return true;
        default: list.pcs.push_back(pc); break;
        }
    }
    return false;
}

} // namespace

bool Regex::search(std::string_view text_utf8) const {
    const std::u32string text = decode_utf8(text_utf8);
    const size_t n = text.size();
    ThreadList current(m_program.size());
    ThreadList next(m_program.size());
    std::vector<uint32_t> stack;
    const auto add = [&](ThreadList& list, uint32_t start, size_t i) {
        return add_thread(m_program, text, list, stack, start, i);
    };

    for (size_t i = 0;; ++i) {
        if (add(current, 0, i)) // a match may start at every position
            return true;
        if (i == n)
            return false;
        next.clear();
        const char32_t c = text[i];
        for (const uint32_t pc : current.pcs) {
            const Inst& inst = m_program[pc];
            const bool step = (inst.op == Inst::Op::character && c == inst.a) ||
                              (inst.op == Inst::Op::any && !is_line_terminator(c)) ||
                              (inst.op == Inst::Op::set && in_ranges(m_sets[inst.a], c));
            if (step && add(next, pc + 1, i + 1))
                return true;
        }
        std::swap(current, next);
    }
}

const Expected<Regex>& Regex::compile_cached(std::string_view pattern) {
    // Bounded: a dataset with a pattern per case must not grow memory with the cases.
    constexpr size_t k_max_patterns = 64;
    thread_local std::unordered_map<std::string, Expected<Regex>> cache;
    if (auto it = cache.find(std::string(pattern)); it != cache.end()) {
        return it->second;
    }
    if (cache.size() >= k_max_patterns) {
        cache.clear();
    }
    return cache.emplace(std::string(pattern), compile(pattern)).first->second;
}

} // namespace llmops::eval::detail
