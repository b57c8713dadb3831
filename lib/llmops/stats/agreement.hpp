#pragma once
// Agreement between two raters, such as a judge and human labels: Cohen's kappa, accuracy and
// the true-positive and true-negative rates.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace llmops::stats {

// Counts of paired labels: counts[i][j] items labelled labels[i] by the first rater and
// labels[j] by the second.
struct ConfusionMatrix {
    std::vector<std::string> labels; // the union of both raters' labels, sorted bytewise
    std::vector<std::vector<std::size_t>> counts;

    std::size_t total() const;
};

// Tabulates two raters' labels of the same items (`first[i]` and `second[i]` label item i).
// Returns nullopt when the sizes differ.
std::optional<ConfusionMatrix> confusion_matrix(std::span<const std::string> first,
                                                std::span<const std::string> second);

// Cohen's kappa (Cohen 1960) of a square table of counts with any number of categories:
//   κ = (p_o - p_e) / (1 - p_e),  p_o = Σ_i n_ii / N,  p_e = Σ_i (n_i. / N)(n_.i / N)
// 1 for perfect agreement, 0 for agreement at chance, negative below. Matches statsmodels'
// cohens_kappa and scikit-learn's cohen_kappa_score. Returns nullopt when the table is empty
// or not square, and when p_e = 1 (both raters gave every item one and the same label: their
// agreement is certain by chance, so kappa is 0/0).
std::optional<double> cohen_kappa(const std::vector<std::vector<std::size_t>>& counts);

// Cohen's kappa of two raters' labels of the same items; nullopt as above or when the sizes
// differ.
std::optional<double> cohen_kappa(std::span<const std::string> first,
                                  std::span<const std::string> second);

// A binary confusion matrix of predictions (say a judge) against a reference (human labels),
// "positive" being pass.
struct BinaryCounts {
    std::size_t true_positive = 0;  // reference pass, predicted pass
    std::size_t false_negative = 0; // reference pass, predicted fail
    std::size_t false_positive = 0; // reference fail, predicted pass
    std::size_t true_negative = 0;  // reference fail, predicted fail

    // Counts one item.
    void add(bool reference, bool predicted);
    std::size_t total() const;
};

// Agreement statistics of a binary confusion matrix; each is nullopt when undefined.
struct BinaryAgreement {
    std::optional<double> accuracy;           // (TP + TN) / N; nullopt when N = 0
    std::optional<double> true_positive_rate; // TP / (TP + FN); nullopt without reference passes
    std::optional<double> true_negative_rate; // TN / (TN + FP); nullopt without reference fails
    std::optional<double> kappa;              // Cohen's kappa of the 2x2 table
};

BinaryAgreement binary_agreement(const BinaryCounts& counts);

} // namespace llmops::stats
