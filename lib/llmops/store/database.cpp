#include <llmops/store/database.hpp>

#include <sqlite3.h>

#include <fmt/format.h>

namespace llmops::store {

namespace {

// Concurrent llmops processes (parallel CI jobs, a commit while an eval writes) wait this long
// for each other's write lock before giving up.
constexpr int k_busy_timeout_ms = 30000;

// A `file:` URI for `path` that opens it immutable (no locks, no -shm file).
std::string immutable_uri(const std::filesystem::path& path) {
    std::string uri = path.is_absolute() ? "file://" : "file:";
    for (const char c : path.string()) {
        if (c == '%' || c == '?' || c == '#') {
            uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        } else {
            uri += c;
        }
    }
    return uri + "?immutable=1";
}

// What a user can do about an error SQLite reports, appended to its message: a store that is
// not writable, or one that was damaged (a truncated or overwritten file), which SQLite reports
// only when it reads the damaged page.
std::string_view hint(int rc) {
    switch (rc & 0xFF) {
    case SQLITE_READONLY: return " (is the directory writable?)";
    case SQLITE_CORRUPT: return " (the store is damaged; run 'llmops fsck')";
    case SQLITE_NOTADB: return " (the store is damaged, or this is not an llmops store)";
    default: return "";
    }
}

} // namespace

Expected<Database> Database::open(const std::filesystem::path& path, OpenMode mode) {
    sqlite3* db = nullptr;
    int flags = (mode == OpenMode::read_write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                              : SQLITE_OPEN_READONLY) |
                SQLITE_OPEN_NOMUTEX;
    std::string name = path.string();
    // SQLite reads a WAL database only if it can open or create the -wal and -shm files, which
    // it cannot in a folder the user may not write. Without a -wal file every committed page is
    // in the main file, so it can be read as immutable instead; with one, the ordinary read-only
    // connection works and sees the commits still in the WAL.
    std::error_code ec;
    if (mode == OpenMode::read_only && std::filesystem::exists(path, ec) &&
        !std::filesystem::exists(name + "-wal", ec)) {
        name = immutable_uri(path);
        flags |= SQLITE_OPEN_URI;
    }
    const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return fail(ErrorCode::io, "cannot open database '{}': {}", path.string(), message);
    }
    Database database(db, path);
    sqlite3_busy_timeout(db, k_busy_timeout_ms);
    sqlite3_extended_result_codes(db, 1);
    // WAL lets readers run while a writer commits; NORMAL sync is durable against process
    // crashes (a power cut may lose the last transaction, never corrupt the file). A 16 MB page
    // cache (default 2 MB) and checkpoints every 16 MB of WAL (default 4 MB) keep a 100,000-result
    // eval from re-reading pages and syncing the file every few hundred results.
    const char* pragmas = mode != OpenMode::read_write
                              ? "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000;"
                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000; "
                                "PRAGMA wal_autocheckpoint=4000;";
    LLMOPS_TRY(database.exec(pragmas));
    return database;
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

Database::~Database() {
    sqlite3_close_v2(m_db);
}

int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(m_db);
}

int64_t Database::changes() const {
    return sqlite3_changes64(m_db);
}

std::string Database::last_error() const {
    return m_db ? sqlite3_errmsg(m_db) : "no database";
}

Expected<void> Database::exec(std::string_view sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(m_db, std::string(sql).c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return fail(ErrorCode::io, "database '{}': {}{}", m_path.string(), text, hint(rc));
    }
    return {};
}

Expected<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return fail(ErrorCode::io, "database '{}': {}{}", m_path.string(), sqlite3_errmsg(m_db),
                    hint(rc));
    }
    return Statement(this, stmt);
}

Expected<int64_t> Database::user_version() {
    auto stmt = LLMOPS_TRY(prepare("PRAGMA user_version"));
    auto row = LLMOPS_TRY(stmt.step());
    return row ? stmt.integer(0) : 0;
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_stmt(std::exchange(other.m_stmt, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_db = other.m_db;
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(m_stmt);
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_static(int index, std::string_view value) {
    sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
}

Statement& Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
}

Statement& Statement::bind_real(int index, double value) {
    sqlite3_bind_double(m_stmt, index, value);
    return *this;
}

Statement& Statement::bind_real(int index, const std::optional<double>& value) {
    if (value) {
        return bind_real(index, *value);
    }
    return bind(index, std::nullopt);
}

Statement& Statement::bind(int index, std::nullopt_t) {
    sqlite3_bind_null(m_stmt, index);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind(index, std::nullopt);
}

Statement& Statement::bind(int index, const std::optional<int64_t>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
}

Expected<bool> Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    sqlite3* db = sqlite3_db_handle(m_stmt);
    const std::string message = sqlite3_errmsg(db);
    sqlite3_reset(m_stmt);
    const ErrorCode code = (rc & 0xFF) == SQLITE_CONSTRAINT ? ErrorCode::conflict : ErrorCode::io;
    return fail(code, "database '{}': {}{}", m_db->path().string(), message, hint(rc));
}

Expected<void> Statement::run() {
    LLMOPS_TRY(step());
    sqlite3_reset(m_stmt);
    return {};
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(m_stmt, column);
    const int n = sqlite3_column_bytes(m_stmt, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return text(column);
}

int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}

std::optional<int64_t> Statement::optional_integer(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return integer(column);
}

double Statement::real(int column) const {
    return sqlite3_column_double(m_stmt, column);
}

std::optional<double> Statement::optional_real(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return real(column);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

Expected<Transaction> Transaction::begin(Database& db) {
    LLMOPS_TRY(db.exec("BEGIN IMMEDIATE"));
    return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_db(other.m_db), m_open(std::exchange(other.m_open, false)) {}

Transaction::~Transaction() {
    if (m_open) {
        (void)m_db->exec("ROLLBACK");
    }
}

Expected<void> Transaction::commit() {
    LLMOPS_TRY(m_db->exec("COMMIT"));
    m_open = false;
    return {};
}

Expected<ReadTransaction> ReadTransaction::begin(Database& db) {
    LLMOPS_TRY(db.exec("BEGIN"));
    return ReadTransaction(db);
}

void ReadTransaction::end() {
    if (m_db != nullptr) {
        (void)m_db->exec("ROLLBACK");
        m_db = nullptr;
    }
}

} // namespace llmops::store
