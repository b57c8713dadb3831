#pragma once
// PostgreSQL through libpq: the only `libpq-fe.h` user (SPEC §16). libpq is opened when the first
// connection is made, not when llmops starts (as libcurl is: provider/http.cpp), so commands that
// never talk to a remote pay nothing for its ~25 shared objects.
//
// Parameters and results are text: a batch of rows goes up as one JSON parameter that the SQL
// unpacks (`json_populate_recordset`), so a batch is one round trip whatever its size.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::remote {

// SQLSTATE classes the callers tell apart.
enum class PgFailure {
    other,
    connection,     // the connection broke (class 08) or the server is going away (57P01..3)
    serialization,  // 40001 or 40P01: retry the transaction
    unique,         // 23505: a unique constraint refused a row
    permission,     // 42501: the role may not do this
    undefined_table // 42P01: no such table (a database without the schema)
};

// A query's rows, as text.
class PgResult {
public:
    PgResult() = default;
    explicit PgResult(void* result) : m_result(result) {}
    ~PgResult();
    PgResult(PgResult&& other) noexcept;
    PgResult& operator=(PgResult&& other) noexcept;
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;

    int rows() const;
    bool is_null(int row, int column) const;
    // The value as text ("" for NULL).
    std::string_view text(int row, int column) const;
    std::optional<std::string> optional_text(int row, int column) const;
    int64_t integer(int row, int column) const; // 0 for NULL or non-numbers
    std::optional<int64_t> optional_integer(int row, int column) const;
    void* handle() const { return m_result; } // the PGresult

private:
    void* m_result = nullptr;
};

using PgParams = std::vector<std::optional<std::string>>;

// An error from PostgreSQL, with its class.
struct PgError {
    Error error;
    PgFailure failure = PgFailure::other;
};

// One connection. `describe` (the remote's name and URL without a password) starts every error
// message, so no secret reaches one.
class PgConnection {
public:
    // Connects with a libpq connection string or URL; `password` (from the environment variable a
    // remote names) is passed apart from it, never written into it. Fails with `network` naming
    // `describe` and libpq's reason, or `io` when libpq cannot be loaded.
    static Expected<PgConnection> connect(const std::string& conninfo,
                                          const std::optional<std::string>& password,
                                          std::string describe);
    PgConnection() = default;
    ~PgConnection();
    PgConnection(PgConnection&& other) noexcept;
    PgConnection& operator=(PgConnection&& other) noexcept;
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // Runs one statement with `params` ($1, $2, ...; nullopt is NULL).
    std::expected<PgResult, PgError> run(std::string_view sql, const PgParams& params = {});
    // As `run`, with the failure folded into an Error (its code: `network` for a broken
    // connection, `conflict` for a refused permission or a unique violation, `io` otherwise).
    Expected<PgResult> query(std::string_view sql, const PgParams& params = {});
    Expected<void> execute(std::string_view sql, const PgParams& params = {});
    // Runs several statements without parameters (a migration).
    Expected<void> execute_script(std::string_view sql);

    const std::string& describe() const { return m_describe; }

private:
    std::expected<PgResult, PgError> checked(PgResult result);

    void* m_conn = nullptr;
    std::string m_describe;
};

// A transaction on a connection: BEGIN (with `mode`, e.g. "ISOLATION LEVEL REPEATABLE READ READ
// ONLY") at `begin`, ROLLBACK when it goes out of scope uncommitted, so a connection that failed
// half-way is usable again (a library caller keeps it).
class PgTransaction {
public:
    static Expected<PgTransaction> begin(PgConnection& conn, std::string_view mode = {});
    PgTransaction(PgTransaction&& other) noexcept : m_conn(std::exchange(other.m_conn, nullptr)) {}
    PgTransaction& operator=(PgTransaction&&) = delete;
    PgTransaction(const PgTransaction&) = delete;
    ~PgTransaction();

    Expected<void> commit();

private:
    explicit PgTransaction(PgConnection& conn) : m_conn(&conn) {}
    PgConnection* m_conn;
};

// The error of a failed PgConnection::run as an Error.
Error to_error(const PgError& failure);

// Checks a connection string or URL with libpq's own parser, without connecting. Returns the
// value of `password` in it, if any (callers refuse to store one). Fails with `invalid_input`
// naming libpq's complaint.
Expected<std::optional<std::string>> conninfo_password(const std::string& conninfo);

} // namespace llmops::remote
