#include <llmops/online/drift.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/assertions/checks.hpp>
#include <llmops/provider/engine.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/stats/bootstrap.hpp>
#include <llmops/stats/drift.hpp>
#include <llmops/stats/proportion.hpp>
#include <llmops/store/call_scan.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::online {

namespace {

// Distinct tokens counted per window and side; past it, new tokens count as "other", so memory
// stays bounded however varied the texts (docs/drift.md).
constexpr std::size_t k_max_distinct_tokens = 100000;
// Texts sent to the embedder per call.
constexpr std::size_t k_embed_batch = 100;
constexpr const char* k_other = "\x01other";
// Bytes of a text sent to the embedder: longer texts are cut (at a character), so one huge input
// neither holds memory in the sample nor exceeds an embedding model's context.
constexpr std::size_t k_max_embedded_bytes = 8000;

// `text` cut to at most `limit` bytes, at the start of a UTF-8 character.
std::string_view cut_utf8(std::string_view text, std::size_t limit) {
    if (text.size() <= limit)
        return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end);
}

// Code points of `text` (UTF-8: bytes that do not continue a sequence).
double characters(std::string_view text) {
    return static_cast<double>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// A uniform sample of at most `size` texts (Vitter's algorithm R), seeded.
class Reservoir {
public:
    Reservoir(std::size_t size, std::uint64_t seed) : m_size(size), m_rng(seed) {}
    void add(std::string_view text) {
        ++m_seen;
        if (m_texts.size() < m_size) {
            m_texts.emplace_back(cut_utf8(text, k_max_embedded_bytes));
            return;
        }
        const std::uint64_t j = m_rng.below(m_seen);
        if (j < m_size)
            m_texts[j] = cut_utf8(text, k_max_embedded_bytes);
    }
    const std::vector<std::string>& texts() const { return m_texts; }

private:
    std::size_t m_size;
    stats::Xoshiro256 m_rng;
    std::uint64_t m_seen = 0;
    std::vector<std::string> m_texts;
};

// Token counts, capped at k_max_distinct_tokens distinct ones.
struct TokenCounts {
    std::unordered_map<std::string, double> counts;
    void add(std::string_view text) {
        for (auto& token : drift_tokens(text)) {
            auto it = counts.find(token);
            if (it != counts.end())
                it->second += 1;
            else if (counts.size() < k_max_distinct_tokens)
                counts.emplace(std::move(token), 1.0);
            else
                counts[k_other] += 1;
        }
    }
};

// What one window holds of one side (input or output).
struct SideSample {
    std::vector<double> lengths;
    std::vector<double> tokens; // reported token counts
    TokenCounts words;
    Reservoir texts;
};

struct WindowSample {
    std::size_t calls = 0;
    std::size_t outputs = 0;
    std::size_t refusals = 0;
    SideSample input;
    SideSample output;
    store::OnlineOutcomes outcomes;
};

bool is_refusal(std::string_view output) {
    const eval::AssertionSpec spec;
    eval::AssertionContext context;
    context.output = output;
    return eval::detail::check_is_refusal(spec, nlohmann::json(), context).pass;
}

Expected<WindowSample> scan_window(store::Database& db, const DriftOptions& options,
                                   const TimeWindow& window, std::uint64_t seed) {
    store::CallFilter filter{options.prompt,       options.version,      options.model,
                             window.since_unix_ns, window.until_unix_ns, 0};
    WindowSample w{0,
                   0,
                   0,
                   SideSample{{}, {}, {}, Reservoir(options.embed_sample, seed)},
                   SideSample{{}, {}, {}, Reservoir(options.embed_sample, seed + 1)},
                   {}};
    LLMOPS_TRY(store::scan_call_texts(db, filter, [&](const store::CallText& call) {
        ++w.calls;
        const std::string input = input_text(call.vars, call.messages);
        w.input.lengths.push_back(characters(input));
        if (call.input_tokens)
            w.input.tokens.push_back(static_cast<double>(*call.input_tokens));
        w.input.words.add(input);
        w.input.texts.add(input);
        if (!call.output)
            return; // a failed call: no output to measure
        ++w.outputs;
        w.refusals += is_refusal(*call.output) ? 1 : 0;
        w.output.lengths.push_back(characters(*call.output));
        if (call.output_tokens)
            w.output.tokens.push_back(static_cast<double>(*call.output_tokens));
        w.output.words.add(*call.output);
        w.output.texts.add(*call.output);
    }));
    w.outcomes = LLMOPS_TRY(store::count_online_outcomes(db, filter));
    return w;
}

DriftRow make_row(const std::string& feature, std::string statistic, std::string summary) {
    DriftRow row;
    row.feature = feature;
    row.statistic = std::move(statistic);
    row.summary = std::move(summary);
    return row;
}

std::string threshold_text(std::string_view what, double value) {
    return fmt::format("{} {:g}", what, value);
}

// The PSI and KS rows of one numeric feature.
void add_numeric_rows(std::vector<DriftRow>& rows, const std::string& feature,
                      const std::vector<double>& reference, const std::vector<double>& current,
                      const DriftThresholds& t, std::string_view missing) {
    DriftRow psi = make_row(feature, "psi", "median");
    psi.threshold = threshold_text("psi >", t.max_psi);
    DriftRow ks = make_row(feature, "ks", "median");
    ks.threshold = threshold_text("p <", t.ks_alpha);
    if (reference.empty() || current.empty()) {
        psi.note = ks.note = std::string(missing);
        rows.push_back(std::move(psi));
        rows.push_back(std::move(ks));
        return;
    }
    psi.reference = ks.reference = stats::percentile(reference, 50);
    psi.current = ks.current = stats::percentile(current, 50);
    psi.value = stats::population_stability_index(reference, current);
    psi.status = *psi.value > t.max_psi ? DriftStatus::alarm : DriftStatus::ok;
    const auto test = stats::ks_two_sample(reference, current);
    ks.value = test->statistic;
    ks.p_value = test->p_value;
    ks.status = test->p_value < t.ks_alpha ? DriftStatus::alarm : DriftStatus::ok;
    rows.push_back(std::move(psi));
    rows.push_back(std::move(ks));
}

// The Jensen-Shannon row of one side's tokens: the reference's `vocabulary` most frequent tokens
// (ties by the token), every other token of either window counted as one "other" category.
DriftRow words_row(const std::string& feature, const TokenCounts& reference,
                   const TokenCounts& current, const DriftOptions& options) {
    DriftRow row = make_row(feature, "js", "distinct");
    row.threshold = threshold_text("js >", options.thresholds.max_js);
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [token, count] : reference.counts)
        if (token != k_other)
            ranked.emplace_back(-count, token);
    const std::size_t keep = std::min(options.vocabulary, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep),
                      ranked.end());
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < keep; ++i)
        index.emplace(ranked[i].second, i);
    const auto histogram = [&](const TokenCounts& counts) {
        std::vector<double> h(keep + 1, 0.0);
        for (const auto& [token, count] : counts.counts) {
            auto it = index.find(token);
            h[it == index.end() ? keep : it->second] += count;
        }
        return h;
    };
    row.reference = static_cast<double>(reference.counts.size());
    row.current = static_cast<double>(current.counts.size());
    row.value = stats::jensen_shannon_distance(histogram(reference), histogram(current));
    if (!row.value) {
        row.note = "no words";
        return row;
    }
    row.status = *row.value > options.thresholds.max_js ? DriftStatus::alarm : DriftStatus::ok;
    return row;
}

