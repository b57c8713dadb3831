#pragma once
// A thin RAII layer over SQLite: Database, Statement, Transaction. Only store/*.cpp include
// sqlite3.h; everything above speaks these types.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <llmops/util/error.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace llmops::store {

// How a connection opens its database. `read_only` may open it immutable (no -wal file: a
// folder the user cannot write), and then never sees later commits; `read_only_live` never does,
// so a long-lived reader (`metrics serve`) sees other processes' commits; it needs the folder
// writable for SQLite's -shm file.
enum class OpenMode { read_write, read_only, read_only_live };

class Statement;

// One connection. Opened in WAL mode with foreign keys on and a busy timeout, so concurrent
// llmops processes wait for each other instead of failing.
class Database {
public:
    // Opens (creating when `mode` is read_write) the database at `path`. A read-only connection
    // to a store without a -wal file opens it immutable, so a folder the user cannot write does
    // not stop reads. Fails with `io`.
    static Expected<Database> open(const std::filesystem::path& path, OpenMode mode);

    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs one or more SQL statements that return no rows. Fails with `io`.
    Expected<void> exec(std::string_view sql);

    // Compiles one statement. Fails with `io`.
    Expected<Statement> prepare(std::string_view sql);

    // Returns the rowid of the last row inserted through this connection.
    int64_t last_insert_rowid() const;

    // Returns how many rows the last INSERT, UPDATE or DELETE of this connection changed.
    int64_t changes() const;

    // Returns `PRAGMA user_version`.
    Expected<int64_t> user_version();

    const std::filesystem::path& path() const { return m_path; }
    sqlite3* handle() { return m_db; }

    // The last error message of this connection, for error reports.
    std::string last_error() const;

private:
    Database(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}

    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
};

// One compiled statement. Bind parameters are 1-based, columns 0-based, as in SQLite. It keeps a
// pointer to its Database: do not move the Database while the statement lives.
class Statement {
public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) {
        return bind(index, std::string_view(value));
    }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, std::nullopt_t);
    Statement& bind(int index, const std::optional<std::string>& value);
    Statement& bind(int index, const std::optional<int64_t>& value);
    // Binds text SQLite reads in place, without its own copy (for large values): `value` must
    // stay alive and unchanged until the statement is reset, re-bound or destroyed.
    Statement& bind_static(int index, std::string_view value);
    // Doubles get their own name: an `int` argument would be ambiguous between int64_t and double.
    Statement& bind_real(int index, double value);
    Statement& bind_real(int index, const std::optional<double>& value);

    // Advances to the next row: true when a row is ready, false when done. Fails with `io`, or
    // `conflict` for a constraint violation.
    Expected<bool> step();

    // Runs a statement that returns no rows to completion.
    Expected<void> run();

    // Resets the statement for another execution with new bindings.
    void reset();

    std::string text(int column) const;
    std::optional<std::string> optional_text(int column) const;
    int64_t integer(int column) const;
    std::optional<int64_t> optional_integer(int column) const;
    double real(int column) const;
    std::optional<double> optional_real(int column) const;
    bool is_null(int column) const;

private:
    friend class Database;
    Statement(Database* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}

    Database* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
};

// A write transaction (BEGIN IMMEDIATE, so the write lock is taken up front and a busy store is
// waited for rather than failing half-way). Rolls back unless `commit()` succeeded.
class Transaction {
public:
    static Expected<Transaction> begin(Database& db);

    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    Expected<void> commit();

private:
    explicit Transaction(Database& db) : m_db(&db) {}
    Database* m_db = nullptr;
    bool m_open = true;
};

// A read transaction (deferred BEGIN): one consistent snapshot and one lock acquisition for many
// queries, instead of one per statement. Ends (rolls back, which changes nothing) on
// destruction.
class ReadTransaction {
public:
    // Fails with `io`.
    static Expected<ReadTransaction> begin(Database& db);

    ReadTransaction(ReadTransaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}
    ReadTransaction& operator=(ReadTransaction&&) = delete;
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    ~ReadTransaction() { end(); }

    // Ends the transaction early (before a write transaction on the same connection).
    void end();

private:
    explicit ReadTransaction(Database& db) : m_db(&db) {}
    Database* m_db = nullptr;
};

} // namespace llmops::store
