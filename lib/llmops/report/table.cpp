#include <llmops/report/table.hpp>

#include <algorithm>

#include <llmops/report/escape.hpp>

namespace llmops::report {

std::string fit_variant_label(std::string_view label, size_t width) {
    const std::string line = terminal_line(label);
    const size_t length = code_point_count(line);
    if (length <= width) {
        return line;
    }
    size_t dropped = 0;
    const size_t bar = line.rfind(" | ");
    if (bar != std::string::npos) {
        const std::string provider = line.substr(bar); // " | openai:gpt-4o-mini"
        const size_t provider_length = code_point_count(provider);
        constexpr size_t k_min_prompt = 4; // a prompt side shorter than this says nothing
        if (provider_length + k_min_prompt + 1 <= width) {
            return head_text(line.substr(0, bar), width - provider_length - 1, dropped) + "…" +
                   provider;
        }
    }
    // Keep the end, where the model is.
    if (width == 0) {
        return "";
    }
    std::string tail;
    size_t kept = 0;
    for (size_t i = line.size(); i > 0 && kept + 1 < width; --i) {
        if ((static_cast<unsigned char>(line[i - 1]) & 0xC0) != 0x80) { // a code point's start
            tail = line.substr(i - 1);
            ++kept;
        }
    }
    return "…" + tail;
}

std::vector<bool> fit_columns(const std::vector<TableColumn>& columns, size_t width, size_t fixed,
                              size_t label_need, size_t label_min, size_t& label_width) {
    std::vector<bool> kept(columns.size(), true);
    const auto used = [&] {
        size_t total = fixed;
        for (size_t i = 0; i < columns.size(); ++i) {
            total += kept[i] ? columns[i].width + 2 : 0;
        }
        return total;
    };
    const size_t label_want = std::min(label_need, std::max(label_min, size_t{20}));
    int max_rank = 0;
    for (const auto& c : columns) {
        max_rank = std::max(max_rank, c.drop_rank);
    }
    for (int rank = 1; rank <= max_rank && used() + label_want > width; ++rank) {
        for (size_t i = 0; i < columns.size(); ++i) {
            kept[i] = kept[i] && columns[i].drop_rank != rank;
        }
    }
    const size_t room = width > used() ? width - used() : 0;
    label_width = std::max(label_min, std::min(label_need, room));
    return kept;
}

} // namespace llmops::report
