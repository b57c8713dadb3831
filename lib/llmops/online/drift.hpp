#pragma once
// `llmops drift` (SPEC §14): a prompt's imported calls in a reference window against those of a
// current window, input and output features compared with the statistics of stats/drift.hpp,
// each against a threshold. docs/drift.md says what each row means.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <llmops/online/window.hpp>
#include <llmops/stats/stats.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::online {

// When a row alarms. Defaults are documented in docs/drift.md.
struct DriftThresholds {
    double max_psi = 0.2;               // PSI above this alarms
    double ks_alpha = 0.01;             // a KS p-value below this alarms
    double max_js = 0.1;                // a Jensen-Shannon distance (bits) above this alarms
    double embedding_alpha = 0.01;      // a permutation p-value below this alarms
    double max_refusal_increase = 0.05; // the refusal rate rising by more than this alarms...
    double max_pass_rate_drop = 0.05;   // ...and the online-eval pass rate falling by more,
    double alpha = 0.05;                // both only when significant: the z test's p < alpha
};

// Reads `text`, YAML with the keys `max_psi`, `ks_alpha`, `max_js`, `embedding_alpha`,
// `max_refusal_increase`, `max_pass_rate_drop` and `alpha` (each optional, a number in [0, 1]
// or for max_psi a non-negative number), over `defaults`; or a suite (its `drift` map holds
// them). Fails with `invalid_input` naming `path` and the key.
Expected<DriftThresholds> parse_drift_thresholds(std::string_view text, std::string_view path,
                                                 DriftThresholds defaults = {});

// Turns texts into vectors, one per text, in order (an embedding model). Fails as the model's
// calls fail.
using Embedder =
    std::function<Expected<std::vector<std::vector<double>>>(const std::vector<std::string>&)>;

// An Embedder calling provider `id` (as a suite's `judge.embedding` names one: `echo`, whose
// offline vectors are hashed bags of words, or an OpenAI-compatible embedding model such as
// `openai:text-embedding-3-small`, its key from the environment) through the call engine, one
// request per batch of texts. Fails with `invalid_input` for an unknown id or a missing key.
Expected<Embedder> provider_embedder(std::string_view id);

// What to compare.
struct DriftOptions {
    std::string prompt;  // the prompt name (required)
    std::string version; // only calls of this version (as imported); empty: all
    std::string model;   // only calls answered by this model; empty: all
    TimeWindow reference;
    TimeWindow current;
    DriftThresholds thresholds;
    std::size_t vocabulary = 5000;   // the reference's most frequent tokens kept; others: "other"
    std::size_t embed_sample = 500;  // texts embedded per window and side, sampled
    std::size_t permutations = 1000; // of the embedding test
    std::uint64_t seed = 20261107;   // of the samples and the permutations
    const Embedder* embedder = nullptr; // none: the embedding rows are "not configured"
};

// A row's outcome.
enum class DriftStatus { ok, alarm, unavailable };

// Returns "ok", "ALARM" or "n/a".
std::string_view to_string(DriftStatus status);

// One statistic of one feature.
struct DriftRow {
    std::string feature;   // "input length", "output tokens", "output words", "refusal rate", ...
    std::string statistic; // "psi", "ks", "js", "embedding", "difference"
    std::string summary;   // what `reference` and `current` are: "median", "rate", "distinct", "n"
    std::optional<double> reference;
    std::optional<double> current;
    std::optional<double> value;   // PSI, D, JS distance, mean distance, or rate difference
    std::optional<double> p_value; // KS, permutation test, z test; none for PSI and JS
    std::optional<stats::Interval> interval; // of a rate difference (Newcombe)
    std::string threshold;                   // as text: "psi > 0.2", "p < 0.01", "+0.05 & p<0.05"
    DriftStatus status = DriftStatus::unavailable;
    std::string note; // why a row is unavailable: "not configured", "no token counts", ...
};

// The comparison.
struct DriftReport {
    std::string prompt;
    std::string version;
    std::string model;
    TimeWindow reference;
    TimeWindow current;
    std::size_t reference_calls = 0;
    std::size_t current_calls = 0;
    DriftThresholds thresholds;
    std::vector<DriftRow> rows;

    // Whether any row alarms.
    bool alarm() const;
};

// Compares the windows. Reads the calls a row at a time (twice: the reference first, whose
// vocabulary the current window is counted against), keeping per window the lengths and token
// counts, capped token counts, and a seeded sample of texts to embed. Fails with
// `invalid_input` when the prompt name is empty or a window holds no call of the prompt (naming
// the window), `io`, or as the embedder fails.
Expected<DriftReport> compute_drift(store::Database& db, const DriftOptions& options);

// The text of a call's input that drift measures: its messages' contents joined by newlines,
// or, without messages, its variables' values (strings as they are, others as JSON) joined by
// newlines in key order. `vars` and `messages` are the stored JSON texts.
std::string input_text(std::string_view vars, std::string_view messages);

// The tokens of `text`: lower-cased (ASCII) runs of letters, digits and non-ASCII bytes; white
// space and ASCII punctuation separate them.
std::vector<std::string> drift_tokens(std::string_view text);

} // namespace llmops::online
