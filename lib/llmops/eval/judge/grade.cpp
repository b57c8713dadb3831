// Grading model-graded assertions from their judge replies (the third step of judge.hpp), and
// their validation: one checker for every model-graded type, reading the calls `plan` made.

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include <llmops/eval/assertions/checks.hpp>
#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/judge/verdict.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::detail {

namespace {

using json = nlohmann::json;
using judge::Call;
using judge::Planned;

constexpr size_t k_max_kept_reply = 16 * 1024;

// Default thresholds of the score types (documented in docs/judge.md).
constexpr double k_default_score_threshold = 0.7;  // g-eval, relevance and the RAG triad
constexpr double k_default_rubric_threshold = 0.5; // llm-rubric when the judge gives only a score
constexpr double k_default_similarity_threshold = 0.75; // similar (promptfoo's default)

struct Sample {
    bool error = false;
    std::string message; // the error, or the judge's reason
    std::optional<bool> pass;
    double score = 0;
    std::string category;  // factuality
    int choice = -1;       // select-best: the variant picked
    bool weighted = false; // g-eval: the score is the probability-weighted mean of 1-5
};

// G-Eval's score from token log-probabilities: at the token where the judge wrote its score
// (the first lone digit 1-5 after the text "score"), the mean of 1-5 weighted by the
// probabilities of those digits among the most likely alternatives. nullopt when there is no
// such token or no probability on 1-5.
std::optional<double> weighted_score(const std::string& logprobs_json) {
    const json content = json::parse(logprobs_json, nullptr, false);
    if (!content.is_array()) {
        return std::nullopt;
    }
    std::string text;
    const auto digit = [](const json& entry) -> int {
        if (!entry.is_object() || !entry.value("token", json()).is_string()) {
            return 0;
        }
        const std::string raw_token = entry["token"].get<std::string>();
        const std::string_view t = util::trim(raw_token);
        return t.size() == 1 && t[0] >= '1' && t[0] <= '5' ? t[0] - '0' : 0;
    };
    for (const auto& token : content) {
        if (!token.is_object() || !token.value("token", json()).is_string()) {
            return std::nullopt;
        }
        const bool after_score = text.rfind("score") != std::string::npos;
        if (after_score && digit(token) != 0) {
            double total = 0, weighted = 0;
            for (const auto& alt : token.value("top_logprobs", json::array())) {
                const int d = digit(alt);
                if (d != 0 && alt.value("logprob", json()).is_number()) {
                    const double p = std::exp(alt["logprob"].get<double>());
                    total += p;
                    weighted += p * d;
                }
            }
            if (total <= 0) {
                return std::nullopt;
            }
            return weighted / total;
        }
        text += token["token"].get<std::string>();
    }
    return std::nullopt;
}

std::string type_of(const AssertionSpec& spec) {
    return spec.type == "model-graded-factuality" ? "factuality" : spec.type;
}

Expected<double> unit_score(const judge::Verdict& v) {
    if (!v.score) {
        return fail(ErrorCode::provider, "judge verdict has no 'score'");
    }
    if (*v.score < 0 || *v.score > 1) {
        return fail(ErrorCode::provider, "judge score {} is outside 0-1", format_number(*v.score));
    }
    return *v.score;
}

// A factuality category from "A".."E", "(b)", or the relation's name.
std::optional<char> factuality_category(std::string text) {
    text = util::trim(text);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (text.size() >= 3 && text.front() == '(' && text[2] == ')') {
        text = text.substr(1, 1);
    }
    if (text.size() == 1 && text[0] >= 'a' && text[0] <= 'e') {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    }
    static const std::pair<const char*, char> names[] = {
        {"subset", 'A'},   {"superset", 'B'},  {"same", 'C'},    {"agree", 'C'},
        {"disagree", 'D'}, {"disagrees", 'D'}, {"differs", 'E'}, {"differbutfactual", 'E'}};
    for (const auto& [name, c] : names) {
        if (text == name) {
            return c;
        }
    }
    return std::nullopt;
}

// The score of a factuality category: promptfoo's config names (subset, superset, agree,
// disagree, differButFactual), defaults 1 except disagree 0.
double category_score(const AssertionSpec& spec, char category) {
    const char* key = category == 'A'   ? "subset"
                      : category == 'B' ? "superset"
                      : category == 'C' ? "agree"
                      : category == 'D' ? "disagree"
                                        : "differButFactual";
    auto it = spec.config.find(key);
    if (it != spec.config.end() && it->is_number()) {
        return it->get<double>();
    }
    return category == 'D' ? 0.0 : 1.0;
}

Sample read_sample(const AssertionSpec& spec, const Call& call) {
    Sample s;
    if (!call.reply) {
        s.error = true;
        s.message = "judge call failed: " + (call.error.empty() ? "no answer" : call.error);
        return s;
    }
    auto v = judge::parse_verdict(*call.reply);
    if (!v) {
        s.error = true;
        s.message = v.error().message();
        return s;
    }
    s.message = v->reason;
    const std::string type = type_of(spec);
    auto score_fail = [&](const Error& e) {
        s.error = true;
        s.message = e.message();
        return s;
    };
    if (type == "llm-rubric") {
        if (!v->pass && !v->score) {
            s.error = true;
            s.message = "judge verdict has neither 'pass' nor 'score'";
            return s;
        }
        if (v->score) {
            auto score = unit_score(*v);
            if (!score) {
                return score_fail(score.error());
            }
            s.score = *score;
        } else {
            s.score = *v->pass ? 1 : 0;
        }
        s.pass = v->pass.value_or(s.score >= k_default_rubric_threshold);
        if (spec.threshold) {
            s.pass = *s.pass && s.score + 1e-9 >= *spec.threshold;
        }
    } else if (type == "model-graded-closedqa") {
        if (!v->pass) {
            s.error = true;
            s.message = "judge verdict has no 'pass'";
            return s;
        }
        s.pass = v->pass;
        s.score = *v->pass ? 1 : 0;
    } else if (type == "factuality") {
        const auto category = factuality_category(v->category);
        if (!category) {
            s.error = true;
            s.message = v->category.empty() ? "judge verdict has no 'category'"
                                            : fmt::format("judge category {} is not one of A-E",
                                                          quote(v->category, 40));
            return s;
        }
        s.category = std::string(1, *category);
        s.score = category_score(spec, *category);
        s.pass = spec.threshold ? s.score + 1e-9 >= *spec.threshold : s.score > 0;
    } else if (type == "g-eval") {
        if (!v->score) {
            s.error = true;
            s.message = "judge verdict has no 'score'";
            return s;
        }
        if (*v->score < 1 || *v->score > 5) {
            s.error = true;
            s.message = fmt::format("judge score {} is outside 1-5", format_number(*v->score));
            return s;
        }
        double raw = *v->score;
        if (call.logprobs_json) {
            if (auto weighted = weighted_score(*call.logprobs_json)) {
                raw = *weighted;
                s.weighted = true;
            }
        }
        s.score = (raw - 1) / 4;
        s.pass = s.score + 1e-9 >= spec.threshold.value_or(k_default_score_threshold);
    } else if (type == "select-best") {
        const std::string& c = v->category;
        int index = -1;
        if (!c.empty() &&
            std::all_of(c.begin(), c.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
            c.size() < 4) {
            index = std::stoi(c);
        } else if (v->score && *v->score >= 0 && std::floor(*v->score) == *v->score) {
            index = static_cast<int>(*v->score);
        }
        if (index < 0 || index >= static_cast<int>(call.order.size())) {
            s.error = true;
            s.message = fmt::format("judge choice {} is not an output index (0-{})",
                                    c.empty() ? "missing" : quote(c, 20), call.order.size() - 1);
            return s;
        }
        s.choice = call.order[static_cast<size_t>(index)];
    } else { // the score types: answer-relevance and the RAG triad
        auto score = unit_score(*v);
        if (!score) {
            return score_fail(score.error());
        }
        s.score = *score;
        s.pass = s.score + 1e-9 >= spec.threshold.value_or(k_default_score_threshold);
    }
    return s;
}

json sample_json(const Call& call, const Sample& s) {
    json out = json::object();
    out["sample"] = call.sample;
    if (call.reply) {
        out["reply"] = call.reply->size() > k_max_kept_reply
                           ? call.reply->substr(0, k_max_kept_reply) + "...[cut]"
                           : *call.reply;
    }
    if (s.error) {
        out["error"] = s.message;
        return out;
    }
    if (s.choice >= 0) {
        out["order"] = call.order;
        out["choice"] = s.choice;
    } else {
        out["pass"] = s.pass.value_or(false);
        out["score"] = s.score;
    }
    if (!s.category.empty()) {
        out["category"] = s.category;
    }
    if (s.weighted) {
        out["weighted_by_logprobs"] = true;
    }
    if (call.cached) {
        out["cached"] = true;
    }
    return out;
}

Verdict grade_select_best(const AssertionSpec& spec, const Planned& planned,
                          std::vector<Sample>& samples, json& details) {
    // Calls come in pairs: the outputs in one order, then in the reverse order.
    double score = 0;
    int rounds = 0;
    int flips = 0;
    int wins = 0;
    for (size_t i = 0; i + 1 < samples.size(); i += 2) {
        const Sample& a = samples[i];
        const Sample& b = samples[i + 1];
        if (a.error || b.error) {
            return error_verdict(a.error ? a.message : b.message);
        }
        ++rounds;
        if (a.choice == b.choice) {
            if (a.choice == planned.self) {
                score += 1;
                ++wins;
            }
        } else {
            ++flips; // the verdict follows the position: a tie between the two picked
            if (a.choice == planned.self || b.choice == planned.self) {
                score += 0.5;
            }
        }
    }
    if (rounds == 0) {
        return error_verdict("'select-best' got no judge verdict");
    }
    score /= rounds;
    details["position_flips"] = flips;
    details["rounds"] = rounds;
    details["split"] = flips > 0 && flips < rounds;
    const bool pass = score > 0.5;
    std::string reason;
    if (flips == rounds) {
        reason = fmt::format("the judge's choice flipped with the order of the outputs ({} of {} "
                             "rounds): a tie, counted as position bias",
                             flips, rounds);
    } else {
        reason = fmt::format("chosen as best in {} of {} rounds{}", wins, rounds,
                             flips > 0 ? fmt::format(" ({} flipped with the order: ties)", flips)
                                       : std::string());
    }
    for (const auto& s : samples) {
        if (s.choice == planned.self && !s.message.empty()) {
            reason += ": " + s.message;
            break;
        }
    }
    (void)spec;
    return Verdict{pass, score, reason, false, false, {}, false};
}

std::optional<double> cosine(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size() || a.empty()) {
        return std::nullopt;
    }
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    if (na == 0 || nb == 0) {
        return 0.0;
    }
    return dot / (std::sqrt(na) * std::sqrt(nb));
}

// `similar`: the cosine similarity of the output's embedding with the closest reference's.
Verdict grade_similar(const AssertionSpec& spec, const Planned& planned,
                      const judge::Exchange& exchange) {
    json details = json::object();
    details["embedding"] =
        exchange.embedder_id.empty() ? exchange.provider_id : exchange.embedder_id;
    const auto with_details = [&](Verdict v) {
        v.details = details;
        return v;
    };
    if (!planned.error.empty()) {
        return with_details(error_verdict(planned.error));
    }
    if (planned.calls.size() != 1) {
        return with_details(error_verdict("'similar' was not asked"));
    }
    const Call& call = planned.calls.front();
    if (!call.error.empty() || (!call.reply && call.embeddings.empty())) {
        return with_details(error_verdict("embedding call failed: " +
                                          (call.error.empty() ? "no answer" : call.error)));
    }
    if (call.embeddings.size() != call.messages.size()) {
        return with_details(
            error_verdict(fmt::format("the embedding model returned {} vectors for {} texts",
                                      call.embeddings.size(), call.messages.size())));
    }
    double best = -1;
    size_t best_index = 0;
    json similarities = json::array();
    for (size_t i = 1; i < call.embeddings.size(); ++i) {
        auto c = cosine(call.embeddings[0], call.embeddings[i]);
        if (!c) {
            return with_details(error_verdict(
                fmt::format("the embedding model returned vectors of different lengths ({} and {})",
                            call.embeddings[0].size(), call.embeddings[i].size())));
        }
        similarities.push_back(*c);
        if (*c > best) {
            best = *c;
            best_index = i;
        }
    }
    details["similarities"] = similarities;
    const double threshold = spec.threshold.value_or(k_default_similarity_threshold);
    const bool pass = best + 1e-9 >= threshold;
    const double score = std::clamp(best, 0.0, 1.0);
    return with_details(
        Verdict{pass,
                score,
                fmt::format("cosine similarity {:.3f} {} the threshold {}{}", best,
                            pass ? "reaches" : "is below", format_number(threshold),
                            call.messages.size() > 2
                                ? fmt::format(" (closest: {})",
                                              quote(call.messages[best_index].content, 60))
                                : std::string()),
                false,
                false,
                {},
                false});
}

} // namespace

