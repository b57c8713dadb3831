// CSV datasets with promptfoo's conventions (SPEC §7): columns are variables, `__expected`
// cells are assertions written as text, `__description`, `__id`, `__threshold`, `__metric`,
// `__metadata:<key>` and `__config:__expectedN:<key>` columns; each row becomes a raw case in the
// suite's test shape.

#include <llmops/eval/suite_detail.hpp>

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include <llmops/eval/csv.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::detail {

namespace {

using nlohmann::json;

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

// A `__config:__expected[N]:<key>` column named `c.name`: its target and key into `c`.
Expected<void> classify_config_column(Column& c, const std::vector<std::string>& header,
                                      std::string_view where) {
    const std::string& name = c.name;
    c.kind = Column::Kind::config;
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
        return fail(ErrorCode::invalid_input, "{}: column '{}' names '{}', which is not a column",
                    where, name, c.target);
    }
    return {};
}

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
        LLMOPS_TRY(classify_config_column(c, header, where));
    } else if (name == "__prefix" || name == "__suffix" || name == "__providerOutput") {
        return fail(ErrorCode::invalid_input,
                    "{}: promptfoo's column '{}' is not supported by llmops; remove it", where,
                    name);
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

// The settings of a row's assertions, once every assertion exists: the `__metric` cell
// (`metric`) on those without one, then the `__config:__expected[N]:<key>` cells of `row` on the
// assertions they name in `asserts` (whose columns are `raw.assert_names`).
Expected<void> apply_assertion_settings(const CsvRecord& row, const std::vector<Column>& columns,
                                        const detail::RawCase& raw, const std::string& metric,
                                        json& asserts) {
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
        if (col.kind != Column::Kind::config || util::trim(cell).empty()) {
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
    return {};
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
    LLMOPS_TRY(apply_assertion_settings(row, columns, raw, metric, asserts));
    if (!asserts.empty()) {
        entry["assert"] = std::move(asserts);
    }
    raw.entry = std::move(entry);
    return raw;
}

// A CSV file: the header classified once, then one row per case.
class CsvCaseReader final : public RawCaseReader {
public:
    static Expected<std::unique_ptr<detail::RawCaseReader>> open(std::string text,
                                                                 std::string name) {
        auto reader =
            std::unique_ptr<CsvCaseReader>(new CsvCaseReader(std::move(text), std::move(name)));
        LLMOPS_TRY(reader->read_header());
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
                        m_name, m_row.line, m_row.fields.size(),
                        m_row.fields.size() == 1 ? "" : "s", m_columns.size());
        }
        out = LLMOPS_TRY(case_from_row(m_row, m_columns, m_name));
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
        auto found = LLMOPS_TRY(m_reader.next(header));
        if (!found) {
            return {};
        }
        const std::string header_where = fmt::format("{}:{}", m_name, header.line);
        std::vector<std::string> names;
        for (size_t i = 0; i < header.fields.size(); ++i) {
            std::string column = trimmed(header.fields[i]);
            if (column.empty()) {
                return fail(ErrorCode::invalid_input, "{}: column {} has no name", header_where,
                            i + 1);
            }
            if (std::find(names.begin(), names.end(), column) != names.end()) {
                return fail(ErrorCode::invalid_input, "{}: column '{}' appears twice", header_where,
                            column);
            }
            names.push_back(std::move(column));
        }
        for (const auto& column : names) {
            m_columns.push_back(LLMOPS_TRY(classify_column(column, names, header_where)));
        }
        return {};
    }

    std::string m_text; // the whole file: cases are parsed from it one at a time
    std::string m_name;
    CsvReader m_reader;
    std::vector<Column> m_columns;
    CsvRecord m_row;
};

} // namespace

Expected<std::unique_ptr<RawCaseReader>> open_csv_dataset(std::string text, std::string name) {
    return CsvCaseReader::open(std::move(text), std::move(name));
}

} // namespace llmops::eval::detail
