// Similarity assertions: levenshtein (edit distance at most `threshold`, default 5), rouge-n
// (ROUGE-N recall at least `threshold`, default 0.75) and bleu (BLEU-4 at least `threshold`,
// default 0.5), with promptfoo's defaults and formulas.

#include <llmops/eval/assertions/checks.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include <llmops/eval/assertions/common.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::detail {

namespace {

constexpr double k_levenshtein_default = 5;
constexpr double k_rouge_default = 0.75;
constexpr double k_bleu_default = 0.5;
// Past this many cells (5000 x 5000 characters), edit distances are computed in a band.
constexpr size_t k_full_table_cells = 25'000'000;

// Edit distance between `a` and `b` in code points (promptfoo measures JavaScript characters,
// which differ only outside the Basic Multilingual Plane). Past `limit`, returns limit + 1
// without finishing: inputs too long for the full table are compared in a band of that width.
size_t edit_distance(const std::u32string& a, const std::u32string& b, size_t limit) {
    const size_t n = a.size();
    const size_t m = b.size();
    const size_t diff = n > m ? n - m : m - n;
    const bool banded = n * m > k_full_table_cells;
    if (banded && diff > limit)
        return limit + 1;
    const size_t big = std::max(n, m) + 1;
    std::vector<size_t> row(m + 1);
    for (size_t j = 0; j <= m; ++j)
        row[j] = j;
    for (size_t i = 1; i <= n; ++i) {
        const size_t lo = banded ? (i > limit ? i - limit : 1) : 1;
        const size_t hi = banded ? std::min(m, i + limit) : m;
        size_t diagonal = row[lo - 1];
        row[lo - 1] = (lo == 1) ? i : big;
        size_t best = row[lo - 1];
        for (size_t j = lo; j <= hi; ++j) {
            const size_t above = row[j];
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
            best = std::min(best, row[j]);
        }
        if (banded && hi < m)
            row[hi + 1] = big;
        if (banded && best > limit)
            return limit + 1;
    }
    return banded ? std::min(row[m], limit + 1) : row[m];
}

// Words and punctuation marks, as a simplified Penn Treebank tokenizer splits them (js-rouge,
// which promptfoo uses, runs the full one; scores differ only around contractions and quotes).
std::vector<std::string> rouge_tokens(std::string_view text) {
    std::vector<std::string> tokens;
    std::string word;
    const auto flush = [&] {
        if (!word.empty())
            tokens.push_back(std::move(word));
        word.clear();
    };
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || u >= 0x80) {
            word += c;
        } else {
            flush();
            if (!std::isspace(u))
                tokens.emplace_back(1, c);
        }
    }
    flush();
    return tokens;
}

std::map<std::string, size_t> ngram_counts(const std::vector<std::string>& tokens, size_t n) {
    std::map<std::string, size_t> counts;
    for (size_t i = 0; i + n <= tokens.size(); ++i) {
        std::string gram = tokens[i];
        for (size_t k = 1; k < n; ++k)
            gram += ' ' + tokens[i + k];
        ++counts[gram];
    }
    return counts;
}

std::vector<std::string> split_white_space(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!word.empty())
                words.push_back(std::move(word));
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

// promptfoo's BLEU: lower-cased words split at white space, clipped 1- to 4-gram precisions
// (the best over the references), zero precisions smoothed to 1e-7, equal weights, and the
// brevity penalty against the reference closest in length.
double bleu_score(std::string_view candidate, const std::vector<std::string>& references) {
    const auto words = split_white_space(fold_case(candidate));
    if (words.empty())
        return 0;
    std::vector<std::vector<std::string>> refs;
    for (const auto& reference : references)
        refs.push_back(split_white_space(fold_case(reference)));
    size_t closest = refs.front().size();
    for (const auto& ref : refs) {
        const auto distance = [&](size_t len) {
            return std::abs(double(len) - double(words.size()));
        };
        if (distance(ref.size()) < distance(closest))
            closest = ref.size();
    }
    double log_sum = 0;
    for (size_t n = 1; n <= 4; ++n) {
        const auto candidate_grams = ngram_counts(words, n);
        const size_t total = words.size() >= n ? words.size() - n + 1 : 0;
        size_t best_clipped = 0;
        for (const auto& ref : refs) {
            const auto ref_grams = ngram_counts(ref, n);
            size_t clipped = 0;
            for (const auto& [gram, count] : candidate_grams) {
                auto it = ref_grams.find(gram);
                clipped += it == ref_grams.end() ? 0 : std::min(count, it->second);
            }
            best_clipped = std::max(best_clipped, clipped);
        }
        const double precision = total > 0 ? double(best_clipped) / double(total) : 0;
        log_sum += 0.25 * std::log(precision == 0 ? 1e-7 : precision);
    }
    const double length = double(words.size());
    const double penalty = length > double(closest) ? 1 : std::exp(1 - double(closest) / length);
    return penalty * std::exp(log_sum);
}

} // namespace