Verdict check_judged(const AssertionSpec& spec, const nlohmann::json&,
                     const AssertionContext& context) {
    if (context.judge == nullptr) {
        return error_verdict(fmt::format("'{}' needs a judge model (none was set up)", spec.type));
    }
    auto found = context.judge->planned.find(&spec);
    if (found == context.judge->planned.end()) {
        return error_verdict(fmt::format("'{}' was not judged", spec.type));
    }
    const Planned& planned = found->second;
    if (spec.type == "similar") {
        return grade_similar(spec, planned, *context.judge);
    }
    json details = json::object();
    details["judge"] = context.judge->provider_id;
    if (planned.prompt != nullptr) {
        details["prompt"] = planned.prompt->ref;
        details["version_id"] = planned.prompt->version_id;
    }
    if (!planned.error.empty()) {
        Verdict v = error_verdict(planned.error);
        v.details = std::move(details);
        return v;
    }
    std::vector<Sample> samples;
    json sample_list = json::array();
    for (const auto& call : planned.calls) {
        samples.push_back(read_sample(spec, call));
        sample_list.push_back(sample_json(call, samples.back()));
    }
    details["samples"] = std::move(sample_list);
    Verdict verdict;
    if (spec.type == "select-best") {
        verdict = grade_select_best(spec, planned, samples, details);
    } else {
        const Sample* first_error = nullptr;
        int passes = 0;
        double total = 0;
        double low = 1, high = 0;
        for (const auto& s : samples) {
            if (s.error) {
                first_error = first_error ? first_error : &s;
                continue;
            }
            passes += s.pass.value_or(false) ? 1 : 0;
            total += s.score;
            low = std::min(low, s.score);
            high = std::max(high, s.score);
        }
        if (first_error != nullptr || samples.empty()) {
            // One unusable verdict among the samples makes the assertion an error: a majority of
            // the remaining ones would hide a judge that fails half the time.
            verdict = error_verdict(samples.empty() ? "no judge verdict" : first_error->message);
        } else {
            const int n = static_cast<int>(samples.size());
            const double mean = total / n;
            const std::string type = type_of(spec);
            const bool score_type =
                type != "model-graded-closedqa" && type != "factuality" && type != "llm-rubric";
            // Scores are averaged and the threshold applied to the mean; pass/fail verdicts go
            // by majority (a tie fails).
            const bool pass =
                score_type ? mean + 1e-9 >= spec.threshold.value_or(k_default_score_threshold)
                           : 2 * passes > n;
            details["split"] = passes != 0 && passes != n;
            if (n > 1) {
                details["agreement"] = static_cast<double>(std::max(passes, n - passes)) / n;
                details["score_spread"] = high - low;
            }
            std::string what;
            if (type == "factuality") {
                what = fmt::format("category {}", samples.front().category);
            } else if (score_type || spec.threshold) {
                what = fmt::format("score {:.2f}{}", mean,
                                   score_type || spec.threshold
                                       ? fmt::format(" {} the threshold {}",
                                                     pass ? "reaches" : "is below",
                                                     format_number(spec.threshold.value_or(
                                                         score_type ? k_default_score_threshold
                                                                    : k_default_rubric_threshold)))
                                       : std::string());
            } else {
                what = pass ? "pass" : "fail";
            }
            if (n > 1) {
                what += fmt::format(" ({} of {} samples passed)", passes, n);
            }
            std::string reason;
            for (const auto& s : samples) {
                if (s.pass.value_or(false) == pass && !s.message.empty()) {
                    reason = s.message;
                    break;
                }
            }
            verdict = Verdict{
                pass, mean, "judge: " + what + (reason.empty() ? "" : ": " + reason), false, false,
                {},   false};
        }
    }
    verdict.details = std::move(details);
    return verdict;
}

