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

// The width tables printed to `stream` fit in: `COLUMNS` when set to a number (as shells export
// it, and as a script sets it), else the terminal's width, else 100 (a file or a pipe: wide
// enough to read, narrow enough for a review comment). At least 40.
inline constexpr size_t k_default_width = 100;
size_t terminal_width(std::FILE* stream);

// ANSI colours for diff and status output; `paint` returns `text` unchanged when `enabled` is
// false.
enum class Colour { red, green, yellow, cyan, bold, dim };
std::string paint(std::string_view text, Colour colour, bool enabled);

} // namespace llmops::util
