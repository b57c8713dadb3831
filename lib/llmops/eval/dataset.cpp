// Dataset files (SPEC §7): CSV with promptfoo's conventions, JSONL, JSON and YAML. Each file
// becomes raw test cases in the suite's test shape; suite.cpp parses them like inline tests.

#include <llmops/eval/suite.hpp>

#include <algorithm>
#include <charconv>
#include <set>

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

// ---- CSV (RFC 4180) -------------------------------------------------------------------------

struct CsvRecord {
    std::vector<std::string> fields;
    size_t line = 0; // where the record starts, 1-based
};

// Splits `text` into records: fields separated by commas; records by CRLF, LF or a lone CR;
// a field in double quotes may hold commas, line breaks and doubled quotes (""). Completely
// empty lines are skipped. A quote inside an unquoted field is kept as text, as promptfoo's
// relaxed reading does.
class CsvReader {
  public:
    CsvReader(std::string_view text, std::string_view name) : m_text(text), m_name(name) {}

    // Reads the next record into `record`; false at the end of the text.
    Expected<bool> next(CsvRecord& record) {
        while (m_pos < m_text.size()) {
            record.fields.clear();
            record.line = m_line;
            bool quoted_any = false;
            for (;;) {
                std::string field;
                if (peek() == '"') {
                    quoted_any = true;
                    auto ok = quoted(field);
                    if (!ok) {
                        return fail(ok.error());
                    }
                } else {
                    unquoted(field);
                }
                record.fields.push_back(std::move(field));
                if (peek() == ',') {
                    ++m_pos;
                    continue;
                }
                end_of_line();
                break;
            }
            const bool blank = record.fields.size() == 1 && record.fields[0].empty() && !quoted_any;
            if (!blank) {
                return true;
            }
        }
        return false;
    }

  private:
    int peek() const { return m_pos < m_text.size() ? static_cast<unsigned char>(m_text[m_pos]) : -1; }

    bool at_line_end() const { return peek() == '\n' || peek() == '\r' || peek() == -1; }

    void end_of_line() {
        if (peek() == '\r') {
            ++m_pos;
        }
        if (peek() == '\n') {
            ++m_pos;
        }
        ++m_line;
    }

    void unquoted(std::string& field) {
        const size_t start = m_pos;
        while (peek() != ',' && !at_line_end()) {
            ++m_pos;
        }
        field.assign(m_text.substr(start, m_pos - start));
    }

    Expected<void> quoted(std::string& field) {
        const size_t start_line = m_line;
        ++m_pos; // the opening quote
        for (;;) {
            if (peek() == -1) {
                return fail(ErrorCode::invalid_input, "{}:{}: a quoted field is not closed", m_name,
                            start_line);
            }
            const char c = m_text[m_pos++];
            if (c == '"') {
                if (peek() == '"') {
                    field += '"';
                    ++m_pos;
                    continue;
                }
                break;
            }
            if (c == '\n' || (c == '\r' && peek() != '\n')) {
                ++m_line;
            }
            field += c;
        }
        if (peek() != ',' && !at_line_end()) {
            return fail(ErrorCode::invalid_input,
                        "{}:{}: unexpected text after a closing quote (write a quote inside a "
                        "quoted field as \"\")",
                        m_name, m_line);
        }
        return {};
    }

    std::string_view m_text;
    std::string_view m_name;
    size_t m_pos = 0;
    size_t m_line = 1;
};

// promptfoo's assertion types (its BaseAssertionTypes), so that a CSV cell naming one becomes
// that assertion (and a clear "unknown" or "not supported" from parse_assertion) rather than an
// `equals` of the whole text.
const std::vector<std::string> k_promptfoo_types = {
    "answer-relevance",
    "bleu",
    "classifier",
    "contains",
    "contains-all",
    "contains-any",
    "contains-html",
    "contains-json",
    "contains-sql",
    "contains-xml",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "conversation-relevance",
    "cost",
    "equals",
    "factuality",
    "finish-reason",
    "g-eval",
    "gleu",
    "guardrails",
    "icontains",
    "icontains-all",
    "icontains-any",
    "is-html",
    "is-json",
    "is-refusal",
    "is-sql",
    "is-valid-function-call",
    "is-valid-openai-function-call",
    "is-valid-openai-tools-call",
    "is-xml",
    "javascript",
    "latency",
    "levenshtein",
    "llm-rubric",
    "max-score",
    "meteor",
    "model-graded-closedqa",
    "model-graded-factuality",
    "moderation",
    "perplexity",
    "perplexity-score",
    "pi",
    "python",
    "regex",
    "rouge-n",
    "ruby",
    "search-rubric",
    "select-best",
    "similar",
    "starts-with",
    "tool-call-f1",
    "webhook",
    "word-count",
};

