#include "support/temp_dir.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <doctest/doctest.h>

namespace llmops::test {

namespace {

// Counts failed assertions, so a TempDir can tell whether its test failed while it lived.
int& failed_assertions() {
    static int count = 0;
    return count;
}

struct FailureCounter : doctest::IReporter {
    explicit FailureCounter(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override { ++failed_assertions(); }
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& data) override {
        if (data.m_failed) {
            ++failed_assertions();
        }
    }
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("failure_counter", 1, FailureCounter);

} // namespace

TempDir::TempDir() : m_failures_at_start(failed_assertions()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "llmops-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    m_path = tmpl;
    // Readable by others, so a test may run the binary as an unprivileged user.
    std::filesystem::permissions(m_path, std::filesystem::perms(0755));
}

TempDir::~TempDir() {
    if (failed_assertions() != m_failures_at_start) {
        std::fprintf(stderr, "test failed: keeping %s\n", m_path.c_str());
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path TempDir::write(std::string_view rel, std::string_view content) const {
    const auto path = m_path / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
    return path;
}

std::string TempDir::read(std::string_view rel) const {
    std::ifstream in(m_path / rel, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace llmops::test