Expected<void> validate_levenshtein(AssertionSpec& spec, const std::filesystem::path&) {
    if (!spec.value.is_string())
        return fail(ErrorCode::invalid_input, "{}", needs_string_value(spec));
    return {};
}

Expected<void> validate_rouge_n(AssertionSpec& spec, const std::filesystem::path&) {
    if (!spec.value.is_string() || util::trim(spec.value.get<std::string>()).empty())
        return fail(ErrorCode::invalid_input, "{}", needs_string_value(spec));
    if (auto n = spec.config.find("n"); n != spec.config.end()) {
        if (!n->is_number_integer() || n->get<int64_t>() < 1 || n->get<int64_t>() > 4)
            return fail(ErrorCode::invalid_input, "'{}' config 'n' must be 1, 2, 3 or 4",
                        written_type(spec));
    }
    return {};
}

Expected<void> validate_bleu(AssertionSpec& spec, const std::filesystem::path&) {
    bool valid = spec.value.is_string();
    if (spec.value.is_array() && !spec.value.empty()) {
        valid = true;
        for (const auto& item : spec.value)
            valid = valid && item.is_string();
    }
    if (!valid)
        return fail(ErrorCode::invalid_input, "'{}' needs a 'value': a string or a list of strings",
                    written_type(spec));
    return {};
}

Verdict check_levenshtein(const AssertionSpec& spec, const nlohmann::json& value,
                          const AssertionContext& context) {
    const double threshold = spec.threshold.value_or(k_levenshtein_default);
    const auto limit = static_cast<size_t>(std::floor(threshold));
    const auto output = decode_utf8(context.output);
    const auto expected = decode_utf8(value.get<std::string>());
    const size_t distance = edit_distance(output, expected, limit);
    const bool pass = double(distance) <= threshold;
    // In a band, counting stops past the limit: the distance is only known to be above it.
    const bool inexact = output.size() * expected.size() > k_full_table_cells && distance > limit;
    return verdict(pass,
                   fmt::format("edit distance {}{} to {} (at most {} allowed)",
                               inexact ? "more than " : "", inexact ? limit : distance,
                               quote(value.get<std::string>(), 60), format_number(threshold)));
}

Verdict check_rouge_n(const AssertionSpec& spec, const nlohmann::json& value,
                      const AssertionContext& context) {
    const double threshold = spec.threshold.value_or(k_rouge_default);
    const auto config_n = spec.config.find("n");
    const size_t n = config_n == spec.config.end() ? 1 : config_n->get<size_t>();
    const auto reference = ngram_counts(rouge_tokens(value.get<std::string>()), n);
    size_t total = 0;
    for (const auto& [gram, count] : reference)
        total += count;
    if (total == 0)
        return error_verdict(fmt::format("the expected text has fewer than {} words", n));
    const auto candidate = ngram_counts(rouge_tokens(context.output), n);
    size_t overlap = 0;
    for (const auto& [gram, count] : reference) {
        auto it = candidate.find(gram);
        overlap += it == candidate.end() ? 0 : std::min(count, it->second);
    }
    Verdict v;
    v.score = double(overlap) / double(total);
    v.pass = v.score >= threshold;
    v.reason = fmt::format("ROUGE-{} {} against the expected text (threshold {})", n,
                           fmt::format("{:.2f}", v.score), format_number(threshold));
    return v;
}

Verdict check_bleu(const AssertionSpec& spec, const nlohmann::json& value,
                   const AssertionContext& context) {
    const double threshold = spec.threshold.value_or(k_bleu_default);
    std::vector<std::string> references;
    if (value.is_string())
        references.push_back(value.get<std::string>());
    else
        for (const auto& item : value)
            references.push_back(item.get<std::string>());
    Verdict v;
    v.score = bleu_score(context.output, references);
    v.pass = v.score >= threshold;
    v.reason = fmt::format("BLEU {:.2f} against {} (threshold {})", v.score,
                           references.size() == 1 ? std::string("the expected text")
                                                  : fmt::format("{} references", references.size()),
                           format_number(threshold));
    return v;
}

} // namespace llmops::eval::detail
