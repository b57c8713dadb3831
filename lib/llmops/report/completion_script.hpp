#pragma once
// Shell completion scripts (`llmops completion bash|zsh|fish`), generated from the command tree.
// Commands, options, which options take a value and the choices of a value are written into the
// script; prompt names, refs, run refs and labels are read from the store when the user presses
// Tab, through the hidden `llmops __complete prompts|refs|runs|labels` (one value a line).
// The scripts hold no version or date, so the files in completions/ change only with the tree.

#include <string>
#include <string_view>

#include <llmops/report/command_tree.hpp>

namespace llmops::report {

// The shells there is a script for, in the order `--help` names them.
inline constexpr std::string_view k_completion_shells[] = {"bash", "zsh", "fish"};

// A bash script (bash 4.2 or newer) defining `_<program>` and registering it with `complete`.
std::string bash_completion(const CommandInfo& root);

// A zsh script for a folder of `fpath` (named `_<program>`, starting with #compdef); it can also
// be sourced after `compinit`.
std::string zsh_completion(const CommandInfo& root);

// A fish script (fish 3.1 or newer) of `complete` lines.
std::string fish_completion(const CommandInfo& root);

// The script for `shell` (one of k_completion_shells); empty for any other name.
std::string completion_script(std::string_view shell, const CommandInfo& root);

// The word `__complete` takes for a store kind ("prompts", "refs", "runs", "labels"), or empty
// for a kind the store does not complete.
std::string_view store_kind_word(ValueKind kind);

} // namespace llmops::report
