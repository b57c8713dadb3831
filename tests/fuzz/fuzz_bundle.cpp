// Fuzz target: a prompt bundle (SPEC §3), read by store::parse_bundle. A bundle or an error must
// come back (`invalid_input`, one line). A bundle that parsed must write back to text that parses
// to the same text, and must import into an empty store that fsck then finds sound, and a second
// import of it must change nothing.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <llmops/store/bundle.hpp>
#include <llmops/store/fsck.hpp>
#include <llmops/store/schema.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fuzz = llmops::fuzz;
    namespace store = llmops::store;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto bundle = store::parse_bundle(text, "bundle.json");
    if (!bundle) {
        fuzz::check_error(bundle.error(), {llmops::ErrorCode::invalid_input}, "parse_bundle");
        return 0;
    }
    const std::string written = store::bundle_json(*bundle);
    auto reread = store::parse_bundle(written, "written.json");
    if (!reread) {
        fuzz::die("parse_bundle refused what bundle_json wrote", reread.error());
    }
    if (store::bundle_json(*reread) != written) {
        fuzz::die("a bundle does not survive writing and reading back");
    }

    const auto path = fuzz::ScratchDir::path() / "llmops.db";
    std::filesystem::remove(path);
    auto db = store::Database::open(path, store::OpenMode::read_write);
    if (!db) {
        fuzz::die("opening the scratch store", db.error());
    }
    if (auto ok = store::migrate(*db); !ok) {
        fuzz::die("migrating the scratch store", ok.error());
    }
    auto first = store::import_bundle(*db, *bundle, false);
    if (!first) {
        fuzz::die("import_bundle into an empty store", first.error());
    }
    if (!first->conflicts.empty()) {
        fuzz::die("an import into an empty store reported a conflict");
    }
    auto report = store::fsck(*db);
    if (!report) {
        fuzz::die("fsck after an import", report.error());
    }
    if (!report->problems.empty()) {
        fuzz::die("fsck found a problem after an import: " + report->problems.front().kind + " " +
                  report->problems.front().subject + ": " + report->problems.front().message);
    }
    auto second = store::import_bundle(*db, *bundle, false);
    if (!second) {
        fuzz::die("import_bundle of the same bundle again", second.error());
    }
    for (const auto& p : second->prompts) {
        if (!p.added.empty() || !p.labels.empty()) {
            fuzz::die("a second import of the same bundle changed the store");
        }
    }
    return 0;
}
