#pragma once
// A real PostgreSQL 15 for the team-store tests (SPEC §16), started by the tests themselves:
// `initdb` in a temporary folder and `pg_ctl start` on 127.0.0.1 at a free port, as the
// unprivileged user when the tests run as root (PostgreSQL refuses to run as root). One server
// per test binary, started at first use and stopped at exit; each test takes a fresh database.
// The superuser `llmops` logs in over TCP with a password (scram-sha-256), so the tests see how
// a password travels; over the Unix socket in the folder it needs none.

#include <filesystem>
#include <string>

namespace llmops::test {

class PgServer {
public:
    // The binary's server, started on first use. A missing PostgreSQL fails the calling test
    // with a message naming `scripts/setup.sh --tests`.
    static PgServer& shared();

    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    bool running() const { return m_running; }
    int port() const { return m_port; }
    // The superuser's password, for PGPASSWORD.
    static constexpr const char* k_password = "llmops-test-secret-4f2a";

    // Creates an empty database and returns its URL (postgresql://llmops@127.0.0.1:PORT/NAME).
    std::string create_database();
    // Runs SQL as the superuser in database `db` through psql; returns psql's output (unaligned,
    // tuples only). Fails the test on an error.
    std::string sql(const std::string& db, const std::string& statement);

    // Stops the server (a network drop) and starts it again on the same port.
    void stop();
    void start();

private:
    PgServer() = default;
    void init();

    std::filesystem::path m_dir;
    std::filesystem::path m_bin;
    int m_port = 0;
    int m_databases = 0;
    bool m_running = false;
    std::string m_error;
};

} // namespace llmops::test