const std::vector<std::string>& known_types() {
    static const std::vector<std::string> k_all = [] {
        std::set<std::string> all(k_promptfoo_types.begin(), k_promptfoo_types.end());
        for (auto& name : assertion_type_names()) {
            all.insert(name);
        }
        return std::vector<std::string>(all.begin(), all.end());
    }();
    return k_all;
}

bool is_known_type(std::string_view type) {
    const auto& all = known_types();
    if (std::binary_search(all.begin(), all.end(), type)) {
        return true;
    }
    return type.starts_with("not-") && std::binary_search(all.begin(), all.end(), type.substr(4));
}

bool is_javascript_file(std::string_view spec) {
    std::string_view file = spec;
    const size_t colon = file.rfind(':');
    if (colon != std::string_view::npos && colon > 6 &&
        file.find('/', colon) == std::string_view::npos) {
        file = file.substr(0, colon);
    }
    return file.ends_with(".js") || file.ends_with(".ts") || file.ends_with(".mjs") ||
           file.ends_with(".cjs");
}

bool is_python_file(std::string_view spec) {
    return spec.ends_with(".py") || spec.find(".py:") != std::string_view::npos;
}

std::string trimmed(std::string_view s) {
    return std::string(util::trim(s));
}

std::optional<double> parse_number(std::string_view text) {
    const std::string_view t = util::trim(text);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
        return std::nullopt;
    }
    return value;
}

