#include <llmops/remote/pg.hpp>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <dlfcn.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <llmops/util/dynamic_library.hpp>
#include <llmops/util/redact.hpp>

namespace llmops::remote {

namespace {

// libpq's functions, loaded from libpq.so.5 at the first connection (see pg.hpp).
struct Pq {
    decltype(&::PQconnectdbParams) connectdb_params = nullptr;
    decltype(&::PQstatus) status = nullptr;
    decltype(&::PQerrorMessage) error_message = nullptr;
    decltype(&::PQfinish) finish = nullptr;
    decltype(&::PQexecParams) exec_params = nullptr;
    decltype(&::PQexec) exec = nullptr;
    decltype(&::PQresultStatus) result_status = nullptr;
    decltype(&::PQresultErrorMessage) result_error_message = nullptr;
    decltype(&::PQresultErrorField) result_error_field = nullptr;
    decltype(&::PQntuples) ntuples = nullptr;
    decltype(&::PQgetvalue) getvalue = nullptr;
    decltype(&::PQgetisnull) getisnull = nullptr;
    decltype(&::PQgetlength) getlength = nullptr;
    decltype(&::PQclear) clear = nullptr;
    decltype(&::PQconninfoParse) conninfo_parse = nullptr;
    decltype(&::PQconninfoFree) conninfo_free = nullptr;
    decltype(&::PQfreemem) freemem = nullptr;
    decltype(&::PQsetNoticeProcessor) set_notice_processor = nullptr;
};

const Pq* load_pq(std::string& why) {
    static const Pq* k_api = [&]() -> const Pq* {
        void* lib = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            why = ::dlerror();
            return nullptr;
        }
        static Pq api;
        bool complete = true;
        const auto load = [&](auto& function, const char* name) {
            complete = util::resolve_symbol(lib, name, function) && complete;
        };
        load(api.connectdb_params, "PQconnectdbParams");
        load(api.status, "PQstatus");
        load(api.error_message, "PQerrorMessage");
        load(api.finish, "PQfinish");
        load(api.exec_params, "PQexecParams");
        load(api.exec, "PQexec");
        load(api.result_status, "PQresultStatus");
        load(api.result_error_message, "PQresultErrorMessage");
        load(api.result_error_field, "PQresultErrorField");
        load(api.ntuples, "PQntuples");
        load(api.getvalue, "PQgetvalue");
        load(api.getisnull, "PQgetisnull");
        load(api.getlength, "PQgetlength");
        load(api.clear, "PQclear");
        load(api.conninfo_parse, "PQconninfoParse");
        load(api.conninfo_free, "PQconninfoFree");
        load(api.freemem, "PQfreemem");
        load(api.set_notice_processor, "PQsetNoticeProcessor");
        if (!complete) {
            why = "libpq.so.5 lacks a function llmops needs: it is older than PostgreSQL 10";
            return nullptr;
        }
        return &api;
    }();
    return k_api;
}

Expected<const Pq*> pq() {
    std::string why;
    const Pq* api = load_pq(why);
    if (api == nullptr) {
        return fail(ErrorCode::io, "cannot load libpq ({}): install Debian's libpq5 package", why);
    }
    return api;
}

// The library is loaded once a PgConnection or PgResult exists.
const Pq& loaded() {
    std::string why;
    return *load_pq(why);
}

PGresult* result_of(void* r) {
    return static_cast<PGresult*>(r);
}
PGconn* conn_of(void* c) {
    return static_cast<PGconn*>(c);
}

// libpq's messages end with newlines and sometimes hold several lines: the first one, trimmed.
std::string first_line(const char* message) {
    std::string text = message == nullptr ? "" : message;
    if (const auto end = text.find('\n'); end != std::string::npos) {
        text.resize(end);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) {
        text.pop_back();
    }
    // The severity libpq puts first ("ERROR:  ", "FATAL:  ") says nothing llmops' own does not.
    for (std::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
        if (text.starts_with(prefix)) {
            text.erase(0, prefix.size());
        }
    }
    return text.empty() ? "unknown error" : text;
}

PgFailure classify(std::string_view state) {
    if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
        return PgFailure::connection;
    }
    if (state == "40001" || state == "40P01") {
        return PgFailure::serialization;
    }
    if (state == "23505") {
        return PgFailure::unique;
    }
    if (state == "42501") {
        return PgFailure::permission;
    }
    if (state == "42P01" || state == "3F000") {
        return PgFailure::undefined_table;
    }
    return PgFailure::other;
}

} // namespace

PgResult::~PgResult() {
    if (m_result != nullptr) {
        loaded().clear(result_of(m_result));
    }
}

