// CSV records (RFC 4180, read as promptfoo's relaxed parser does): see csv.hpp.

#include <llmops/eval/csv.hpp>

namespace llmops::eval::detail {

Expected<bool> CsvReader::next(CsvRecord& record) {
    while (m_pos < m_text.size()) {
        record.fields.clear();
        record.line = m_line;
        bool quoted_any = false;
        for (;;) {
            std::string field;
            if (peek() == '"') {
                quoted_any = true;
                LLMOPS_TRY(quoted(field));
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

void CsvReader::end_of_line() {
    if (peek() == '\r') {
        ++m_pos;
    }
    if (peek() == '\n') {
        ++m_pos;
    }
    ++m_line;
}

void CsvReader::unquoted(std::string& field) {
    const size_t start = m_pos;
    while (peek() != ',' && !at_line_end()) {
        ++m_pos;
    }
    field.assign(m_text.substr(start, m_pos - start));
}

Expected<void> CsvReader::quoted(std::string& field) {
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

} // namespace llmops::eval::detail
