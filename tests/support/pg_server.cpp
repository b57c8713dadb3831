#include "support/pg_server.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "support/process.hpp"

namespace llmops::test {

namespace fs = std::filesystem;

namespace {

// A port nobody listens on now, from the kernel.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t size = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

fs::path postgres_bin() {
    if (const char* dir = std::getenv("LLMOPS_PG_BINDIR"); dir != nullptr) {
        return dir;
    }
    return "/usr/lib/postgresql/15/bin";
}

RunOptions as_server_user(const fs::path& cwd) {
    RunOptions options;
    options.cwd = cwd;
    if (::geteuid() == 0) {
        options.as_user = unprivileged_uid();
    }
    return options;
}

void give_to_server_user(const fs::path& path) {
    if (::geteuid() == 0 &&
        ::chown(path.c_str(), unprivileged_uid(), static_cast<gid_t>(-1)) != 0) {
        throw std::runtime_error("cannot chown " + path.string());
    }
}

} // namespace

PgServer& PgServer::shared() {
    static PgServer server;
    if (!server.m_running && server.m_error.empty()) {
        server.init();
    }
    REQUIRE_MESSAGE(server.m_error.empty(), server.m_error);
    return server;
}

void PgServer::init() {
    m_bin = postgres_bin();
    if (!fs::exists(m_bin / "initdb")) {
        m_error = "PostgreSQL 15 is not installed (no " + (m_bin / "initdb").string() +
                  "): run scripts/setup.sh --tests";
        return;
    }
    char pattern[] = "/tmp/llmops-pg-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        m_error = "cannot create a temporary folder for PostgreSQL";
        return;
    }
    m_dir = pattern;
    fs::permissions(m_dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    for (const char* sub : {"data", "socket"}) {
        fs::create_directory(m_dir / sub);
        give_to_server_user(m_dir / sub);
    }
    {
        std::ofstream(m_dir / "password") << k_password << "\n";
        std::ofstream(m_dir / "log");
    }
    give_to_server_user(m_dir / "password");
    give_to_server_user(m_dir / "log");
    const auto made = run_program(
        {(m_bin / "initdb").string(), "-D", (m_dir / "data").string(), "-U", "llmops",
         "--auth-local=trust", "--auth-host=scram-sha-256",
         "--pwfile=" + (m_dir / "password").string(), "-E", "UTF8", "--locale=C", "--no-sync"},
        as_server_user(m_dir));
    if (made.exit_code != 0) {
        m_error = "initdb failed: " + made.err;
        return;
    }
    m_port = free_port();
    start();
}

void PgServer::start() {
    // fsync off: a test server's data need not survive a power cut, and syncing is most of a
    // commit's time on a busy disk. (Commits stay synchronous: a stop -m immediate must keep
    // what was committed, as a real server's crash does.)
    const std::string options = "-h 127.0.0.1 -p " + std::to_string(m_port) + " -k " +
                                (m_dir / "socket").string() +
                                " -c fsync=off -c full_page_writes=off"
                                " -c max_connections=60";
    const auto started =
        run_program({(m_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(), "-l",
                     (m_dir / "log").string(), "-w", "-t", "120", "-o", options, "start"},
                    as_server_user(m_dir));
    if (started.exit_code != 0) {
        m_error = "pg_ctl start failed: " + started.out + started.err;
        return;
    }
    m_running = true;
}

void PgServer::stop() {
    if (!m_running) {
        return;
    }
    run_program({(m_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(), "-m", "immediate",
                 "-w", "stop"},
                as_server_user(m_dir));
    m_running = false;
}

PgServer::~PgServer() {
    stop();
    if (!m_dir.empty()) {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
}

std::string PgServer::sql(const std::string& db, const std::string& statement) {
    RunOptions options;
    options.cwd = m_dir;
    options.env["PGPASSWORD"] = k_password;
    const auto r = run_program({(m_bin / "psql").string(), "-X", "-q", "-A", "-t", "-v",
                                "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", std::to_string(m_port),
                                "-U", "llmops", "-d", db, "-c", statement},
                               options);
    REQUIRE_MESSAGE(r.exit_code == 0, "psql failed: " << statement << ": " << r.err);
    return r.out;
}

std::string PgServer::create_database() {
    const std::string name = "t" + std::to_string(++m_databases);
    sql("postgres", "CREATE DATABASE " + name);
    return "postgresql://llmops@127.0.0.1:" + std::to_string(m_port) + "/" + name;
}

} // namespace llmops::test