// promptfoo's assertionFromString: "contains: Paris", "not-icontains:x", "similar(0.8):text",
// "contains-any: a, b", "is-json", "python: ...", "grade: ...", plain text meaning `equals`.
// Unlike promptfoo, the value is trimmed ("contains: Paris" looks for "Paris"), and a prefix one
// typo away from a type ("containz: x") is reported instead of becoming `equals`. Types llmops
// refuses (javascript) are mapped anyway, so parse_assertion says why in one place.
json assertion_from_string(const std::string& text) {
    for (std::string_view js : {"javascript:", "fn:", "eval:"}) {
        if (text.starts_with(js)) {
            return json{{"type", "javascript"}, {"value", trimmed(text.substr(js.size()))}};
        }
    }
    if (text.starts_with("file://") && is_javascript_file(text)) {
        return json{{"type", "javascript"}, {"value", trimmed(text)}};
    }
    if (text.starts_with("file://") && is_python_file(text)) {
        return json{{"type", "python"}, {"value", trimmed(text)}};
    }
    if (text.starts_with("grade:")) {
        return json{{"type", "llm-rubric"}, {"value", trimmed(text.substr(6))}};
    }
    // <type>[(<threshold>)][:<value>]
    size_t end = 0;
    while (end < text.size() &&
           (std::islower(static_cast<unsigned char>(text[end])) ||
            std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-')) {
        ++end;
    }
    const std::string type = text.substr(0, end);
    const std::string bare = type.starts_with("not-") ? type.substr(4) : type;
    std::optional<double> threshold;
    size_t rest = end;
    if (rest < text.size() && text[rest] == '(') {
        const size_t close = text.find(')', rest);
        if (close != std::string::npos) {
            threshold = parse_number(std::string_view(text).substr(rest + 1, close - rest - 1));
            if (threshold) {
                rest = close + 1;
            }
        }
    }
    const bool shaped = !type.empty() && (rest == text.size() || text[rest] == ':');
    // The typo check (an edit distance to every type name) runs only for unknown prefixes: it
    // dominated loading 100,000-case datasets when it ran for every cell.
    const bool known = shaped && is_known_type(type);
    const bool typo =
        shaped && !known && rest < text.size() && util::closest_match(bare, known_types());
    if (!shaped || (!known && !typo)) {
        return json{{"type", "equals"}, {"value", text}};
    }
    json entry{{"type", type}};
    if (threshold) {
        entry["threshold"] = *threshold;
    }
    if (rest < text.size()) {
        std::string value = trimmed(std::string_view(text).substr(rest + 1));
        // is-json and contains-json read a non-empty value as a JSON schema.
        if (!value.empty() || (bare != "is-json" && bare != "contains-json")) {
            entry["value"] = std::move(value);
        }
    }
    return entry;
}

// What a CSV column holds.
struct Column {
    enum class Kind { var, expected, description, id, threshold, metric, metadata, config };
    Kind kind = Kind::var;
    std::string name;   // as written (trimmed)
    std::string key;    // metadata: the key; config: the assertion setting
    bool list = false;  // metadata `key[]`
    std::string target; // config: "__expected" (every assertion) or "__expectedN"
};

const std::vector<std::string> k_special_columns = {
    "__expected", "__description", "__id", "__threshold", "__metric", "__metadata:", "__config:"};

Expected<Column> classify_column(const std::string& name, const std::vector<std::string>& header,
                                 std::string_view where) {
    using Kind = Column::Kind;
    Column c;
    c.name = name;
    if (name.starts_with("__expected")) {
        c.kind = Kind::expected;
    } else if (name == "__description") {
        c.kind = Kind::description;
    } else if (name == "__id") {
        c.kind = Kind::id;
    } else if (name == "__threshold") {
        c.kind = Kind::threshold;
    } else if (name == "__metric") {
        c.kind = Kind::metric;
    } else if (name == "__metadata" || name.starts_with("__metadata:")) {
        c.kind = Kind::metadata;
        c.key = name.size() > 11 ? name.substr(11) : "";
        if (c.key.ends_with("[]")) {
            c.list = true;
            c.key.resize(c.key.size() - 2);
        }
        if (c.key.empty()) {
            return fail(ErrorCode::invalid_input,
                        "{}: column '{}' needs a key, as in '__metadata:category'", where, name);
        }
    } else if (name.starts_with("__config:")) {
        c.kind = Kind::config;
        const std::string spec = name.substr(9);
        const size_t colon = spec.find(':');
        c.target = spec.substr(0, colon);
        c.key = colon == std::string::npos ? "" : spec.substr(colon + 1);
        if (!c.target.starts_with("__expected") ||
            (c.key != "threshold" && c.key != "weight" && c.key != "metric")) {
            return fail(ErrorCode::invalid_input,
                        "{}: column '{}': write '__config:__expected:<key>' or "
                        "'__config:__expectedN:<key>' with threshold, weight or metric",
                        where, name);
        }
        if (c.target != "__expected" &&
            std::find(header.begin(), header.end(), c.target) == header.end()) {
            return fail(ErrorCode::invalid_input,
                        "{}: column '{}' names '{}', which is not a column", where, name, c.target);
        }
    } else if (name == "__prefix" || name == "__suffix" || name == "__providerOutput") {
        return fail(ErrorCode::invalid_input,
                    "{}: column '{}' is a promptfoo column llmops does not support", where, name);
    } else if (name.starts_with("__")) {
        return fail(ErrorCode::invalid_input, "{}: unknown column '{}'{}", where, name,
                    util::did_you_mean(name, k_special_columns));
    } else if (name.starts_with("_") && !name.starts_with("__")) {
        // promptfoo warns about `_expected` and friends; a variable by mistake is worse.
        for (std::string_view special : {"_expected", "_description", "_threshold", "_metric",
                                         "_metadata", "_prefix", "_suffix", "_providerOutput"}) {
            if (name.starts_with(special)) {
                return fail(ErrorCode::invalid_input,
                            "{}: unknown column '{}' (did you mean '_{}'?)", where, name, name);
            }
        }
    }
    return c;
}

// Splits a `__metadata:key[]` cell at commas; `\,` is a comma inside a value.
json metadata_list(std::string_view cell) {
    json out = json::array();
    std::string piece;
    auto flush = [&] {
        if (!util::trim(piece).empty()) {
            out.push_back(trimmed(piece));
        }
        piece.clear();
    };
    for (size_t i = 0; i < cell.size(); ++i) {
        if (cell[i] == '\\' && i + 1 < cell.size() && cell[i + 1] == ',') {
            piece += ',';
            ++i;
        } else if (cell[i] == ',') {
            flush();
        } else {
            piece += cell[i];
        }
    }
    flush();
    return out;
}

// One CSV row as a raw case in the suite's test shape.
Expected<detail::RawCase> case_from_row(const CsvRecord& row, const std::vector<Column>& columns,
                                        std::string_view name) {
    using Kind = Column::Kind;
    detail::RawCase raw;
    raw.where = fmt::format("{}:{}", name, row.line);
    json entry{{"vars", json::object()}};
    json asserts = json::array();
    std::string metric;
    for (size_t i = 0; i < columns.size(); ++i) {
        const Column& col = columns[i];
        const std::string& cell = row.fields[i];
        switch (col.kind) {
        case Kind::var: entry["vars"][col.name] = cell; break;
        case Kind::expected: {
            if (util::trim(cell).empty()) {
                break;
            }
            asserts.push_back(assertion_from_string(cell));
            raw.assert_names.push_back(col.name);
            break;
        }
        case Kind::description:
        case Kind::id:
            if (!util::trim(cell).empty()) {
                entry[col.kind == Kind::id ? "id" : "description"] = cell;
            }
            break;
        case Kind::threshold:
            if (!util::trim(cell).empty()) {
                const auto t = parse_number(cell);
                if (!t) {
                    return fail(ErrorCode::invalid_input, "{}: '{}' must be a number, not '{}'",
                                raw.where, col.name, cell);
                }
                entry["threshold"] = *t;
            }
            break;
        case Kind::metric: metric = trimmed(cell); break;
        case Kind::metadata:
            if (!util::trim(cell).empty()) {
                entry["metadata"][col.key] = col.list ? metadata_list(cell) : json(cell);
            }
            break;
        case Kind::config: break; // applied below, once every assertion exists
        }
    }
    if (!metric.empty()) {
        for (auto& a : asserts) {
            if (!a.contains("metric")) {
                a["metric"] = metric;
            }
        }
    }
    for (size_t i = 0; i < columns.size(); ++i) {
        const Column& col = columns[i];
        const std::string& cell = row.fields[i];
        if (col.kind != Kind::config || util::trim(cell).empty()) {
            continue;
        }
        json value = trimmed(cell);
        if (col.key != "metric") {
            const auto n = parse_number(cell);
            if (!n) {
                return fail(ErrorCode::invalid_input, "{}: '{}' must be a number, not '{}'",
                            raw.where, col.name, cell);
            }
            value = *n;
        }
        for (size_t a = 0; a < asserts.size(); ++a) {
            if (col.target == "__expected" || raw.assert_names[a] == col.target) {
                asserts[a][col.key] = value;
            }
        }
    }
    if (!asserts.empty()) {
        entry["assert"] = std::move(asserts);
    }
    raw.entry = std::move(entry);
    return raw;
}

// ---- Readers: one raw case at a time ---------------------------------------------------------

// A CSV file: the header classified once, then one row per case.
class CsvCaseReader final : public detail::RawCaseReader {
  public:
    static Expected<std::unique_ptr<detail::RawCaseReader>> open(std::string text, std::string name) {
        auto reader = std::unique_ptr<CsvCaseReader>(new CsvCaseReader(std::move(text), std::move(name)));
        if (auto ok = reader->read_header(); !ok) {
            return fail(ok.error());
        }
        return std::unique_ptr<detail::RawCaseReader>(std::move(reader));
    }

    Expected<bool> next(detail::RawCase& out) override {
        if (m_columns.empty()) {
            return false; // no header: an empty file
        }
        auto more = m_reader.next(m_row);
        if (!more || !*more) {
            return more;
        }
        if (m_row.fields.size() != m_columns.size()) {
            return fail(ErrorCode::invalid_input, "{}:{}: row has {} field{}, the header has {}",
                        m_name, m_row.line, m_row.fields.size(), m_row.fields.size() == 1 ? "" : "s",
                        m_columns.size());
        }
        auto c = case_from_row(m_row, m_columns, m_name);
        if (!c) {
            return fail(c.error());
        }
        out = std::move(*c);
        return true;
    }

  private:
    CsvCaseReader(std::string text, std::string name)
        : m_text(std::move(text)), m_name(std::move(name)), m_reader(body(m_text), m_name) {}

    static std::string_view body(std::string_view text) {
        if (text.starts_with("\xEF\xBB\xBF")) {
            text.remove_prefix(3); // a byte order mark, as spreadsheet programs write
        }
        return text;
    }

    Expected<void> read_header() {
        if (const auto bad = util::find_invalid_utf8(body(m_text))) {
            const auto [line, column] = util::line_and_column(body(m_text), *bad);
            return fail(ErrorCode::invalid_input, "{}:{}:{}: invalid UTF-8", m_name, line, column);
        }
        CsvRecord header;
        auto found = m_reader.next(header);
        if (!found) {
            return fail(found.error());
        }
        if (!*found) {
            return {};
        }
        const std::string header_where = fmt::format("{}:{}", m_name, header.line);
        std::vector<std::string> names;
        for (size_t i = 0; i < header.fields.size(); ++i) {
            std::string column = trimmed(header.fields[i]);
            if (column.empty()) {
                return fail(ErrorCode::invalid_input, "{}: column {} has no name", header_where, i + 1);
            }
            if (std::find(names.begin(), names.end(), column) != names.end()) {
                return fail(ErrorCode::invalid_input, "{}: column '{}' appears twice", header_where,
                            column);
            }
            names.push_back(std::move(column));
        }
        for (const auto& column : names) {
            auto c = classify_column(column, names, header_where);
            if (!c) {
                return fail(c.error());
            }
            m_columns.push_back(std::move(*c));
        }
        return {};
    }

    std::string m_text; // the whole file: cases are parsed from it one at a time
    std::string m_name;
    CsvReader m_reader;
    std::vector<Column> m_columns;
    CsvRecord m_row;
};

// A JSONL file: one case per non-blank line.
class JsonlCaseReader final : public detail::RawCaseReader {
  public:
    JsonlCaseReader(std::string text, std::string name) : m_text(std::move(text)), m_name(std::move(name)) {}

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
            auto value = util::parse_json(line, m_name, m_line);
            if (!value) {
                return fail(value.error());
            }
            out = {std::move(*value), fmt::format("{}:{}", m_name, m_line), {}};
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
            return fail(ErrorCode::invalid_input, "{}: a dataset must be a list of test cases", name);
        }
        return std::unique_ptr<detail::RawCaseReader>(new DocumentCaseReader(std::move(doc), std::move(name)));
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
    DocumentCaseReader(json doc, std::string name) : m_doc(std::move(doc)), m_name(std::move(name)) {}
    json m_doc;
    std::string m_name;
    size_t m_index = 0;
};

