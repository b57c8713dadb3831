#pragma once
// `llmops traces import`: trace files read a line at a time into the store's `calls` table.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <llmops/provider/pricing.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/database.hpp>

namespace llmops::traces {

// What importing one file did.
struct ImportSummary {
    int64_t imported = 0;              // calls new to the store
    int64_t duplicates = 0;            // calls whose span id was stored already
    int64_t skipped = 0;               // spans that are not LLM calls (no gen_ai.* attribute)
    int64_t bad = 0;                   // lines or spans that could not be read
    std::vector<std::string> problems; // the first k_max_problems of them: `file:line: why`

    static constexpr size_t k_max_problems = 5;
};

// Sets `call.cost_usd` from `prices` when the model and both token counts are known and the
// model is priced; leaves it unset (NULL in the store) otherwise.
void price_call(store::CallRecord& call, const provider::PriceTable& prices);

// Resolves labels in calls' prompt refs (`support/triage@production`) to the version number the
// label pointed at when the call was made, from the store's label history. A version that is
// not a label of the prompt (a number, a version id, a label it never had), or a label that
// pointed nowhere at the call's time, is kept as written. Moves are read once per label.
class LabelResolver {
public:
    explicit LabelResolver(store::Database& db) : m_db(&db) {}

    // Rewrites `call.prompt_version` when it names a label. Fails with `io`.
    Expected<void> resolve(store::CallRecord& call);

private:
    store::Database* m_db;
    std::map<std::pair<std::string, std::string>, std::vector<store::LabelMove>> m_moves;
};

// Imports `path`: OTLP JSON (one ExportTraceServiceRequest per line, as the collector's file
// exporter writes, or one whole document) or llmops's JSONL form, told apart line by line.
// Streams: a line at a time, calls committed in batches. Bad lines and spans are counted, never
// fatal. Costs come from `prices` (NULL when the model is unpriced). Fails with `io` when the
// file cannot be read or the store written.
Expected<ImportSummary> import_file(store::Database& db, const std::filesystem::path& path,
                                    const provider::PriceTable& prices);

} // namespace llmops::traces