PgResult::PgResult(PgResult&& other) noexcept : m_result(std::exchange(other.m_result, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
    if (this != &other) {
        if (m_result != nullptr) {
            loaded().clear(result_of(m_result));
        }
        m_result = std::exchange(other.m_result, nullptr);
    }
    return *this;
}

int PgResult::rows() const {
    return m_result == nullptr ? 0 : loaded().ntuples(result_of(m_result));
}

bool PgResult::is_null(int row, int column) const {
    return loaded().getisnull(result_of(m_result), row, column) != 0;
}

std::string_view PgResult::text(int row, int column) const {
    const Pq& api = loaded();
    const char* value = api.getvalue(result_of(m_result), row, column);
    const int length = api.getlength(result_of(m_result), row, column);
    return value == nullptr ? std::string_view() : std::string_view(value, length);
}

std::optional<std::string> PgResult::optional_text(int row, int column) const {
    if (is_null(row, column)) {
        return std::nullopt;
    }
    return std::string(text(row, column));
}

int64_t PgResult::integer(int row, int column) const {
    return optional_integer(row, column).value_or(0);
}

std::optional<int64_t> PgResult::optional_integer(int row, int column) const {
    if (is_null(row, column)) {
        return std::nullopt;
    }
    const std::string value(text(row, column));
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (end == value.c_str()) {
        return std::nullopt;
    }
    return static_cast<int64_t>(n);
}

Expected<PgConnection> PgConnection::connect(const std::string& conninfo,
                                             const std::optional<std::string>& password,
                                             std::string describe) {
    const Pq* api = LLMOPS_TRY(pq());
    std::vector<const char*> keys{"dbname", "connect_timeout", "application_name"};
    std::vector<const char*> values{conninfo.c_str(), "10", "llmops"};
    if (password) {
        keys.push_back("password");
        values.push_back(password->c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    // expand_dbname = 1: `dbname` is the URL or connection string; the keys after it override.
    PGconn* conn = api->connectdb_params(keys.data(), values.data(), 1);
    PgConnection connection;
    connection.m_conn = conn;
    connection.m_describe = std::move(describe);
    if (conn == nullptr) {
        return fail(ErrorCode::network, "cannot connect to {}: out of memory",
                    connection.m_describe);
    }
    if (api->status(conn) != CONNECTION_OK) {
        std::string reason = first_line(api->error_message(conn));
        if (password) {
            reason = util::Redactor({*password}).redact(reason);
        }
        return fail(ErrorCode::network, "cannot connect to {}: {}", connection.m_describe, reason);
    }
    // Notices (`schema already exists, skipping`) are not the user's business.
    api->set_notice_processor(
        conn, [](void*, const char*) {}, nullptr);
    return connection;
}

PgConnection::~PgConnection() {
    if (m_conn != nullptr) {
        loaded().finish(conn_of(m_conn));
    }
}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : m_conn(std::exchange(other.m_conn, nullptr)), m_describe(std::move(other.m_describe)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
    if (this != &other) {
        if (m_conn != nullptr) {
            loaded().finish(conn_of(m_conn));
        }
        m_conn = std::exchange(other.m_conn, nullptr);
        m_describe = std::move(other.m_describe);
    }
    return *this;
}

std::expected<PgResult, PgError> PgConnection::checked(PgResult result) {
    const Pq& api = loaded();
    const PGresult* raw = result_of(result.handle());
    const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : api.result_status(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        return result;
    }
    const char* state = raw == nullptr ? nullptr : api.result_error_field(raw, PG_DIAG_SQLSTATE);
    const char* message =
        raw == nullptr ? api.error_message(conn_of(m_conn)) : api.result_error_message(raw);
    PgFailure failure = state == nullptr ? PgFailure::connection : classify(state);
    return std::unexpected(
        PgError{Error(failure == PgFailure::connection ? ErrorCode::network : ErrorCode::io,
                      fmt::format("{}: {}", m_describe, first_line(message))),
                failure});
}

std::expected<PgResult, PgError> PgConnection::run(std::string_view sql, const PgParams& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    const std::string statement(sql);
    return checked(PgResult(loaded().exec_params(conn_of(m_conn), statement.c_str(),
                                                 static_cast<int>(values.size()), nullptr,
                                                 values.data(), nullptr, nullptr, 0)));
}

Expected<void> PgConnection::execute_script(std::string_view sql) {
    const std::string script(sql);
    auto result = checked(PgResult(loaded().exec(conn_of(m_conn), script.c_str())));
    if (!result) {
        return std::unexpected(to_error(result.error()));
    }
    return {};
}

Error to_error(const PgError& failure) {
    if (failure.failure == PgFailure::permission) {
        return Error(ErrorCode::conflict,
                     failure.error.message() +
                         " (this role may not do that: writers need the grants of docs/teams.md)");
    }
    if (failure.failure == PgFailure::unique) {
        return Error(ErrorCode::conflict, failure.error.message());
    }
    return failure.error;
}

Expected<PgResult> PgConnection::query(std::string_view sql, const PgParams& params) {
    auto result = run(sql, params);
    if (!result) {
        return std::unexpected(to_error(result.error()));
    }
    return std::move(*result);
}

Expected<void> PgConnection::execute(std::string_view sql, const PgParams& params) {
    LLMOPS_TRY(query(sql, params));
    return {};
}

Expected<PgTransaction> PgTransaction::begin(PgConnection& conn, std::string_view mode) {
    LLMOPS_TRY(conn.execute(mode.empty() ? std::string("BEGIN") : fmt::format("BEGIN {}", mode)));
    return PgTransaction(conn);
}

PgTransaction::~PgTransaction() {
    if (m_conn != nullptr) {
        (void)m_conn->execute("ROLLBACK");
    }
}

Expected<void> PgTransaction::commit() {
    PgConnection* conn = std::exchange(m_conn, nullptr);
    return conn->execute("COMMIT");
}

Expected<std::optional<std::string>> conninfo_password(const std::string& conninfo) {
    const Pq* api = LLMOPS_TRY(pq());
    char* error = nullptr;
    PQconninfoOption* options = api->conninfo_parse(conninfo.c_str(), &error);
    if (options == nullptr) {
        std::string reason = first_line(error);
        if (error != nullptr) {
            api->freemem(error);
        }
        return fail(ErrorCode::invalid_input, "not a PostgreSQL URL or connection string: {}",
                    reason);
    }
    std::optional<std::string> password;
    for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && *o->val != '\0') {
            password = o->val;
        }
    }
    api->conninfo_free(options);
    return password;
}

} // namespace llmops::remote
