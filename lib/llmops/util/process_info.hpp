#pragma once
// Which process this is, in a form another process can check later: whether a process that
// wrote something (a run's lease) is still alive, on this host, since this boot, and is the same
// process rather than a new one that was given the same pid.

#include <cstdint>
#include <optional>
#include <string>

namespace llmops::util {

struct ProcessIdentity {
    int64_t pid = 0;
    int64_t start_ticks = 0; // the process's start time in clock ticks since boot (/proc/PID/stat)
    std::string host;        // the host name
    std::string boot_id;     // /proc/sys/kernel/random/boot_id: pids mean nothing across boots
};

// This process. Fields that cannot be read are left empty (0 or "").
ProcessIdentity self_process();

// Process `pid` of this machine, or nullopt when there is no such process.
std::optional<ProcessIdentity> process_identity(int64_t pid);

// Whether `who` is this machine (same host name and boot) and so can be checked with
// `is_running`.
bool is_local(const ProcessIdentity& who);

// Whether process `who.pid` exists and started at `who.start_ticks` (a zombie counts as gone).
// Only meaningful when is_local(who).
bool is_running(const ProcessIdentity& who);

// The open files this process may hold: the soft limit (ulimit -n) and the hard limit.
struct FileLimit {
    int64_t soft = 0;
    int64_t hard = 0;
};

// Raises the soft limit on open files toward the hard limit until `wanted` fit, and returns the
// limits then in force.
FileLimit ensure_open_files(int64_t wanted);

} // namespace llmops::util
