// Fuzz target: a `judge calibrate` labels file (SPEC §9), read by eval::judge::load_labels. The
// input is the file (JSONL), written to a scratch folder. Labels or an error must come back
// (`invalid_input`, one line); every label read is a verdict (an output) or a pairwise label
// whose `best` indexes one of at least two outputs, and ids are unique.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <llmops/eval/judge/calibrate.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fuzz = llmops::fuzz;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto path = fuzz::ScratchDir::write("labels.jsonl", text);
    std::string hash;
    auto labels = llmops::eval::judge::load_labels(path, "labels.jsonl", &hash);
    if (!labels) {
        fuzz::check_error(labels.error(), {llmops::ErrorCode::invalid_input}, "load_labels");
        return 0;
    }
    if (labels->empty()) {
        fuzz::die("load_labels returned no labels without an error");
    }
    std::set<std::string> ids;
    for (const auto& label : *labels) {
        if (!ids.insert(label.id).second) {
            fuzz::die("load_labels returned a duplicate id");
        }
        if (label.pairwise() && (label.outputs.size() < 2 || label.best < 0 ||
                                 label.best >= static_cast<int>(label.outputs.size()))) {
            fuzz::die("load_labels returned a pairwise label whose 'best' is not an output");
        }
        if (label.human_score && (*label.human_score < 0 || *label.human_score > 1)) {
            fuzz::die("load_labels returned a human score outside 0-1");
        }
    }
    return 0;
}
