// Dataset files (SPEC §7): CSV with promptfoo's conventions (dataset_csv.cpp), JSONL, JSON and
// YAML. Each file becomes raw test cases in the suite's test shape; case_draft.cpp parses them
// like inline tests.

#include <llmops/eval/suite_detail.hpp>

#include <fmt/format.h>

#include <llmops/util/files.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---- Readers: one raw case at a time ---------------------------------------------------------

// A JSONL file: one case per non-blank line.
class JsonlCaseReader final : public detail::RawCaseReader {
public:
    JsonlCaseReader(std::string text, std::string name)
        : m_text(std::move(text)), m_name(std::move(name)) {}

    Expected<bool> next(detail::RawCase& out) override {
        const std::string_view text = m_text;
        while (m_pos < text.size()) {
            size_t end = text.find('\n', m_pos);
            if (end == std::string_view::npos) {
                end = text.size();
            }
            std::string_view line = text.substr(m_pos, end - m_pos);
            m_pos = end + 1;
            ++m_line;
            if (line.ends_with('\r')) {
                line.remove_suffix(1);
            }
            if (util::trim(line).empty()) {
                continue;
            }
            auto value = LLMOPS_TRY(util::parse_json(line, m_name, m_line));
            out = {std::move(value), fmt::format("{}:{}", m_name, m_line), {}};
            return true;
        }
        return false;
    }

private:
    std::string m_text;
    std::string m_name;
    size_t m_pos = 0;
    size_t m_line = 0;
};

// A JSON or YAML document (a list of test cases, or one), parsed whole.
class DocumentCaseReader final : public detail::RawCaseReader {
public:
    static Expected<std::unique_ptr<detail::RawCaseReader>> open(json doc, std::string name) {
        if (!doc.is_null() && !doc.is_object() && !doc.is_array()) {
            return fail(ErrorCode::invalid_input, "{}: a dataset must be a list of test cases",
                        name);
        }
        return std::unique_ptr<detail::RawCaseReader>(
            new DocumentCaseReader(std::move(doc), std::move(name)));
    }

    Expected<bool> next(detail::RawCase& out) override {
        if (m_doc.is_object()) {
            if (m_index++ > 0) {
                return false;
            }
            out = {m_doc, m_name, {}};
            return true;
        }
        if (!m_doc.is_array() || m_index >= m_doc.size()) {
            return false;
        }
        out = {m_doc[m_index], fmt::format("{}: [{}]", m_name, m_index), {}};
        ++m_index;
        return true;
    }

private:
    DocumentCaseReader(json doc, std::string name)
        : m_doc(std::move(doc)), m_name(std::move(name)) {}
    json m_doc;
    std::string m_name;
    size_t m_index = 0;
};

Expected<std::unique_ptr<detail::RawCaseReader>> open_json(std::string text, std::string name) {
    auto doc = LLMOPS_TRY(util::parse_json(text, name));
    return DocumentCaseReader::open(std::move(doc), std::move(name));
}

Expected<std::unique_ptr<detail::RawCaseReader>> open_yaml(std::string text, std::string name) {
    auto doc = LLMOPS_TRY(util::parse_yaml(text, name));
    return DocumentCaseReader::open(std::move(doc), std::move(name));
}

Expected<std::unique_ptr<detail::RawCaseReader>> open_jsonl(std::string text, std::string name) {
    return std::unique_ptr<detail::RawCaseReader>(
        new JsonlCaseReader(std::move(text), std::move(name)));
}

} // namespace

namespace detail {

Expected<std::unique_ptr<RawCaseReader>> open_dataset(const fs::path& path,
                                                      std::string* content_hash) {
    std::string name = path.string();
    const std::string ext = lower_extension(path);
    using Opener = Expected<std::unique_ptr<RawCaseReader>> (*)(std::string, std::string);
    Opener opener = ext == ".csv"                     ? open_csv_dataset
                    : ext == ".jsonl"                 ? open_jsonl
                    : ext == ".json"                  ? open_json
                    : ext == ".yaml" || ext == ".yml" ? open_yaml
                                                      : nullptr;
    if (!opener) {
        return fail(ErrorCode::invalid_input,
                    "{}: unsupported dataset format '{}' (use .csv, .jsonl, .json, .yaml or .yml)",
                    name, ext.empty() ? path.filename().string() : ext);
    }
    auto text = LLMOPS_TRY(util::read_file(path));
    if (content_hash) {
        *content_hash = util::sha256_hex(text);
    }
    return opener(std::move(text), std::move(name));
}

Expected<std::vector<RawCase>> read_dataset(const fs::path& path) {
    auto reader = LLMOPS_TRY(open_dataset(path, nullptr));
    std::vector<RawCase> cases;
    for (;;) {
        RawCase raw;
        auto more = LLMOPS_TRY(reader->next(raw));
        if (!more) {
            break;
        }
        cases.push_back(std::move(raw));
    }
    if (cases.empty()) {
        return fail(ErrorCode::invalid_input, "{}: the dataset is empty", path.string());
    }
    return cases;
}

} // namespace detail

Expected<std::vector<TestCase>> load_dataset(const fs::path& path, const fs::path& base_dir) {
    auto raws = LLMOPS_TRY(detail::read_dataset(path));
    std::vector<detail::CaseDraft> drafts;
    for (const auto& raw : raws) {
        drafts.push_back(LLMOPS_TRY(detail::parse_case(raw, base_dir, detail::CaseKind::test)));
    }
    return detail::finalize_cases(drafts, detail::CaseDraft{});
}

} // namespace llmops::eval
