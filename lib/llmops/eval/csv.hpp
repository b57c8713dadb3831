#pragma once
// Internal to the eval module: CSV records (RFC 4180) for dataset files (dataset_csv.cpp).
// Knows nothing of what the columns mean.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::eval::detail {

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
    // `text` must outlive the reader; `name` is the file as named in messages.
    CsvReader(std::string_view text, std::string_view name) : m_text(text), m_name(name) {}

    // Reads the next record into `record`; false at the end of the text. Fails with
    // `invalid_input` ("cases.csv:4: a quoted field is not closed").
    Expected<bool> next(CsvRecord& record);

private:
    int peek() const {
        return m_pos < m_text.size() ? static_cast<unsigned char>(m_text[m_pos]) : -1;
    }

    bool at_line_end() const { return peek() == '\n' || peek() == '\r' || peek() == -1; }

    void end_of_line();
    void unquoted(std::string& field);
    Expected<void> quoted(std::string& field);

    std::string_view m_text;
    std::string_view m_name;
    size_t m_pos = 0;
    size_t m_line = 1;
};

} // namespace llmops::eval::detail
