#pragma once
// Terminal tables that fit: a row is never wrapped. Columns a narrow terminal cannot hold are
// left out (the least useful first), and the label column gets what is left, its labels cut
// with one "…" where they say least.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace llmops::report {

// A variant's label ("prompt | provider") cut to `width` code points on one line. The provider
// side (after the last " | ") always survives: the prompt side is cut first
// ("What is {{a}} plus… | openai:gpt-4o-mini"), then, when even the provider does not fit,
// the label's start ("…nai:gpt-4o-mini").
std::string fit_variant_label(std::string_view label, size_t width);

// A numeric column of a table: its header, width (at least the header's), and the rank at
// which a narrow terminal drops it (1 first; 0 never).
struct TableColumn {
    std::string header;
    size_t width = 0;
    int drop_rank = 0;
};

// Which of `columns` a table `width` wide shows, given the label column needs `label_need`
// code points (and at least `label_min`) and `fixed` more for columns that always show (such
// as "#"); each column costs its width plus a two-space gap. Returns the kept columns' flags
// and sets `label_width` to the label column's width.
std::vector<bool> fit_columns(const std::vector<TableColumn>& columns, size_t width, size_t fixed,
                              size_t label_need, size_t label_min, size_t& label_width);

} // namespace llmops::report
