#pragma once
// The command line as data: commands, their options and arguments, as `cmd/` reads them from
// the CLI11 tree. Shell completions and the man page are generated from it, so they list exactly
// what the parser accepts.

#include <string>
#include <vector>

namespace llmops::report {

// What a value completes to in a shell.
enum class ValueKind {
    text,   // anything: the shell's own completion (file names)
    number, // nothing to offer
    choice, // one of `choices`
    dir,    // a directory
    prompt, // a prompt name from the store (`llmops __complete prompts`)
    ref,    // a prompt ref: names and name@label (`llmops __complete refs`)
    run,    // a run ref: numbers, latest, tags (`llmops __complete runs`)
    label,  // a label name (`llmops __complete labels`)
};

// One option (`-o`, `--output`) or one positional argument (`ref`).
struct ArgumentInfo {
    std::vector<std::string> short_names; // "-o"; empty for a positional
    std::vector<std::string> long_names;  // "--output"; empty for a positional
    std::string name;       // positional: as in --help ("ref"); option: the first long name
    std::string value_name; // "RUN", "FILE", "N"; empty for a flag
    std::string description;
    ValueKind kind = ValueKind::text;
    std::vector<std::string> choices; // for ValueKind::choice
    bool required = false;
    bool repeatable = false; // may be given more than once (options) or take several words

    bool takes_value() const { return !value_name.empty(); }
    bool positional() const { return short_names.empty() && long_names.empty(); }
};

// One command: a group (`prompt`, `prompt label`) or a leaf (`prompt label set`).
struct CommandInfo {
    std::string name; // "set"; the program name for the root
    std::string description;
    std::vector<ArgumentInfo> options;     // in registration order, -h/--help included
    std::vector<ArgumentInfo> positionals; // in order
    std::vector<CommandInfo> subcommands;  // hidden commands left out
};

} // namespace llmops::report