Expected<std::vector<std::vector<double>>> embed_all(const Embedder& embedder,
                                                     const std::vector<std::string>& texts) {
    std::vector<std::vector<double>> out;
    for (std::size_t i = 0; i < texts.size(); i += k_embed_batch) {
        std::vector<std::string> batch(
            texts.begin() + static_cast<std::ptrdiff_t>(i),
            texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), i + k_embed_batch)));
        auto vectors = LLMOPS_TRY(embedder(batch));
        if (vectors.size() != batch.size())
            return fail(ErrorCode::provider, "the embedding model returned {} vectors for {} texts",
                        vectors.size(), batch.size());
        for (auto& v : vectors)
            out.push_back(std::move(v));
    }
    return out;
}

Expected<DriftRow> embedding_row(const std::string& feature, const Reservoir& reference,
                                 const Reservoir& current, const DriftOptions& options) {
    DriftRow row = make_row(feature, "embedding", "n");
    row.threshold = threshold_text("p <", options.thresholds.embedding_alpha);
    if (options.embedder == nullptr) {
        row.note = "not configured";
        return row;
    }
    row.reference = static_cast<double>(reference.texts().size());
    row.current = static_cast<double>(current.texts().size());
    const auto a = LLMOPS_TRY(embed_all(*options.embedder, reference.texts()));
    const auto b = LLMOPS_TRY(embed_all(*options.embedder, current.texts()));
    const auto shift = stats::embedding_shift(a, b, options.permutations, options.seed);
    if (!shift) {
        row.note = a.empty() || b.empty() ? "no texts" : "vectors of different lengths";
        return row;
    }
    row.value = shift->distance;
    row.p_value = shift->p_value;
    row.status =
        shift->p_value < options.thresholds.embedding_alpha ? DriftStatus::alarm : DriftStatus::ok;
    return row;
}

