#pragma once
// `llmops judge calibrate` (SPEC §9): how well a judge agrees with humans. The judge grades
// outputs that people labelled, with the model-graded assertions of a suite's defaults
// (`defaultTest.assert`), and the verdicts are compared with the labels: accuracy, Cohen's
// kappa, true-positive and true-negative rates, the confusion matrix, and for pairwise labels
// (select-best) the agreement on the better output and the position-bias rate. The calibration
// is stored as a run whose results pass when the judge agrees with the human, so two judges or
// two judge prompt versions compare with `llmops diff` like any two runs.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>
#include <llmops/provider/engine.hpp>
#include <llmops/stats/agreement.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/project.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval::judge {

// One labelled example: a line of the labels file (JSONL).
//   {"id": "...", "output": "...", "pass": true}              a verdict
//   {"output": "...", "score": 0.8}                            a score (pass when >= 0.5)
//   {"outputs": ["...", "..."], "best": 1}                     pairwise (select-best)
// with optional "vars" (a map, over the suite's default vars), "prompt" (the input the output
// answered: factuality, closed QA and g-eval read it) and "context" (the RAG assertions).
struct Label {
    std::string id;    // "id", else "label-<line>"
    std::string where; // "labels.jsonl:3"
    nlohmann::json vars = nlohmann::json::object();
    std::string prompt;
    std::optional<std::string> context;
    std::string output;
    bool human_pass = false;
    std::optional<double> human_score;
    std::vector<std::string> outputs; // pairwise
    int best = -1;                    // pairwise: the index humans preferred

    bool pairwise() const { return !outputs.empty(); }
};

// Reads a labels file (JSONL), named `display` in messages; sets `content_hash` to the SHA-256
// of its bytes. Fails with `invalid_input` naming the line: "labels.jsonl:3:5: not JSON: ...",
// "labels.jsonl:4: needs 'output' (a string) or 'outputs' (a list of at least two strings)",
// "labels.jsonl:5: needs the human verdict: 'pass' (true or false) or 'score' (0 to 1)",
// "labels.jsonl:6: 'best' must be the index of one of the 2 outputs (from 0)",
// "labels.jsonl:7: duplicate id 'a' (first at labels.jsonl:2)"; "labels.jsonl: no labels" for
// an empty file; `not_found` for a missing one.
Expected<std::vector<Label>> load_labels(const std::filesystem::path& path,
                                         const std::string& display, std::string* content_hash);

struct CalibrationOptions {
    int concurrency = 4;
    provider::CacheMode cache_mode = provider::CacheMode::use;
    std::optional<std::string> judge; // --judge
    std::optional<int> samples;       // --judge-samples
    std::string command_line;
    std::string suite_display;
    std::string labels_display;
    std::optional<std::filesystem::path> record; // --record FILE: the judge's answers appended
};

// What a calibration found.
struct Calibration {
    int64_t run_id = 0;
    std::string judge_id;
    std::vector<std::string> judge_prompts; // "judge/llm-rubric@2", ...
    int64_t labelled = 0;                   // labels read
    int64_t errors = 0;                     // labels the judge could not grade
    std::string first_error;                // "<id>: <reason>" of the first of them
    // Verdict labels (not pairwise):
    stats::BinaryCounts counts; // human = reference, judge = prediction
    stats::BinaryAgreement agreement;
    // Pairwise labels:
    int64_t pairs = 0;          // pairwise labels graded
    int64_t pairs_agree = 0;    // the judge preferred what humans preferred
    int64_t rounds = 0;         // judge rounds (each in both orders)
    int64_t position_flips = 0; // rounds whose choice flipped with the order
    bool interrupted = false;

    std::optional<double> pairwise_accuracy() const;  // pairs_agree / pairs
    std::optional<double> position_bias_rate() const; // position_flips / rounds
    nlohmann::json to_json() const;                   // docs/judge.md's `judge calibrate --json`
};

// Runs the judge over `labels` with the model-graded assertions of `suite`'s defaults (verdict
// labels: every one but select-best, all passing = the judge's pass; pairwise labels: the first
// select-best) and stores the calibration as a run. Fails with `invalid_input` before any call
// when the suite has no judge model or no model-graded default assertion for a kind of label
// ("suite.yaml: judge calibrate needs model-graded assertions in defaultTest.assert"); with `io`
// when the store cannot be written.
Expected<Calibration> calibrate(store::Database& db, const store::Project& project,
                                const Suite& suite, const std::vector<Label>& labels,
                                const std::string& labels_hash, const CalibrationOptions& options,
                                const std::function<bool()>& should_stop);

} // namespace llmops::eval::judge