Expected<void> validate_judged(AssertionSpec& spec, const std::filesystem::path&) {
    const std::string type = type_of(spec);
    if (type == "similar") {
        const bool ok = (spec.value.is_string() && !spec.value.get<std::string>().empty()) ||
                        (spec.value.is_array() && !spec.value.empty() &&
                         std::all_of(spec.value.begin(), spec.value.end(),
                                     [](const json& v) { return v.is_string(); }));
        if (!ok) {
            return fail(ErrorCode::invalid_input,
                        "'similar' needs a 'value': the expected text, or a list of them");
        }
        if (!spec.config.empty()) {
            return fail(ErrorCode::invalid_input, "'similar' takes no 'config' (set the embedding "
                                                  "model with judge.embedding)");
        }
        if (spec.threshold && *spec.threshold > 1) {
            return fail(ErrorCode::invalid_input, "'similar' takes a 'threshold' from 0 to 1");
        }
        return {};
    }
    const bool needs_value =
        type != "answer-relevance" && type != "context-faithfulness" && type != "context-relevance";
    if (needs_value && !(spec.value.is_string() && !spec.value.get<std::string>().empty()) &&
        !(type == "llm-rubric" && (spec.value.is_object() || spec.value.is_null()))) {
        const char* what = type == "llm-rubric"              ? "the rubric"
                           : type == "g-eval"                ? "the criteria"
                           : type == "factuality"            ? "the reference answer"
                           : type == "model-graded-closedqa" ? "the criterion"
                           : type == "context-recall"        ? "the reference answer"
                                                             : "the criteria";
        return fail(ErrorCode::invalid_input, "'{}' needs a string 'value': {}", spec.type, what);
    }
    if (!needs_value && !spec.value.is_null()) {
        return fail(ErrorCode::invalid_input, "'{}' takes no 'value'", spec.type);
    }
    std::vector<std::string> keys = {"prompt", "samples"};
    if (type == "g-eval") {
        keys.push_back("steps");
        keys.push_back("logprobs");
        if (auto lp = spec.config.find("logprobs"); lp != spec.config.end() && !lp->is_boolean()) {
            return fail(ErrorCode::invalid_input, "'config.logprobs' must be true or false");
        }
    }
    if (type == "factuality") {
        for (const char* k : {"subset", "superset", "agree", "disagree", "differButFactual"}) {
            keys.emplace_back(k);
        }
    }
    if (type.starts_with("context-"))
        keys.push_back("context_var");
    if (type.starts_with("context-") || type == "answer-relevance")
        keys.push_back("query_var");
    for (const auto& [key, value] : spec.config.items()) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            return fail(ErrorCode::invalid_input, "unknown key 'config.{}' for '{}'{}", key,
                        spec.type, util::did_you_mean(key, keys));
        }
        if ((key == "prompt" || key == "context_var" || key == "query_var") && !value.is_string()) {
            return fail(ErrorCode::invalid_input, "'config.{}' must be a string", key);
        }
        if (key == "samples" &&
            (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 25)) {
            return fail(ErrorCode::invalid_input,
                        "'config.samples' must be a whole number from 1 to 25");
        }
        if (key == "steps" && (!value.is_array() || value.empty() ||
                               !std::all_of(value.begin(), value.end(),
                                            [](const json& s) { return s.is_string(); }))) {
            return fail(ErrorCode::invalid_input, "'config.steps' must be a list of strings");
        }
        if (type == "factuality" && key != "prompt" && key != "samples" &&
            (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1)) {
            return fail(ErrorCode::invalid_input, "'config.{}' must be a score from 0 to 1", key);
        }
    }
    if (spec.threshold && *spec.threshold > 1) {
        return fail(ErrorCode::invalid_input, "'{}' takes a 'threshold' from 0 to 1", spec.type);
    }
    return {};
}

} // namespace llmops::eval::detail
