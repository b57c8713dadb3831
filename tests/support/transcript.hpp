#pragma once
// What a test did outside its own code: the programs it ran (the llmops command line, its exit
// code, stdout and stderr) and the requests its loopback servers answered. A doctest listener
// (transcript.cpp) prints it under the first failed check of a test, so a failure seen once in
// CI can be understood from the CI log alone. Thread-safe: server handlers log from their own
// threads.

#include <string>

namespace llmops::test::transcript {

// Adds a program run: `command` (argv, shell-quoted), where it ran, how it ended and its output.
// The streams are cut to their first and last few KB.
void add_run(const std::string& command, const std::string& cwd, int exit_code,
             const std::string& out, const std::string& err);

// Adds one line about a program started in the background or waited for.
void add_note(const std::string& line);

// Adds one request a loopback server answered: method, path, status, and the start of both bodies.
void add_request(int port, const std::string& method, const std::string& path, int status,
                 const std::string& request_body, const std::string& response_body);

// Forgets everything (a new test case, or a subcase's new pass through the test case).
void clear();

// The transcript as text, oldest first; empty when nothing was recorded.
std::string text();

} // namespace llmops::test::transcript
