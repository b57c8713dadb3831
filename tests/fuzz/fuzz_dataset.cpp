// Fuzz target: dataset files (SPEC §7): CSV with promptfoo's conventions (the RFC 4180 field
// reader, the header's special columns, "contains: x" cells), JSONL, JSON and YAML. The first
// byte picks the format ('c' CSV, 'l' JSONL, 'j' JSON, 'y' YAML, any other byte its value
// modulo 4), the rest is the file, written to a scratch folder with that extension and read
// through eval::detail::open_dataset as load_suite reads it. Every raw case is then parsed
// (assertions, `file://` variables) and finalised (defaults, list-variable expansion, ids), as
// the runner does one case at a time. Failures must come back as errors: invalid_input, or
// not_found and io for a `file://` variable that names nothing or a folder.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
namespace eval = llmops::eval;
namespace fuzz = llmops::fuzz;

const char* extension_for(uint8_t selector) {
    switch (selector) {
    case 'c': return "csv";
    case 'l': return "jsonl";
    case 'j': return "json";
    case 'y': return "yaml";
    default: break;
    }
    static const char* const k_extensions[] = {"csv", "jsonl", "json", "yaml"};
    return k_extensions[selector % 4];
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    static const bool fixtures =
        (fuzz::ScratchDir::write("vars.txt", "text of a variable\n"),
         fuzz::ScratchDir::write("vars.json", "{\"a\": [1, \"b\"]}"), true);
    (void)fixtures;
    const auto path = fuzz::ScratchDir::write(std::string("data.") + extension_for(data[0]), text);

    std::string hash;
    auto reader = eval::detail::open_dataset(path, &hash);
    if (!reader) {
        fuzz::check_error(reader.error(), {ErrorCode::invalid_input}, "open_dataset");
        return 0;
    }
    if (hash.size() != 64) {
        fuzz::die("open_dataset set no content hash");
    }
    // Parsing a case reads the files its `file://` variables name.
    const bool parse_cases = !fuzz::may_name_special_file(text);
    const eval::detail::CaseDraft defaults;
    eval::detail::CaseFinalizer finalizer(defaults, /*check_duplicates=*/true);
    std::deque<eval::TestCase> cases;
    for (;;) {
        eval::detail::RawCase raw;
        auto more = (*reader)->next(raw);
        if (!more) {
            fuzz::check_error(more.error(), {ErrorCode::invalid_input}, "RawCaseReader::next");
            return 0;
        }
        if (!*more) {
            return 0;
        }
        if (!parse_cases) {
            continue;
        }
        auto draft =
            eval::detail::parse_case(raw, fuzz::ScratchDir::path(), eval::detail::CaseKind::test);
        if (!draft) {
            fuzz::check_error(draft.error(),
                              {ErrorCode::invalid_input, ErrorCode::not_found, ErrorCode::io},
                              "parse_case");
            return 0;
        }
        if (auto added = finalizer.add(*draft, cases); !added) {
            fuzz::check_error(added.error(), {ErrorCode::invalid_input}, "CaseFinalizer::add");
            return 0;
        }
        cases.clear(); // the runner holds one case at a time
    }
}