// Which way a rate moving is bad.
enum class Worse { up, down };

// A rate's row: alarms when it moves by more than `limit` the `worse` way and the z test is
// significant at `alpha`.
DriftRow rate_row(const std::string& feature, std::size_t ref_hits, std::size_t ref_n,
                  std::size_t cur_hits, std::size_t cur_n, double limit, Worse worse,
                  const DriftThresholds& t, std::string_view missing) {
    DriftRow row = make_row(feature, "difference", "rate");
    const double sign = worse == Worse::up ? 1.0 : -1.0;
    row.threshold = fmt::format("{}{:g} & p<{:g}", worse == Worse::up ? "+" : "-", limit, t.alpha);
    const auto d = stats::compare_independent({ref_hits, ref_n, cur_hits, cur_n});
    if (!d) {
        row.note = std::string(missing);
        return row;
    }
    row.reference = d->baseline_rate;
    row.current = d->candidate_rate;
    row.value = d->difference;
    row.interval = d->interval;
    row.p_value = d->p_value;
    const bool moved = sign * d->difference > limit;
    row.status = moved && d->p_value < t.alpha ? DriftStatus::alarm : DriftStatus::ok;
    return row;
}

Expected<void> check_window(const WindowSample& w, std::string_view name, const TimeWindow& window,
                            const DriftOptions& options) {
    if (w.calls > 0)
        return {};
    std::string filters;
    if (!options.version.empty())
        filters += fmt::format(", version '{}'", options.version);
    if (!options.model.empty())
        filters += fmt::format(", model '{}'", options.model);
    return fail(ErrorCode::invalid_input, "no calls of '{}'{} in the {} window {}", options.prompt,
                filters, name, to_string(window));
}

Expected<std::vector<DriftRow>> drift_rows(const WindowSample& r, const WindowSample& c,
                                           const DriftOptions& options) {
    const DriftThresholds& t = options.thresholds;
    std::vector<DriftRow> rows;
    add_numeric_rows(rows, "input length", r.input.lengths, c.input.lengths, t, "no inputs");
    add_numeric_rows(rows, "output length", r.output.lengths, c.output.lengths, t, "no outputs");
    add_numeric_rows(rows, "input tokens", r.input.tokens, c.input.tokens, t, "no token counts");
    add_numeric_rows(rows, "output tokens", r.output.tokens, c.output.tokens, t, "no token counts");
    rows.push_back(words_row("input words", r.input.words, c.input.words, options));
    rows.push_back(words_row("output words", r.output.words, c.output.words, options));
    rows.push_back(
        LLMOPS_TRY(embedding_row("input embedding", r.input.texts, c.input.texts, options)));
    rows.push_back(
        LLMOPS_TRY(embedding_row("output embedding", r.output.texts, c.output.texts, options)));
    rows.push_back(rate_row("refusal rate", r.refusals, r.outputs, c.refusals, c.outputs,
                            t.max_refusal_increase, Worse::up, t, "no outputs"));
    const std::size_t r_judged = r.outcomes.pass + r.outcomes.fail;
    const std::size_t c_judged = c.outcomes.pass + c.outcomes.fail;
    rows.push_back(rate_row("pass rate", r.outcomes.pass, r_judged, c.outcomes.pass, c_judged,
                            t.max_pass_rate_drop, Worse::down, t, "no online evals"));
    return rows;
}

} // namespace

std::string_view to_string(DriftStatus status) {
    switch (status) {
    case DriftStatus::ok: return "ok";
    case DriftStatus::alarm: return "ALARM";
    case DriftStatus::unavailable: return "n/a";
    }
    return "n/a";
}

bool DriftReport::alarm() const {
    return std::any_of(rows.begin(), rows.end(),
                       [](const DriftRow& row) { return row.status == DriftStatus::alarm; });
}

Expected<DriftReport> compute_drift(store::Database& db, const DriftOptions& options) {
    if (options.prompt.empty()) // an empty name would select every prompt's calls
        return fail(ErrorCode::invalid_input, "drift needs a prompt name");
    const auto reference = LLMOPS_TRY(scan_window(db, options, options.reference, options.seed));
    LLMOPS_TRY(check_window(reference, "reference", options.reference, options));
    const auto current = LLMOPS_TRY(scan_window(db, options, options.current, options.seed + 2));
    LLMOPS_TRY(check_window(current, "current", options.current, options));
    DriftReport report;
    report.prompt = options.prompt;
    report.version = options.version;
    report.model = options.model;
    report.reference = options.reference;
    report.current = options.current;
    report.reference_calls = reference.calls;
    report.current_calls = current.calls;
    report.thresholds = options.thresholds;
    report.rows = LLMOPS_TRY(drift_rows(reference, current, options));
    return report;
}

