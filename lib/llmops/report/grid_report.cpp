#include <llmops/report/grid_report.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <llmops/report/case_inputs.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

namespace {

constexpr size_t k_markdown_cell = 500;  // code points of a Markdown cell
constexpr size_t k_terminal_keep = 1000; // code points of a text kept for a terminal cell
constexpr size_t k_max_case_width = 20;  // of the case column on a terminal
constexpr std::string_view k_gap = "  "; // between terminal columns

struct Cell {
    std::string status; // pass, fail, error
    std::string output;
    std::string reason;
};

struct Row {
    int case_index = 0;
    std::string case_id;
    int repeat = 0;
    std::string vars;
    std::vector<std::optional<Cell>> cells; // by variant position
};

struct Grid {
    std::vector<std::string> labels;
    std::vector<Row> rows;
    bool repeated = false;
};

// `text` cut to `max` code points, its last one "…" when longer.
std::string cut(const std::string& text, size_t max) {
    if (max == SIZE_MAX || code_point_count(text) <= max) {
        return text;
    }
    size_t dropped = 0;
    return head_text(text, max - 1, dropped) + "…";
}

Expected<Grid> load_grid(store::Database& db, int64_t run_id, size_t keep) {
    auto run = LLMOPS_TRY(store::load_run(db, run_id));
    Grid grid;
    std::map<int, size_t> column; // variant index -> position
    for (const auto& v : run.variants) {
        column[v.index] = grid.labels.size();
        grid.labels.push_back(v.label);
    }
    std::map<std::tuple<int, std::string, int>, size_t> at;
    auto ok = store::for_each_result(db, run_id, [&](store::ResultRecord& r) -> Expected<void> {
        auto c = column.find(r.variant);
        if (c == column.end()) {
            return {}; // a variant the run does not list
        }
        grid.repeated = grid.repeated || r.repeat > 0;
        const auto key = std::tuple(r.case_index, r.case_id, r.repeat);
        auto [it, added] = at.emplace(key, grid.rows.size());
        if (added) {
            grid.rows.push_back(Row{r.case_index, r.case_id, r.repeat, vars_line(r.vars, keep),
                                    std::vector<std::optional<Cell>>(grid.labels.size())});
        }
        grid.rows[it->second].cells[c->second] =
            Cell{r.status, r.output ? cut(*r.output, keep) : "", cut(r.reason, keep)};
        return {};
    });
    if (!ok) {
        return fail(ok.error());
    }
    std::stable_sort(grid.rows.begin(), grid.rows.end(), [](const Row& a, const Row& b) {
        return std::tie(a.case_index, a.case_id, a.repeat) <
               std::tie(b.case_index, b.case_id, b.repeat);
    });
    return grid;
}

std::string case_name(const Row& row, bool repeated) {
    return repeated ? fmt::format("{} #{}", row.case_id, row.repeat + 1) : row.case_id;
}

// A cell as one line of text: "PASS output", "ERROR reason", "-".
std::string cell_text(const std::optional<Cell>& cell) {
    if (!cell) {
        return "-";
    }
    if (cell->status == "error") {
        return "ERROR " + cell->reason;
    }
    return (cell->status == "pass" ? "PASS " : "FAIL ") + cell->output;
}

// Widths for columns of natural widths `natural` sharing `room` columns of text: each column
// that fits its fair share keeps its natural width; the others split what is left.
std::vector<size_t> fit_widths(const std::vector<size_t>& natural, size_t room) {
    std::vector<size_t> width(natural.size(), 0);
    std::vector<size_t> open(natural.size());
    for (size_t i = 0; i < open.size(); ++i) {
        open[i] = i;
    }
    bool settled = true;
    while (!open.empty() && settled) {
        settled = false;
        const size_t fair = room / open.size();
        for (auto it = open.begin(); it != open.end();) {
            if (natural[*it] <= fair) {
                width[*it] = natural[*it];
                room -= natural[*it];
                it = open.erase(it);
                settled = true;
            } else {
                ++it;
            }
        }
    }
    for (size_t k = 0; k < open.size(); ++k) {
        // The last open column takes what division leaves over.
        width[open[k]] = std::max<size_t>(1, room / open.size() +
                                                 (k + 1 == open.size() ? room % open.size() : 0));
    }
    return width;
}

// A terminal cell coloured by its leading status word when `colour` is on.
std::string painted(std::string cell, Colour colour) {
    if (colour == Colour::off) {
        return cell;
    }
    static const std::pair<std::string_view, util::Colour> k_words[] = {
        {"PASS ", util::Colour::green},
        {"FAIL ", util::Colour::red},
        {"ERROR ", util::Colour::yellow}};
    for (const auto& [word, c] : k_words) {
        if (cell.starts_with(word)) {
            return util::paint(word.substr(0, word.size() - 1), c, true) +
                   cell.substr(word.size() - 1);
        }
    }
    return cell;
}

std::string terminal_grid(const Grid& grid, const GridOptions& o) {
    std::vector<std::vector<std::string>> lines; // header, then rows; one-line texts
    std::vector<std::string> header{"CASE", "INPUTS"};
    for (const auto& l : grid.labels) {
        header.push_back(l);
    }
    lines.push_back(header);
    for (const auto& row : grid.rows) {
        std::vector<std::string> line{case_name(row, grid.repeated), row.vars};
        for (const auto& cell : row.cells) {
            line.push_back(cell_text(cell));
        }
        lines.push_back(std::move(line));
    }
    std::vector<size_t> natural(header.size(), 1);
    for (const auto& line : lines) {
        for (size_t i = 0; i < line.size(); ++i) {
            natural[i] = std::max(natural[i], code_point_count(terminal_line(line[i])));
        }
    }
    natural[0] = std::min(natural[0], k_max_case_width);
    // A width too narrow for a code point per column and the gaps between them loses the last
    // columns rather than passing the width.
    size_t columns = header.size();
    while (columns > 1 && k_gap.size() * (columns - 1) + columns > o.width) {
        --columns;
    }
    natural.resize(columns);
    const auto widths = fit_widths(natural, o.width - k_gap.size() * (columns - 1));
    std::string out;
    for (size_t n = 0; n < lines.size(); ++n) {
        std::string text;
        for (size_t i = 0; i < columns; ++i) {
            const std::string cell = terminal_cell(lines[n][i], widths[i]);
            text += (i == 0 ? "" : std::string(k_gap)) + (n == 0 ? cell : painted(cell, o.colour));
        }
        text.erase(text.find_last_not_of(' ') + 1);
        out += text + "\n";
    }
    return out;
}

std::string markdown_grid(const Grid& grid) {
    std::string out = "| Case | Inputs |";
    std::string rule = "|:--|:--|";
    for (const auto& l : grid.labels) {
        out += " " + markdown_text(l) + " |";
        rule += ":--|";
    }
    out += "\n" + rule + "\n";
    for (const auto& row : grid.rows) {
        out += "| <code>" + markdown_text(case_name(row, grid.repeated)) + "</code> | " +
               markdown_text(cut(row.vars, k_markdown_cell)) + " |";
        for (const auto& cell : row.cells) {
            std::string text = cut(cell_text(cell), k_markdown_cell);
            const size_t space = text.find(' ');
            const bool status = cell.has_value() && space != std::string::npos;
            out += status ? " **" + text.substr(0, space) + "** " +
                                markdown_text(text.substr(space + 1)) + " |"
                          : " " + markdown_text(text) + " |";
        }
        out += "\n";
    }
    return out;
}

std::string csv_grid(const Grid& grid) {
    std::string out = "case_id,repeat,vars";
    for (const auto& l : grid.labels) {
        out += "," + csv_text(l + " status") + "," + csv_text(l + " output") + "," +
               csv_text(l + " reason");
    }
    out += "\r\n";
    for (const auto& row : grid.rows) {
        out += fmt::format("{},{},{}", csv_text(row.case_id), row.repeat + 1, csv_text(row.vars));
        for (const auto& cell : row.cells) {
            out += cell ? fmt::format(",{},{},{}", cell->status, csv_text(cell->output),
                                      csv_text(cell->reason))
                        : std::string(",,,");
        }
        out += "\r\n";
    }
    return out;
}

} // namespace

GridFormat grid_format(const std::optional<std::string>& name) {
    if (name == "md" || name == "markdown") {
        return GridFormat::markdown;
    }
    return name == "csv" ? GridFormat::csv : GridFormat::terminal;
}

Expected<std::string> run_grid(store::Database& db, int64_t run_id, const GridOptions& options) {
    const size_t keep = options.format == GridFormat::csv ? SIZE_MAX : k_terminal_keep;
    auto grid = LLMOPS_TRY(load_grid(db, run_id, keep));
    switch (options.format) {
    case GridFormat::terminal: return terminal_grid(grid, options);
    case GridFormat::markdown: return markdown_grid(grid);
    case GridFormat::csv: return csv_grid(grid);
    }
    return std::string();
}

} // namespace llmops::report