Expected<std::unique_ptr<detail::RawCaseReader>> open_json(std::string text, std::string name) {
    auto doc = util::parse_json(text, name);
    if (!doc) {
        return fail(doc.error());
    }
    return DocumentCaseReader::open(std::move(*doc), std::move(name));
}

Expected<std::unique_ptr<detail::RawCaseReader>> open_yaml(std::string text, std::string name) {
    auto doc = util::parse_yaml(text, name);
    if (!doc) {
        return fail(doc.error());
    }
    return DocumentCaseReader::open(std::move(*doc), std::move(name));
}

Expected<std::unique_ptr<detail::RawCaseReader>> open_jsonl(std::string text, std::string name) {
    return std::unique_ptr<detail::RawCaseReader>(new JsonlCaseReader(std::move(text), std::move(name)));
}

} // namespace

namespace detail {

Expected<std::unique_ptr<RawCaseReader>> open_dataset(const fs::path& path, std::string* content_hash) {
    std::string name = path.string();
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    using Opener = Expected<std::unique_ptr<RawCaseReader>> (*)(std::string, std::string);
    Opener opener = ext == ".csv"                     ? CsvCaseReader::open
                    : ext == ".jsonl"                 ? open_jsonl
                    : ext == ".json"                  ? open_json
                    : ext == ".yaml" || ext == ".yml" ? open_yaml
                                                      : nullptr;
    if (!opener) {
        return fail(ErrorCode::invalid_input,
                    "{}: unsupported dataset format '{}' (use .csv, .jsonl, .json, .yaml or .yml)",
                    name, ext.empty() ? path.filename().string() : ext);
    }
    auto text = util::read_file(path);
    if (!text) {
        return fail(text.error());
    }
    if (content_hash) {
        *content_hash = util::sha256_hex(*text);
    }
    return opener(std::move(*text), std::move(name));
}

Expected<std::vector<RawCase>> read_dataset(const fs::path& path) {
    auto reader = open_dataset(path, nullptr);
    if (!reader) {
        return fail(reader.error());
    }
    std::vector<RawCase> cases;
    for (;;) {
        RawCase raw;
        auto more = (*reader)->next(raw);
        if (!more) {
            return fail(more.error());
        }
        if (!*more) {
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
    auto raws = detail::read_dataset(path);
    if (!raws) {
        return fail(raws.error());
    }
    std::vector<detail::CaseDraft> drafts;
    for (const auto& raw : *raws) {
        auto draft = detail::parse_case(raw, base_dir, detail::CaseKind::test);
        if (!draft) {
            return fail(draft.error());
        }
        drafts.push_back(std::move(*draft));
    }
    return detail::finalize_cases(drafts, detail::CaseDraft{});
}

} // namespace llmops::eval
