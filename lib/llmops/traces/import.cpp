#include <llmops/traces/import.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/store/calls.hpp>
#include <llmops/traces/read.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;

// The state of one file's import: its writer, counts, and where it is.
struct Importer {
    store::CallWriter writer;
    const provider::PriceTable* prices;
    std::string name;
    ImportSummary summary;
    LabelResolver labels;

    void problem(size_t line, std::string_view why) {
        ++summary.bad;
        if (summary.problems.size() < ImportSummary::k_max_problems) {
            summary.problems.push_back(fmt::format("{}:{}: {}", name, line, why));
        }
    }

    Expected<void> add(store::CallRecord call) {
        price_call(call, *prices);
        LLMOPS_TRY(labels.resolve(call));
        return writer.add(std::move(call));
    }

    // One parsed document: an OTLP request, or a JSONL call whose text is `line_text`.
    Expected<void> add_document(const json& doc, std::string_view line_text, size_t line) {
        if (is_otlp_request(doc)) {
            OtlpBatch batch = read_otlp_request(doc);
            summary.skipped += batch.skipped;
            for (const auto& bad : batch.bad) {
                problem(line, fmt::format("{}: {}", bad.where, bad.why));
            }
            for (auto& call : batch.calls) {
                LLMOPS_TRY(add(std::move(call)));
            }
            return {};
        }
        auto call = read_jsonl_call(doc, line_text);
        if (!call) {
            problem(line, call.error().message());
            return {};
        }
        return add(std::move(*call));
    }
};

// A file whose first line is not JSON by itself may be one pretty-printed document.
bool starts_multi_line_document(std::string_view first_line) {
    const json doc = util::parse_json_or_discarded(first_line);
    const size_t brace = first_line.find_first_not_of(" \t\r");
    return doc.is_discarded() && brace != std::string_view::npos && first_line[brace] == '{';
}

// The largest file read whole as one document. A JSONL file whose first line is broken JSON
// also gets here: past this size it is read line by line, never held in memory.
constexpr std::uintmax_t k_max_document_bytes = 256u << 20;

// Reads `path` whole as one document (the OTLP file written by hand or by a script).
Expected<bool> import_whole(Importer& importer, const std::filesystem::path& path) {
    std::error_code ec;
    if (const auto size = std::filesystem::file_size(path, ec); ec || size > k_max_document_bytes) {
        return false;
    }
    const std::string text = LLMOPS_TRY(util::read_file(path));
    auto doc = util::parse_json(text, importer.name);
    if (!doc || !is_otlp_request(*doc)) {
        return false; // read line by line, which reports each bad line
    }
    LLMOPS_TRY(importer.add_document(*doc, text, 1));
    return true;
}

} // namespace

void price_call(store::CallRecord& call, const provider::PriceTable& prices) {
    if (call.input_tokens && call.output_tokens && !call.model.empty()) {
        if (const auto* entry = prices.find(call.model, call.provider)) {
            provider::Usage usage;
            usage.input = *call.input_tokens;
            usage.output = *call.output_tokens;
            call.cost_usd = provider::cost_usd(*entry, usage);
        }
    }
}

Expected<void> LabelResolver::resolve(store::CallRecord& call) {
    const std::string& version = call.prompt_version;
    // Numbers are versions; label names are never shaped like one (store/prompts.hpp).
    if (call.prompt.empty() || version.empty() ||
        version.find_first_not_of("0123456789") == std::string::npos) {
        return {};
    }
    auto key = std::make_pair(call.prompt, version);
    auto it = m_moves.find(key);
    if (it == m_moves.end()) {
        auto moves = LLMOPS_TRY(store::label_moves(*m_db, call.prompt, version));
        it = m_moves.emplace(std::move(key), std::move(moves)).first;
    }
    std::optional<int64_t> number;
    bool placed = false;
    for (const auto& move : it->second) {
        if (move.time_unix_ns > call.time_unix_ns) {
            break;
        }
        number = move.to_number;
        placed = true;
    }
    if (placed && number) {
        call.prompt_version = std::to_string(*number);
    }
    return {};
}

Expected<ImportSummary> import_file(store::Database& db, const std::filesystem::path& path,
                                    const provider::PriceTable& prices) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(ErrorCode::io, "cannot read '{}': {}", path.string(), std::strerror(errno));
    }
    Importer importer{store::CallWriter(db), &prices, path.string(), {}, LabelResolver(db)};
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        if (number == 1 && starts_multi_line_document(line) &&
            LLMOPS_TRY(import_whole(importer, path))) {
            break;
        }
        auto doc = util::parse_json(line, importer.name, number);
        if (!doc) {
            importer.problem(number, "not JSON");
            continue;
        }
        LLMOPS_TRY(importer.add_document(*doc, line, number));
    }
    if (in.bad()) {
        return fail(ErrorCode::io, "cannot read '{}': {}", path.string(), std::strerror(errno));
    }
    LLMOPS_TRY(importer.writer.flush());
    importer.summary.imported = importer.writer.inserted();
    importer.summary.duplicates = importer.writer.duplicates();
    return std::move(importer.summary);
}

} // namespace llmops::traces
