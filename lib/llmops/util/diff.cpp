#include <llmops/util/diff.hpp>

#include <vector>

#include <dtl/dtl.hpp>
#include <fmt/format.h>

#include <llmops/util/strings.hpp>
#include <llmops/util/term.hpp>

namespace llmops::util {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
    if (text.empty()) {
        return {};
    }
    if (text.back() == '\n') {
        text.remove_suffix(1);
    }
    return split(text, '\n');
}

} // namespace

std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_label, std::string_view after_label,
                         bool colour) {
    if (before == after) {
        return {};
    }
    const auto a = lines_of(before);
    const auto b = lines_of(after);
    dtl::Diff<std::string, std::vector<std::string>> diff(a, b);
    diff.onHuge();
    diff.compose();
    diff.composeUnifiedHunks();
    std::string out = paint(fmt::format("--- {}", before_label), Colour::bold, colour) + "\n" +
                      paint(fmt::format("+++ {}", after_label), Colour::bold, colour) + "\n";
    for (const auto& hunk : diff.getUniHunks()) {
        out += paint(fmt::format("@@ -{},{} +{},{} @@", hunk.a, hunk.b, hunk.c, hunk.d),
                     Colour::cyan, colour);
        out += '\n';
        const auto emit = [&](const auto& elements) {
            for (const auto& [line, info] : elements) {
                if (info.type == dtl::SES_ADD) {
                    out += paint("+" + line, Colour::green, colour);
                } else if (info.type == dtl::SES_DELETE) {
                    out += paint("-" + line, Colour::red, colour);
                } else {
                    out += " " + line;
                }
                out += '\n';
            }
        };
        emit(hunk.common[0]);
        emit(hunk.change);
        emit(hunk.common[1]);
    }
    return out;
}

} // namespace llmops::util
