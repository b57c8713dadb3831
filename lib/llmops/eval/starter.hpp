#pragma once
// Starter projects for `llmops init --template NAME`: the prompts, suite, dataset and scripts of
// a working eval that runs offline with no API key, and the commands to run next.

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::eval {

// Whether a starter's file is a program the suite runs (written with its execute bit).
enum class FileMode { text, executable };

// One file of a starter, relative to the project root.
struct StarterFile {
    std::string_view path; // "evals/starter/suite.yaml"
    std::string_view text;
    FileMode mode = FileMode::text;
};

// A template: its files, what it needs to run, and the commands to run next.
struct Starter {
    std::string_view name;    // "eval"
    std::string_view summary; // one line, for `llmops init --template list`
    std::string_view needs;   // what must be installed besides llmops ("" when nothing)
    std::vector<StarterFile> files;
    std::vector<std::string_view> next; // the next three commands, run from the project root
};

// Every starter, in the order `--template list` shows them.
std::span<const Starter> starters();

// The names of every starter, in that order.
std::vector<std::string> starter_names();

// The starter named `name`. Fails with `invalid_input`, one line naming the known ones:
// "unknown template 'evl' (expected eval, rag) (did you mean 'eval'?)".
Expected<const Starter*> find_starter(std::string_view name);

// Refuses to write over anything: fails with `conflict` naming the first of the starter's files
// that already exists under `root` ("'evals/starter/suite.yaml' already exists; ..."), or with
// `io` when it cannot tell. Touches nothing.
Expected<void> check_starter_free(const Starter& starter, const std::filesystem::path& root);

// Writes the starter's files under `root`, creating folders (scripts get their execute bit),
// after check_starter_free (`conflict` when one exists). Fails with `io` naming the file.
Expected<void> write_starter(const Starter& starter, const std::filesystem::path& root);

} // namespace llmops::eval
