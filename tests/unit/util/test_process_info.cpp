// util::process_info: telling a live writer from a dead one (run leases).

#include <llmops/util/process_info.hpp>

#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace util = llmops::util;

namespace {

// Starts a child that sleeps until killed; returns its pid.
pid_t sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    return pid;
}

} // namespace

TEST_SUITE("util") {

    TEST_CASE("util::process_identity") {
        SUBCASE("this process is local and running") {
            const auto me = util::self_process();
            CHECK(me.pid == ::getpid());
            CHECK(me.start_ticks > 0);
            CHECK_FALSE(me.host.empty());
            CHECK(me.boot_id.size() == 36);
            CHECK(util::is_local(me));
            CHECK(util::is_running(me));
        }
        SUBCASE("a process that ended is not running, even as a zombie") {
            const pid_t pid = sleeper();
            const auto child = util::process_identity(pid);
            REQUIRE(child.has_value());
            CHECK(util::is_running(*child));
            ::kill(pid, SIGKILL);
            // Not reaped yet: a zombie is gone for our purposes.
            siginfo_t info{};
            ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
            CHECK_FALSE(util::is_running(*child));
            ::waitpid(pid, nullptr, 0);
            CHECK_FALSE(util::is_running(*child));
            CHECK_FALSE(util::process_identity(pid).has_value());
        }
        SUBCASE("a pid given to another process is not the same process") {
            auto me = util::self_process();
            me.start_ticks += 1;
            CHECK_FALSE(util::is_running(me));
        }
        SUBCASE("another host or boot is not local") {
            auto other = util::self_process();
            other.host += "-elsewhere";
            CHECK_FALSE(util::is_local(other));
            other = util::self_process();
            other.boot_id = "00000000-0000-0000-0000-000000000000";
            CHECK_FALSE(util::is_local(other));
        }
    }
}
