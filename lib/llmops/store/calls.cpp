#include <llmops/store/calls.hpp>

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include <llmops/util/time.hpp>

namespace llmops::store {

namespace {

constexpr int64_t k_ns_per_second = 1'000'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// Reads exactly `width` digits at `pos` of `text` into `out`, advancing `pos`.
bool digits(std::string_view text, size_t& pos, size_t width, int64_t& out) {
    if (pos + width > text.size()) {
        return false;
    }
    out = 0;
    for (size_t i = 0; i < width; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        out = out * 10 + (c - '0');
    }
    pos += width;
    return true;
}

// Reads the optional `.fff...` fraction and the zone (`Z`, `+HH:MM`, `-HHMM` or none) after the
// seconds; returns the nanoseconds of the fraction minus the zone's offset.
std::optional<int64_t> fraction_and_zone(std::string_view text, size_t pos) {
    int64_t ns = 0;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int64_t scale = k_ns_per_second / 10;
        const size_t start = pos;
        for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
            ns += (text[pos] - '0') * scale;
            scale /= 10;
        }
        if (pos == start) {
            return std::nullopt;
        }
    }
    if (pos == text.size() || text.substr(pos) == "Z" || text.substr(pos) == "z") {
        return ns;
    }
    const int sign = text[pos] == '+' ? -1 : text[pos] == '-' ? 1 : 0;
    int64_t hours = 0;
    int64_t minutes = 0;
    ++pos;
    if (sign == 0 || !digits(text, pos, 2, hours)) {
        return std::nullopt;
    }
    if (pos < text.size() && text[pos] == ':') {
        ++pos;
    }
    if (!digits(text, pos, 2, minutes) || pos != text.size()) {
        return std::nullopt;
    }
    return ns + sign * (hours * 3600 + minutes * 60) * k_ns_per_second;
}

} // namespace

std::string iso8601_from_unix_ns(int64_t unix_ns) {
    int64_t seconds = unix_ns / k_ns_per_second;
    int64_t ns = unix_ns % k_ns_per_second;
    if (ns < 0) {
        ns += k_ns_per_second;
        --seconds;
    }
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns / 1'000'000);
}

