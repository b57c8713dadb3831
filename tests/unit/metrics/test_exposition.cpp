// The Prometheus text exposition writer (metrics/exposition.hpp): escaping, values, histograms.

#include <cmath>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include <llmops/metrics/exposition.hpp>

using namespace llmops;
using metrics::Family;
using metrics::MetricType;

TEST_SUITE("metrics") {
    TEST_CASE("metrics::escape_label_value") {
        CHECK(metrics::escape_label_value("plain") == "plain");
        CHECK(metrics::escape_label_value("a\\b") == "a\\\\b");
        CHECK(metrics::escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
        CHECK(metrics::escape_label_value("two\nlines") == "two\\nlines");
        SUBCASE("invalid UTF-8 is replaced, valid UTF-8 kept") {
            CHECK(metrics::escape_label_value("caf\xc3\xa9") == "caf\xc3\xa9");
            CHECK(metrics::escape_label_value("bad\xff") == "bad\xef\xbf\xbd");
        }
    }

    TEST_CASE("metrics::escape_help keeps quotes") {
        CHECK(metrics::escape_help("a \"b\" \\ c\nd") == "a \"b\" \\\\ c\\nd");
    }

    TEST_CASE("metrics::format_value") {
        CHECK(metrics::format_value(12) == "12");
        CHECK(metrics::format_value(0) == "0");
        CHECK(metrics::format_value(0.75) == "0.75");
        CHECK(metrics::format_value(1.5e-7) == "1.5e-07");
        CHECK(metrics::format_value(std::nan("")) == "NaN");
        CHECK(metrics::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
        CHECK(metrics::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
        CHECK(metrics::format_value(1e300) == "1e+300");
    }

    TEST_CASE("metrics::write_exposition") {
        Family gauge{"llmops_x_ratio", "A ratio\nof things", MetricType::gauge};
        gauge.samples.push_back({{{"suite", "a \"b\""}, {"variant", "v\\1"}}, 0.5});
        gauge.samples.push_back({{}, 1});
        Family counter{"llmops_y_total", "Ys", MetricType::counter};
        Family histogram{"llmops_z_seconds", "Zs", MetricType::histogram};
        histogram.bounds = {0.1, 1};
        histogram.histograms.push_back({{{"model", "m"}}, {2, 0, 1}, 5.25});
        CHECK(metrics::write_exposition({gauge, counter, histogram}) ==
              "# HELP llmops_x_ratio A ratio\\nof things\n"
              "# TYPE llmops_x_ratio gauge\n"
              "llmops_x_ratio{suite=\"a \\\"b\\\"\",variant=\"v\\\\1\"} 0.5\n"
              "llmops_x_ratio 1\n"
              "# HELP llmops_y_total Ys\n"
              "# TYPE llmops_y_total counter\n"
              "# HELP llmops_z_seconds Zs\n"
              "# TYPE llmops_z_seconds histogram\n"
              "llmops_z_seconds_bucket{model=\"m\",le=\"0.1\"} 2\n"
              "llmops_z_seconds_bucket{model=\"m\",le=\"1\"} 2\n"
              "llmops_z_seconds_bucket{model=\"m\",le=\"+Inf\"} 3\n"
              "llmops_z_seconds_sum{model=\"m\"} 5.25\n"
              "llmops_z_seconds_count{model=\"m\"} 3\n");
    }
}
