#include <llmops/eval/judge/verdict.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/json.hpp>

namespace llmops::eval::judge {

namespace {

using nlohmann::json;

// At most `max` bytes of `s` on one line, for messages.
std::string excerpt(std::string_view s, size_t max = 120) {
    std::string out;
    for (char c : s.substr(0, max)) {
        out += c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    }
    if (s.size() > max) {
        out += "...";
    }
    return "'" + out + "'";
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Removes <think>...</think> (and <thinking>, <reasoning>) blocks; an unclosed block at the start
// (a reply cut off inside its reasoning) leaves nothing.
std::string without_reasoning(std::string_view reply) {
    std::string text(reply);
    for (std::string_view tag : {"think", "thinking", "reasoning"}) {
        const std::string open = "<" + std::string(tag) + ">";
        const std::string close = "</" + std::string(tag) + ">";
        for (;;) {
            const std::string low = lower(text);
            const size_t start = low.find(open);
            if (start == std::string::npos) {
                break;
            }
            const size_t end = low.find(close, start);
            text.erase(start,
                       end == std::string::npos ? std::string::npos : end + close.size() - start);
        }
    }
    return text;
}

// Candidate JSON texts: ```json fenced blocks first, then balanced {...} spans from the last.
std::vector<std::string_view> candidates(std::string_view text) {
    std::vector<std::string_view> out;
    for (size_t at = 0; (at = text.find("```", at)) != std::string_view::npos;) {
        size_t body = text.find('\n', at);
        if (body == std::string_view::npos) {
            break;
        }
        const size_t end = text.find("```", body);
        if (end == std::string_view::npos) {
            break;
        }
        out.push_back(text.substr(body + 1, end - body - 1));
        at = end + 3;
    }
    // Balanced braces, skipping braces inside JSON strings.
    std::vector<std::string_view> spans;
    for (size_t start = 0; start < text.size(); ++start) {
        if (text[start] != '{') {
            continue;
        }
        int depth = 0;
        bool in_string = false;
        for (size_t i = start; i < text.size(); ++i) {
            const char c = text[i];
            if (in_string) {
                if (c == '\\') {
                    ++i;
                } else if (c == '"') {
                    in_string = false;
                }
                continue;
            }
            if (c == '"') {
                in_string = true;
            } else if (c == '{') {
                ++depth;
            } else if (c == '}' && --depth == 0) {
                spans.push_back(text.substr(start, i - start + 1));
                start = i; // the next candidate starts after this object
                break;
            }
        }
    }
    out.insert(out.end(), spans.rbegin(), spans.rend());
    return out;
}

const json* member(const json& object, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        // Keys are matched without regard to case ("Pass", "SCORE").
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (lower(it.key()) == name) {
                return &*it;
            }
        }
    }
    return nullptr;
}

Expected<std::optional<bool>> read_pass(const json* v) {
    if (v == nullptr || v->is_null()) {
        return std::optional<bool>();
    }
    if (v->is_boolean()) {
        return std::optional(v->get<bool>());
    }
    if (v->is_string()) {
        const std::string s = lower(v->get<std::string>());
        if (s == "true" || s == "yes" || s == "pass" || s == "passed")
            return std::optional(true);
        if (s == "false" || s == "no" || s == "fail" || s == "failed")
            return std::optional(false);
    }
    if (v->is_number_integer() && (v->get<int64_t>() == 0 || v->get<int64_t>() == 1)) {
        return std::optional(v->get<int64_t>() == 1);
    }
    return fail(ErrorCode::provider, "judge verdict: 'pass' is not true or false: {}",
                excerpt(v->dump()));
}

Expected<std::optional<double>> read_score(const json* v) {
    if (v == nullptr || v->is_null()) {
        return std::optional<double>();
    }
    if (v->is_number() && std::isfinite(v->get<double>())) {
        return std::optional(v->get<double>());
    }
    if (v->is_string()) {
        const std::string s = v->get<std::string>();
        double d = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(d)) {
            return std::optional(d);
        }
    }
    return fail(ErrorCode::provider, "judge verdict: 'score' is not a number: {}",
                excerpt(v->dump()));
}

} // namespace

Expected<Verdict> parse_verdict(std::string_view reply) {
    const std::string text = without_reasoning(reply);
    std::optional<Error> first_error;
    for (std::string_view candidate : candidates(text)) {
        // Bounded: a value read from a reply is dumped into messages below.
        const json doc = util::parse_json_or_discarded(candidate);
        if (doc.is_discarded() || !doc.is_object()) {
            continue;
        }
        const json* pass = member(doc, {"pass", "passed", "verdict"});
        const json* score = member(doc, {"score", "rating"});
        const json* category = member(doc, {"category", "choice", "answer"});
        if (pass == nullptr && score == nullptr && category == nullptr) {
            continue;
        }
        Verdict v;
        auto p = read_pass(pass);
        auto s = read_score(score);
        if (!p || !s) {
            if (!first_error)
                first_error = p ? s.error() : p.error();
            continue;
        }
        v.pass = *p;
        v.score = *s;
        if (category != nullptr) {
            v.category = category->is_string() ? category->get<std::string>() : category->dump();
        }
        if (const json* reason = member(doc, {"reason", "reasoning", "explanation"});
            reason && reason->is_string()) {
            v.reason = reason->get<std::string>();
        }
        return v;
    }
    if (first_error) {
        return fail(*first_error);
    }
    return fail(ErrorCode::provider, "judge reply has no JSON verdict: {}", excerpt(reply));
}

} // namespace llmops::eval::judge
