#pragma once
// Terminal facts: whether a stream is a terminal and whether colour is wanted.

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace llmops::util {

// True when `stream` is a terminal.
bool is_terminal(std::FILE* stream);

// True when output to `stream` should be coloured: a terminal, and `NO_COLOR` unset or empty.
bool use_colour(std::FILE* stream);

// The width in columns that output to `stream` should fit: `COLUMNS` when set to a positive
// number, else the terminal's width (TIOCGWINSZ) when `stream` is a terminal, else `fallback`
// (output to a file or a pipe).
size_t terminal_columns(std::FILE* stream, size_t fallback = 100);

// ANSI colours for diff and status output; `paint` returns `text` unchanged when `enabled` is
// false.
enum class Colour { red, green, yellow, cyan, bold, dim };
std::string paint(std::string_view text, Colour colour, bool enabled);

} // namespace llmops::util