std::optional<int64_t> parse_iso8601_ns(std::string_view text) {
    size_t pos = 0;
    int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
        !digits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
        !digits(text, pos, 2, day) || month < 1 || month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    if (pos < text.size()) {
        if ((text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') ||
            !digits(text, ++pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
            !digits(text, pos, 2, minute) || pos >= text.size() || text[pos++] != ':' ||
            !digits(text, pos, 2, second) || hour > 23 || minute > 59 || second > 60) {
            return std::nullopt;
        }
    }
    auto rest = fraction_and_zone(text, pos);
    if (!rest) {
        return std::nullopt;
    }
    const int64_t days = days_from_civil(year, month, day);
    return (days * 86400 + hour * 3600 + minute * 60 + second) * k_ns_per_second + *rest;
}

Expected<void> CallWriter::add(CallRecord call) {
    m_pending.push_back(std::move(call));
    if (m_pending.size() >= k_batch) {
        return flush();
    }
    return {};
}

Expected<void> CallWriter::flush() {
    if (m_pending.empty()) {
        return {};
    }
    auto tx = LLMOPS_TRY(Transaction::begin(*m_db));
    auto stmt = LLMOPS_TRY(m_db->prepare(
        "INSERT OR IGNORE INTO calls(span_id, trace_id, time_unix_ns, time, prompt, "
        "prompt_version, model, provider, operation, vars, messages, output, input_tokens, "
        "output_tokens, latency_ms, cost_usd, error, error_message, user_id, session_id, "
        "feedback, source, attributes, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"));
    const std::string now = util::now_iso8601();
    int64_t inserted = 0;
    for (const auto& c : m_pending) {
        stmt.reset();
        stmt.bind(1, c.span_id).bind(2, c.trace_id).bind(3, c.time_unix_ns);
        stmt.bind(4, iso8601_from_unix_ns(c.time_unix_ns)).bind(5, c.prompt);
        stmt.bind(6, c.prompt_version).bind(7, c.model).bind(8, c.provider).bind(9, c.operation);
        stmt.bind_static(10, c.vars).bind_static(11, c.messages);
        if (c.output) {
            stmt.bind_static(12, *c.output);
        } else {
            stmt.bind(12, std::nullopt);
        }
        stmt.bind(13, c.input_tokens).bind(14, c.output_tokens).bind_real(15, c.latency_ms);
        stmt.bind_real(16, c.cost_usd).bind(17, int64_t{c.error ? 1 : 0});
        stmt.bind(18, c.error_message).bind(19, c.user_id).bind(20, c.session_id);
        stmt.bind_real(21, c.feedback).bind(22, c.source).bind_static(23, c.attributes);
        stmt.bind(24, now);
        LLMOPS_TRY(stmt.run());
        inserted += m_db->changes();
    }
    stmt.reset(); // drops the bindings to the pending calls' texts before they go
    LLMOPS_TRY(tx.commit());
    m_inserted += inserted;
    m_duplicates += static_cast<int64_t>(m_pending.size()) - inserted;
    m_pending.clear();
    return {};
}

namespace {

CallRecord read_call(const Statement& row) {
    CallRecord c;
    c.span_id = row.text(0);
    c.trace_id = row.text(1);
    c.time_unix_ns = row.integer(2);
    c.time = row.text(3);
    c.prompt = row.text(4);
    c.prompt_version = row.text(5);
    c.model = row.text(6);
    c.provider = row.text(7);
    c.operation = row.text(8);
    c.vars = row.text(9);
    c.messages = row.text(10);
    c.output = row.optional_text(11);
    c.input_tokens = row.optional_integer(12);
    c.output_tokens = row.optional_integer(13);
    c.latency_ms = row.optional_real(14);
    c.cost_usd = row.optional_real(15);
    c.error = row.integer(16) != 0;
    c.error_message = row.text(17);
    c.user_id = row.text(18);
    c.session_id = row.text(19);
    c.feedback = row.optional_real(20);
    c.source = row.text(21);
    c.attributes = row.text(22);
    return c;
}

} // namespace

Expected<CallRecord> find_call(Database& db, std::string_view span_id) {
    // substr, not LIKE: a span id may hold '%' or '_' (JSONL ids are the user's).
    auto stmt = LLMOPS_TRY(db.prepare(
        "SELECT span_id, trace_id, time_unix_ns, time, prompt, prompt_version, model, provider, "
        "operation, vars, messages, output, input_tokens, output_tokens, latency_ms, cost_usd, "
        "error, error_message, user_id, session_id, feedback, source, attributes FROM calls "
        "WHERE span_id >= ?1 AND substr(span_id, 1, length(?1)) = ?1 ORDER BY span_id = ?1 DESC "
        "LIMIT 2"));
    stmt.bind(1, span_id);
    if (!LLMOPS_TRY(stmt.step())) {
        return fail(ErrorCode::not_found, "no call with span id '{}'", span_id);
    }
    CallRecord call = read_call(stmt);
    if (call.span_id != span_id && LLMOPS_TRY(stmt.step())) {
        return fail(ErrorCode::invalid_input, "span id '{}' is ambiguous: give more of it",
                    span_id);
    }
    return call;
}

void detail::bind_call_filter(Statement& stmt, const CallFilter& filter) {
    stmt.bind(1, filter.prompt).bind(2, filter.version).bind(3, filter.model);
    stmt.bind(4, filter.since_unix_ns).bind(5, filter.until_unix_ns);
}

Expected<std::vector<CallRecord>> list_calls(Database& db, const CallFilter& filter) {
    auto stmt = LLMOPS_TRY(db.prepare(
        std::string("SELECT span_id, trace_id, time_unix_ns, time, prompt, prompt_version, model, "
                    "provider, operation, vars, messages, output, input_tokens, output_tokens, "
                    "latency_ms, cost_usd, error, error_message, user_id, session_id, feedback, "
                    "source, attributes FROM calls WHERE ") +
        detail::k_call_filter_where + " ORDER BY time_unix_ns DESC, id DESC LIMIT ?6"));
    detail::bind_call_filter(stmt, filter);
    stmt.bind(6, filter.limit > 0 ? filter.limit : int64_t{-1});
    std::vector<CallRecord> calls;
    while (LLMOPS_TRY(stmt.step())) {
        calls.push_back(read_call(stmt));
    }
    return calls;
}

Expected<void> scan_call_facts(Database& db, const CallFilter& filter,
                               const std::function<void(const CallFacts&)>& visit) {
    auto stmt = LLMOPS_TRY(db.prepare(
        std::string("SELECT prompt, prompt_version, model, input_tokens, output_tokens, "
                    "latency_ms, cost_usd, feedback, error, time_unix_ns, span_id FROM calls "
                    "WHERE ") +
        detail::k_call_filter_where + " ORDER BY prompt, prompt_version, model, latency_ms"));
    detail::bind_call_filter(stmt, filter);
    CallFacts facts;
    while (LLMOPS_TRY(stmt.step())) {
        facts.prompt = stmt.text(0);
        facts.prompt_version = stmt.text(1);
        facts.model = stmt.text(2);
        facts.input_tokens = stmt.optional_integer(3);
        facts.output_tokens = stmt.optional_integer(4);
        facts.latency_ms = stmt.optional_real(5);
        facts.cost_usd = stmt.optional_real(6);
        facts.feedback = stmt.optional_real(7);
        facts.error = stmt.integer(8) != 0;
        facts.time_unix_ns = stmt.integer(9);
        facts.span_id = stmt.text(10);
        visit(facts);
    }
    return {};
}

Expected<std::vector<LabelMove>> label_moves(Database& db, std::string_view name,
                                             std::string_view label) {
    auto stmt = LLMOPS_TRY(
        db.prepare("SELECT h.created_at, CASE WHEN h.split IS NULL THEN h.to_number END "
                   "FROM label_history h JOIN prompts p "
                   "ON p.id = h.prompt_id WHERE p.name = ?1 AND h.label = ?2 ORDER BY h.id"));
    stmt.bind(1, name).bind(2, label);
    std::vector<LabelMove> moves;
    while (LLMOPS_TRY(stmt.step())) {
        // created_at is ISO 8601 UTC as the store writes it; compared as time, not text (a
        // call's time has milliseconds, a label's may not).
        const auto when = parse_iso8601_ns(stmt.text(0));
        moves.push_back({when.value_or(0), stmt.optional_integer(1)});
    }
    return moves;
}

} // namespace llmops::store