Expected<Embedder> provider_embedder(std::string_view id) {
    auto config = LLMOPS_TRY(provider::parse_provider_config(nlohmann::json(std::string(id)),
                                                             "--embedding-provider", "."));
    auto made = provider::Provider::create(std::move(config), provider::process_env());
    if (!made)
        return fail(made.error().code(), "--embedding-provider: {}", made.error().message());
    std::shared_ptr<const provider::Provider> model(std::move(*made));
    return Embedder([model](const std::vector<std::string>& texts)
                        -> Expected<std::vector<std::vector<double>>> {
        provider::CallEngine engine(provider::EngineOptions{});
        provider::CallJob job;
        job.provider = model.get();
        job.request.model = model->config().spec.model;
        job.request.params.embed = true;
        for (const auto& text : texts)
            job.request.messages.push_back({"user", text});
        std::optional<Expected<provider::CallOutcome>> got;
        engine.submit(std::move(job),
                      [&](Expected<provider::CallOutcome> outcome) { got = std::move(outcome); });
        engine.run();
        if (!got)
            return fail(ErrorCode::provider, "provider '{}': no answer", model->id());
        if (!*got)
            return fail(got->error());
        return std::move((*got)->result.embeddings);
    });
}

std::string input_text(std::string_view vars, std::string_view messages) {
    const nlohmann::json list = util::parse_json_or_discarded(messages);
    std::string text;
    if (list.is_array() && !list.empty()) {
        for (const auto& m : list) {
            const auto content = m.is_object() ? m.find("content") : m.end();
            if (content == m.end())
                continue;
            text += text.empty() ? "" : "\n";
            text += content->is_string() ? content->get<std::string>() : content->dump();
        }
        return text;
    }
    const nlohmann::json object = util::parse_json_or_discarded(vars);
    if (!object.is_object())
        return text;
    for (const auto& [key, value] : object.items()) {
        text += text.empty() ? "" : "\n";
        text += value.is_string() ? value.get<std::string>() : value.dump();
    }
    return text;
}

std::vector<std::string> drift_tokens(std::string_view text) {
    std::vector<std::string> tokens;
    std::string word;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || u >= 0x80) {
            word += static_cast<char>(std::tolower(u));
        } else if (!word.empty()) {
            tokens.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty())
        tokens.push_back(std::move(word));
    return tokens;
}

namespace {

// One threshold key of a thresholds file: its name and its field.
struct ThresholdKey {
    const char* name;
    double DriftThresholds::*field;
    bool probability; // in [0, 1]; else any non-negative number
};

constexpr ThresholdKey k_threshold_keys[] = {
    {"max_psi", &DriftThresholds::max_psi, false},
    {"ks_alpha", &DriftThresholds::ks_alpha, true},
    {"max_js", &DriftThresholds::max_js, true},
    {"embedding_alpha", &DriftThresholds::embedding_alpha, true},
    {"max_refusal_increase", &DriftThresholds::max_refusal_increase, true},
    {"max_pass_rate_drop", &DriftThresholds::max_pass_rate_drop, true},
    {"alpha", &DriftThresholds::alpha, true},
};

} // namespace

Expected<DriftThresholds> parse_drift_thresholds(std::string_view text, std::string_view path,
                                                 DriftThresholds defaults) {
    auto doc = LLMOPS_TRY(util::parse_yaml(text, path));
    std::string where(path);
    if (doc.is_object() && doc.contains("drift")) {
        // A suite over production calls keeps its drift thresholds beside its cases.
        where += ": drift";
        doc = nlohmann::json(doc["drift"]);
    }
    if (doc.is_null())
        return defaults;
    if (!doc.is_object())
        return fail(ErrorCode::invalid_input, "{}: expected a map of thresholds", where);
    for (const auto& [key, value] : doc.items()) {
        const auto* known = std::find_if(std::begin(k_threshold_keys), std::end(k_threshold_keys),
                                         [&](const ThresholdKey& k) { return key == k.name; });
        if (known == std::end(k_threshold_keys))
            return fail(ErrorCode::invalid_input,
                        "{}: unknown key '{}' (expected max_psi, ks_alpha, max_js, "
                        "embedding_alpha, max_refusal_increase, max_pass_rate_drop or alpha)",
                        where, key);
        const bool ok = value.is_number() && value.get<double>() >= 0 &&
                        (!known->probability || value.get<double>() <= 1);
        if (!ok)
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a number {}", where, key,
                        known->probability ? "between 0 and 1" : "of at least 0");
        defaults.*(known->field) = value.get<double>();
    }
    return defaults;
}

} // namespace llmops::online
