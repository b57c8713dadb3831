#pragma once
// The man page (`llmops man`): roff for section 1, generated from the command tree, so it lists
// exactly the commands and options the binary parses.

#include <string>
#include <string_view>

#include <llmops/report/command_tree.hpp>

namespace llmops::report {

// The man page of `root` (the program) in roff, `version` in its header: NAME, SYNOPSIS,
// DESCRIPTION, OPTIONS, COMMANDS (every command with its arguments and options), EXIT STATUS,
// ENVIRONMENT, FILES, SEE ALSO. Renders without warnings in groff.
std::string man_page(const CommandInfo& root, std::string_view version);

// `s` as roff text: backslashes as \e, hyphens as \- (so options copy as ASCII minus signs),
// and a line that would start with . or ' (a request) protected by \&.
std::string roff_text(std::string_view s);

} // namespace llmops::report
