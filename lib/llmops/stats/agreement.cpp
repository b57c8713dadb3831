#include <llmops/stats/agreement.hpp>

#include <algorithm>

namespace llmops::stats {

std::size_t ConfusionMatrix::total() const {
    std::size_t sum = 0;
    for (const auto& row : counts)
        for (std::size_t c : row)
            sum += c;
    return sum;
}

std::optional<ConfusionMatrix> confusion_matrix(std::span<const std::string> first,
                                                std::span<const std::string> second) {
    if (first.size() != second.size())
        return std::nullopt;
    ConfusionMatrix out;
    out.labels.assign(first.begin(), first.end());
    out.labels.insert(out.labels.end(), second.begin(), second.end());
    std::sort(out.labels.begin(), out.labels.end());
    out.labels.erase(std::unique(out.labels.begin(), out.labels.end()), out.labels.end());
    std::size_t k = out.labels.size();
    out.counts.assign(k, std::vector<std::size_t>(k, 0));
    auto index = [&](const std::string& label) {
        return static_cast<std::size_t>(
            std::lower_bound(out.labels.begin(), out.labels.end(), label) - out.labels.begin());
    };
    for (std::size_t i = 0; i < first.size(); ++i)
        ++out.counts[index(first[i])][index(second[i])];
    return out;
}

std::optional<double> cohen_kappa(const std::vector<std::vector<std::size_t>>& counts) {
    std::size_t k = counts.size();
    if (std::any_of(counts.begin(), counts.end(), [k](const auto& row) { return row.size() != k; }))
        return std::nullopt;
    std::vector<std::size_t> rows(k, 0), columns(k, 0);
    std::size_t total = 0, diagonal = 0;
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            rows[i] += counts[i][j];
            columns[j] += counts[i][j];
            total += counts[i][j];
        }
    for (std::size_t i = 0; i < k; ++i)
        diagonal += counts[i][i];
    // p_e = 1 exactly when one label holds every item for both raters; tested on the integer
    // margins so that no rounding can mistake a large, lopsided table for it.
    for (std::size_t i = 0; i < k; ++i)
        if (rows[i] == total && columns[i] == total)
            return std::nullopt;
    if (total == 0)
        return std::nullopt;
    double n = static_cast<double>(total);
    double chance = 0;
    for (std::size_t i = 0; i < k; ++i)
        chance += (static_cast<double>(rows[i]) / n) * (static_cast<double>(columns[i]) / n);
    double observed = static_cast<double>(diagonal) / n;
    return (observed - chance) / (1 - chance);
}

std::optional<double> cohen_kappa(std::span<const std::string> first,
                                  std::span<const std::string> second) {
    auto matrix = confusion_matrix(first, second);
    if (!matrix)
        return std::nullopt;
    return cohen_kappa(matrix->counts);
}

void BinaryCounts::add(bool reference, bool predicted) {
    if (reference)
        ++(predicted ? true_positive : false_negative);
    else
        ++(predicted ? false_positive : true_negative);
}

std::size_t BinaryCounts::total() const {
    return true_positive + false_negative + false_positive + true_negative;
}

namespace {

std::optional<double> ratio(std::size_t numerator, std::size_t denominator) {
    if (denominator == 0)
        return std::nullopt;
    return static_cast<double>(numerator) / static_cast<double>(denominator);
}

} // namespace

BinaryAgreement binary_agreement(const BinaryCounts& c) {
    return BinaryAgreement{
        .accuracy = ratio(c.true_positive + c.true_negative, c.total()),
        .true_positive_rate = ratio(c.true_positive, c.true_positive + c.false_negative),
        .true_negative_rate = ratio(c.true_negative, c.true_negative + c.false_positive),
        .kappa =
            cohen_kappa({{c.true_positive, c.false_negative}, {c.false_positive, c.true_negative}}),
    };
}

} // namespace llmops::stats
