#pragma once
// How many cases (and repeats) a suite needs to detect a given drop in pass rate: the sample
// size calculations behind `llmops stats power` (SPEC §11).

#include <cstddef>
#include <optional>

#include <llmops/util/error.hpp>

namespace llmops::stats {

// How the two versions are compared.
enum class Design {
    independent, // two separate samples of cases (a two-proportion z-test)
    paired,      // the same cases on both sides (McNemar's test), as `llmops diff` does
};

// The question: detect a drop from `baseline` to `baseline - delta` with a two-sided test at
// level `alpha` (the test `llmops diff` runs) with probability `power`.
struct PowerQuestion {
    double baseline = 0;     // pass rate of the baseline, in (0, 1)
    double delta = 0;        // the drop to detect, in (0, baseline]
    double alpha = 0.05;     // significance level, in (0, 1)
    double power = 0.8;      // probability of detecting the drop, in (0, 1)
    std::size_t repeats = 1; // runs of each case, >= 1
    double icc = 0;          // intra-case correlation of repeated outcomes, in [0, 1]
    // Paired design only: the probability ψ that a case's outcome differs between the two
    // sides (regressions + fixes), in [delta, 1]. Unknown: taken as if the two sides were
    // independent, ψ = p₁(1 - p₂) + p₂(1 - p₁), which overestimates it (and the sample size)
    // for versions of one prompt, whose outcomes are positively correlated.
    std::optional<double> discordance = std::nullopt;
};

struct SampleSize {
    double cases_exact = 0;   // the real-valued n before rounding up, with repeats
    std::size_t cases = 0;    // cases needed (per side in the independent design)
    std::size_t repeats = 1;  // as asked
    std::size_t runs = 0;     // cases · repeats (per side)
    double design_effect = 1; // 1 + (repeats - 1) · icc
    double discordance = 0;   // paired design: the ψ used
};

// The sample size for `question` in `design`, with z_a = Φ⁻¹(1 - alpha/2), z_b = Φ⁻¹(power),
// p₁ = baseline, p₂ = baseline - delta, q = 1 - p:
// - independent (Fleiss 1981 without continuity correction; statsmodels'
//   samplesize_proportions_2indep_onetail), per side:
//     n = (z_a sqrt(2 p̄ q̄) + z_b sqrt(p₁q₁ + p₂q₂))² / delta²,  p̄ = (p₁ + p₂) / 2
// - paired (Connor 1987, Biometrics 43:207, for McNemar's test):
//     n = (z_a sqrt(ψ) + z_b sqrt(ψ - delta²))² / delta²
// With m = `repeats` > 1 runs per case whose outcomes have intra-case correlation ρ = `icc`,
// each case's mean is worth m / (1 + (m - 1) ρ) independent runs (Kish's design effect), so
//     cases = n · (1 + (m - 1) ρ) / m,
// an approximation for the paired design. Repeats help most when ρ is small: at ρ = 1 a
// repeat adds nothing, and no number of repeats brings the cases below n ρ. Rounded up at the
// end, to at least 1 case. Connor's n is for the asymptotic test; the exact test that
// `llmops diff` runs is conservative, so its power at that n is a few points lower.
// Fails with invalid_input, naming the value, when an input is out of its range, or when ψ is
// impossible for the baseline (more regressions than baseline passes, or more fixes than
// baseline failures).
Expected<SampleSize> sample_size(const PowerQuestion& question, Design design);

} // namespace llmops::stats
