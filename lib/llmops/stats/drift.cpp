#include <llmops/stats/drift.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include <llmops/stats/distribution.hpp>
#include <llmops/stats/proportion.hpp>

namespace llmops::stats {

namespace {

bool all_finite(std::span<const double> values) {
    return std::all_of(values.begin(), values.end(), [](double x) { return std::isfinite(x); });
}

// ---- population stability index ----

// The fraction of `sorted` in each bin cut at `edges` (bin i = (edges[i-1], edges[i]]).
std::vector<double> bin_fractions(std::span<const double> values, const std::vector<double>& edges,
                                  double epsilon) {
    std::vector<double> counts(edges.size() + 1, 0.0);
    for (double x : values) {
        auto bin = std::lower_bound(edges.begin(), edges.end(), x) - edges.begin();
        counts[static_cast<std::size_t>(bin)] += 1;
    }
    const double n = static_cast<double>(values.size());
    for (double& c : counts)
        c = c == 0 ? epsilon : c / n;
    return counts;
}

} // namespace

std::optional<double> population_stability_index(std::span<const double> reference,
                                                 std::span<const double> current, std::size_t bins,
                                                 double epsilon) {
    if (reference.empty() || current.empty() || bins < 2 || !(epsilon > 0 && epsilon < 1) ||
        !all_finite(reference) || !all_finite(current))
        return std::nullopt;
    std::vector<double> sorted(reference.begin(), reference.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> edges;
    for (std::size_t k = 1; k < bins; ++k)
        edges.push_back(*percentile_of_sorted(sorted, 100.0 * static_cast<double>(k) /
                                                          static_cast<double>(bins)));
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    const auto r = bin_fractions(reference, edges, epsilon);
    const auto c = bin_fractions(current, edges, epsilon);
    double psi = 0;
    for (std::size_t i = 0; i < r.size(); ++i)
        psi += (c[i] - r[i]) * std::log(c[i] / r[i]);
    return psi;
}

// ---- Kolmogorov-Smirnov ----

namespace {

constexpr double k_two_128 = 3.402823669209385e+38; // 2^128, the rescaling step of SciPy's code
constexpr int k_exp_128 = 128;

// P(D >= h/n) for two samples of n each: 2 Σₖ (-1)^(k+1) C(2n, n - kh) / C(2n, n), evaluated in
// SciPy's Horner-like form to avoid the cancellation (_compute_prob_outside_square).
double prob_outside_square(std::int64_t n, std::int64_t h) {
    double p = 0;
    for (std::int64_t k = n / h; k >= 0; --k) {
        double p1 = 1;
        for (std::int64_t j = 0; j < h; ++j)
            p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
        p = p1 * (1.0 - p);
    }
    return 2 * p;
}

// P(D >= h / lcm(m, n)) by counting lattice paths that leave the band |x/m - y/n| < h/lcm,
// computed as 1 - p column by column (Viehmann 2021; SciPy's _compute_outer_prob_inside_method).
double prob_outside_band(std::int64_t m, std::int64_t n, std::int64_t g, std::int64_t h) {
    if (m < n)
        std::swap(m, n);
    const std::int64_t mg = m / g;
    const std::int64_t ng = n / g;
    const auto ceil_div = [](std::int64_t a, std::int64_t b) {
        return static_cast<std::int64_t>(
            std::ceil(static_cast<double>(a) / static_cast<double>(b)));
    };
    const auto floor_div = [](std::int64_t a, std::int64_t b) {
        return static_cast<std::int64_t>(
            std::floor(static_cast<double>(a) / static_cast<double>(b)));
    };
    std::int64_t minj = 0;
    std::int64_t maxj = std::min(ceil_div(h, mg), n + 1);
    std::int64_t curlen = maxj - minj;
    const std::int64_t len = std::min(2 * maxj + 2, n + 1);
    std::vector<double> a(static_cast<std::size_t>(len), 1.0);
    std::fill(a.begin() + minj, a.begin() + maxj, 0.0);
    for (std::int64_t i = 1; i <= m; ++i) {
        const std::int64_t lastminj = minj;
        const std::int64_t lastlen = curlen;
        minj = std::min(std::max(floor_div(ng * i - h, mg) + 1, std::int64_t{0}), n);
        maxj = std::min(ceil_div(ng * i + h, mg), n + 1);
        if (maxj <= minj)
            return 1.0;
        double val = minj == 0 ? 0.0 : 1.0;
        for (std::int64_t jj = 0; jj < maxj - minj; ++jj) {
            const std::int64_t j = jj + minj;
            val = (a[static_cast<std::size_t>(jj + minj - lastminj)] * static_cast<double>(i) +
                   val * static_cast<double>(j)) /
                  static_cast<double>(i + j);
            a[static_cast<std::size_t>(jj)] = val;
        }
        curlen = maxj - minj;
        if (lastlen > curlen)
            std::fill(a.begin() + curlen, a.begin() + std::min<std::int64_t>(lastlen, len), 1.0);
    }
    return a[static_cast<std::size_t>(maxj - minj - 1)];
}

// The statistic D of two sorted samples: the largest gap between their empirical distribution
// functions, evaluated (as SciPy does) as i/n - j/m after every value.
double ks_statistic(const std::vector<double>& a, const std::vector<double>& b) {
    const double n = static_cast<double>(a.size());
    const double m = static_cast<double>(b.size());
    std::size_t i = 0;
    std::size_t j = 0;
    double d = 0;
    while (i < a.size() || j < b.size()) {
        double x = i < a.size() && (j >= b.size() || a[i] <= b[j]) ? a[i] : b[j];
        while (i < a.size() && a[i] <= x)
            ++i;
        while (j < b.size() && b[j] <= x)
            ++j;
        d = std::max(d, std::abs(static_cast<double>(i) / n - static_cast<double>(j) / m));
    }
    return d;
}

// ---- the one-sample Kolmogorov distribution (SciPy's _ksstats.py) ----

double clip01(double p) {
    return std::clamp(p, 0.0, 1.0);
}

// log(n! / n^n) by Stirling's series, as SciPy's _log_nfactorial_div_n_pow_n.
double log_factorial_over_power(double n) {
    constexpr double k_coeffs[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                                   -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                                   -5.952380952380952381e-4,  7.9365079365079365079e-4,
                                   -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    const double rn = 1.0 / n;
    const double t = rn / n;
    double poly = 0;
    for (double c : k_coeffs)
        poly = poly * t + c;
    return std::log(n) / 2 - n + std::log(2 * std::numbers::pi) / 2 + rn * poly;
}

// P(Dₙ⁺ >= x), the one-sided Smirnov tail, by the Birnbaum-Tingey sum
//   x Σ_{j=0}^{⌊n(1-x)⌋} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1)
// with every term positive, computed in log space.
double smirnov_sf(std::int64_t n, double x) {
    if (x >= 1)
        return 0;
    if (x <= 0)
        return 1;
    const double nd = static_cast<double>(n);
    const auto jmax = static_cast<std::int64_t>(std::floor(nd * (1 - x)));
    const double lgn = std::lgamma(nd + 1);
    double sum = 0;
    for (std::int64_t j = 0; j <= jmax; ++j) {
        const double jd = static_cast<double>(j);
        const double rest = 1 - x - jd / nd;
        if (rest <= 0)
            continue;
        sum += std::exp(lgn - std::lgamma(jd + 1) - std::lgamma(nd - jd + 1) +
                        (nd - jd) * std::log(rest) + (jd - 1) * std::log(x + jd / nd));
    }
    return x * sum;
}

using Matrix = std::vector<double>; // row-major, square

Matrix multiply(const Matrix& a, const Matrix& b, std::size_t m) {
    Matrix c(m * m, 0.0);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t k = 0; k < m; ++k) {
            const double aik = a[i * m + k];
            for (std::size_t j = 0; j < m; ++j)
                c[i * m + j] += aik * b[k * m + j];
        }
    return c;
}

// The Durbin matrix H of P(Dₙ < d) (Marsaglia, Tsang & Wang 2003), k = ⌈n d⌉, h = k - n d.
Matrix durbin_matrix(std::size_t m, double h) {
    std::vector<double> v(m);
    std::vector<double> w(m);
    double fac = 1.0;
    for (std::size_t j = 1; j <= m; ++j) {
        w[j - 1] = fac;
        fac /= static_cast<double>(j);
        v[j - 1] = (1.0 - std::pow(h, static_cast<double>(j))) * fac;
    }
    const double md = static_cast<double>(m);
    const double tt = std::pow(std::max(2 * h - 1.0, 0.0), md) - 2 * std::pow(h, md);
    v[m - 1] = (1.0 + tt) * fac;
    Matrix H(m * m, 0.0);
    for (std::size_t i = 1; i < m; ++i)
        for (std::size_t r = i - 1; r < m; ++r)
            H[r * m + i] = w[r - (i - 1)];
    for (std::size_t r = 0; r < m; ++r)
        H[r * m] = v[r];
    for (std::size_t c = 0; c < m; ++c)
        H[(m - 1) * m + c] = v[m - 1 - c];
    return H;
}

// P(Dₙ <= d) by the Durbin matrix, Hⁿ[k-1][k-1] · n!/nⁿ, with SciPy's rescaling by 2^128.
double kolmogorov_cdf_durbin(std::int64_t n, double d) {
    if (d >= 1.0)
        return 1.0;
    const double nd = static_cast<double>(n) * d;
    if (nd <= 0.5)
        return 0.0;
    const auto k = static_cast<std::size_t>(std::ceil(nd));
    const std::size_t m = 2 * k - 1;
    Matrix H = durbin_matrix(m, static_cast<double>(k) - nd);
    Matrix power(m * m, 0.0);
    for (std::size_t i = 0; i < m; ++i)
        power[i * m + i] = 1.0;
    int exponent = 0;
    int h_exponent = 0;
    for (std::int64_t nn = n; nn > 0; nn /= 2) {
        if (nn % 2) {
            power = multiply(power, H, m);
            exponent += h_exponent;
        }
        H = multiply(H, H, m);
        h_exponent *= 2;
        if (std::abs(H[(k - 1) * m + (k - 1)]) > k_two_128) {
            for (double& x : H)
                x /= k_two_128;
            h_exponent += k_exp_128;
        }
    }
    double p = power[(k - 1) * m + (k - 1)];
    for (std::int64_t i = 1; i <= n; ++i) {
        p = static_cast<double>(i) * p / static_cast<double>(n);
        if (std::abs(p) < 1 / k_two_128) {
            p *= k_two_128;
            exponent -= k_exp_128;
        }
    }
    return clip01(std::ldexp(p, exponent));
}

// The Pelz-Good asymptotic series of P(Dₙ <= x) (Pelz & Good 1976), as SciPy's
// _kolmogn_PelzGood.
double kolmogorov_cdf_pelz_good(std::int64_t n, double x) {
    constexpr double pi = std::numbers::pi;
    constexpr double pi2 = pi * pi;
    const double pi4 = pi2 * pi2;
    const double pi6 = pi4 * pi2;
    const double sqrt2pi = std::sqrt(2 * pi);
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    const double nd = static_cast<double>(n);
    const double z = std::sqrt(nd) * x;
    const double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
    const double qlog = -pi2 / 8 / z2;
    if (qlog < -708)
        return 0;
    double q = std::exp(qlog);
    const double k1a = -z2, k1b = pi2 / 4;
    const double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4,
                 k2c = pi4 * (1 - 2 * z2) / 16;
    const double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16,
                 k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
    double K[4] = {0, 0, 0, 0};
    const auto maxk = static_cast<std::int64_t>(std::ceil(16 * z / pi));
    for (std::int64_t k = maxk; k > 0; --k) {
        const double mm = static_cast<double>(2 * k - 1);
        const double m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
        const double qpower = std::pow(q, static_cast<double>(8 * k));
        const double coeffs[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                                  k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; ++i)
            K[i] = K[i] * qpower + coeffs[i];
    }
    const double divisors[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
    for (int i = 0; i < 4; ++i)
        K[i] = K[i] * q * sqrt2pi / divisors[i];
    q = std::exp(-pi2 / 2 / z2);
    double k2extra = 0;
    double k3extra = 0;
    const double sqrt3z = std::sqrt(3.0) * z;
    for (std::int64_t k = maxk; k > 0; --k) {
        const double kd = static_cast<double>(k);
        const double qk = std::pow(q, kd * kd);
        k2extra += kd * kd * qk;
        k3extra += (sqrt3z + pi * kd) * (sqrt3z - pi * kd) * kd * kd * qk;
    }
    K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
    K[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
    double sum = 0;
    for (int i = 0; i < 4; ++i)
        sum += K[i] / std::pow(nd, i / 2.0);
    return sum;
}

// The ends of the distribution (Ruben & Gambino 1982), or nullopt between them.
std::optional<double> kolmogorov_sf_closed_form(std::int64_t n, double x) {
    const double nd = static_cast<double>(n);
    const double t = nd * x;
    if (t <= 1.0) {
        if (t <= 0.5)
            return 1.0;
        double cdf = 1;
        if (n <= 140) {
            for (std::int64_t i = 1; i <= n; ++i)
                cdf *= static_cast<double>(i) * (1.0 / nd) * (2 * t - 1);
        } else {
            cdf = std::exp(log_factorial_over_power(nd) + nd * std::log(2 * t - 1));
        }
        return clip01(1.0 - cdf);
    }
    if (t >= nd - 1)
        return clip01(2 * std::pow(1.0 - x, nd));
    if (x >= 0.5)
        return clip01(2 * smirnov_sf(n, x));
    return std::nullopt;
}

} // namespace

std::optional<double> kolmogorov_sf(std::int64_t n, double x) {
    if (n < 1 || std::isnan(x))
        return std::nullopt;
    if (x >= 1.0)
        return 0.0;
    if (x <= 0.0)
        return 1.0;
    if (auto closed = kolmogorov_sf_closed_form(n, x))
        return closed;
    const double nd = static_cast<double>(n);
    const double nx2 = nd * x * x;
    if (n <= 140) {
        if (nx2 <= 4) // SciPy: the Durbin matrix to 0.754693, Pomeranz's recursion to 4
            return clip01(1.0 - kolmogorov_cdf_durbin(n, x));
        return clip01(2 * smirnov_sf(n, x));
    }
    if (nx2 >= 370.0)
        return 0.0;
    if (nx2 >= 2.2)
        return clip01(2 * smirnov_sf(n, x));
    if (n <= 100000 && nd * std::pow(x, 1.5) <= 1.4)
        return clip01(1.0 - kolmogorov_cdf_durbin(n, x));
    return clip01(1.0 - kolmogorov_cdf_pelz_good(n, x));
}

std::optional<KsTest> ks_two_sample(std::span<const double> a, std::span<const double> b) {
    if (a.empty() || b.empty() || !all_finite(a) || !all_finite(b))
        return std::nullopt;
    std::vector<double> x(a.begin(), a.end());
    std::vector<double> y(b.begin(), b.end());
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    KsTest out;
    out.statistic = ks_statistic(x, y);
    const auto n1 = static_cast<std::int64_t>(x.size());
    const auto n2 = static_cast<std::int64_t>(y.size());
    constexpr std::int64_t k_max_exact = 10000; // SciPy's MAX_AUTO_N
    if (std::max(n1, n2) <= k_max_exact) {
        const std::int64_t g = std::gcd(n1, n2);
        const double lcm = static_cast<double>(n1 / g) * static_cast<double>(n2);
        const auto h = static_cast<std::int64_t>(std::nearbyint(out.statistic * lcm));
        const double d = static_cast<double>(h) / lcm;
        double p = 1.0;
        if (h != 0)
            p = n1 == n2 ? prob_outside_square(n1, h) : prob_outside_band(n1, n2, g, h);
        out.statistic = d;      // D on the lattice, as SciPy returns it (also when falling back)
        if (p >= 0 && p <= 1) { // else the sums failed: SciPy falls back as below
            out.p_value = p;
            out.method = KsMethod::exact;
            return out;
        }
    }
    const double big = static_cast<double>(std::max(n1, n2));
    const double small = static_cast<double>(std::min(n1, n2));
    const auto en = static_cast<std::int64_t>(std::nearbyint(big * small / (big + small)));
    out.p_value = clip01(*kolmogorov_sf(std::max<std::int64_t>(en, 1), out.statistic));
    out.method = KsMethod::asymptotic;
    return out;
}

// ---- Jensen-Shannon ----

std::optional<double> jensen_shannon_distance(std::span<const double> p,
                                              std::span<const double> q) {
    if (p.size() != q.size() || p.empty())
        return std::nullopt;
    double sp = 0;
    double sq = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (!(p[i] >= 0) || !(q[i] >= 0) || !std::isfinite(p[i]) || !std::isfinite(q[i]))
            return std::nullopt;
        sp += p[i];
        sq += q[i];
    }
    if (sp == 0 || sq == 0)
        return std::nullopt;
    // SciPy's rel_entr(x, y) = x ln(x / y), 0 when x = 0.
    const auto rel_entr = [](double x, double y) { return x == 0 ? 0.0 : x * std::log(x / y); };
    double left = 0;
    double right = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double pi = p[i] / sp;
        const double qi = q[i] / sq;
        const double mi = (pi + qi) / 2.0;
        left += rel_entr(pi, mi);
        right += rel_entr(qi, mi);
    }
    const double js = (left + right) / std::log(2.0);
    return std::sqrt(std::max(js / 2.0, 0.0));
}

// ---- embeddings ----

namespace {

// The Euclidean distance between `sum_a / n_a` and `sum_b / n_b`.
double mean_distance(const std::vector<double>& sum_a, double n_a, const std::vector<double>& sum_b,
                     double n_b) {
    double s = 0;
    for (std::size_t i = 0; i < sum_a.size(); ++i) {
        const double d = sum_a[i] / n_a - sum_b[i] / n_b;
        s += d * d;
    }
    return std::sqrt(s);
}

double cosine_distance(const std::vector<double>& a, const std::vector<double>& b) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    if (na == 0 || nb == 0)
        return 0;
    return 1 - dot / std::sqrt(na * nb);
}

bool valid_embeddings(std::span<const std::vector<double>> vectors, std::size_t dimension) {
    return std::all_of(vectors.begin(), vectors.end(), [&](const std::vector<double>& v) {
        return v.size() == dimension && all_finite(v);
    });
}

} // namespace

std::optional<EmbeddingShift> embedding_shift(std::span<const std::vector<double>> reference,
                                              std::span<const std::vector<double>> current,
                                              std::size_t permutations, std::uint64_t seed) {
    if (reference.empty() || current.empty() || permutations == 0)
        return std::nullopt;
    const std::size_t dim = reference.front().size();
    if (dim == 0 || !valid_embeddings(reference, dim) || !valid_embeddings(current, dim))
        return std::nullopt;
    std::vector<const std::vector<double>*> pooled;
    for (const auto& v : reference)
        pooled.push_back(&v);
    for (const auto& v : current)
        pooled.push_back(&v);
    std::vector<double> total(dim, 0.0);
    for (const auto* v : pooled)
        for (std::size_t i = 0; i < dim; ++i)
            total[i] += (*v)[i];
    const std::size_t n_ref = reference.size();
    const double nr = static_cast<double>(n_ref);
    const double nc = static_cast<double>(current.size());
    const auto distance_of_split = [&] {
        std::vector<double> ref_sum(dim, 0.0);
        for (std::size_t k = 0; k < n_ref; ++k)
            for (std::size_t i = 0; i < dim; ++i)
                ref_sum[i] += (*pooled[k])[i];
        std::vector<double> cur_sum(dim);
        for (std::size_t i = 0; i < dim; ++i)
            cur_sum[i] = total[i] - ref_sum[i];
        return std::pair{mean_distance(ref_sum, nr, cur_sum, nc), std::move(ref_sum)};
    };
    EmbeddingShift out;
    auto [observed, ref_sum] = distance_of_split();
    std::vector<double> cur_sum(dim);
    for (std::size_t i = 0; i < dim; ++i)
        cur_sum[i] = total[i] - ref_sum[i];
    out.distance = observed;
    out.cosine_distance = cosine_distance(ref_sum, cur_sum); // of the sums: the same angle
    out.permutations = permutations;
    Xoshiro256 rng(seed);
    std::size_t at_least = 0;
    for (std::size_t p = 0; p < permutations; ++p) {
        for (std::size_t i = pooled.size() - 1; i > 0; --i)
            std::swap(pooled[i], pooled[rng.below(i + 1)]);
        if (distance_of_split().first >= observed * (1 - 1e-12))
            ++at_least;
    }
    out.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + permutations);
    return out;
}

} // namespace llmops::stats
