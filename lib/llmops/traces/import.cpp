#include <llmops/traces/import.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/store/calls.hpp>
#include <llmops/traces/read.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;

// What reading some lines gave: calls (not yet priced or resolved), skipped spans, and the
// problems as (line, why).
struct ReadResult {
    std::vector<store::CallRecord> calls;
    int64_t skipped = 0;
    std::vector<std::pair<size_t, std::string>> problems;

    // One parsed document: an OTLP request, or a JSONL call whose text is `line_text`.
    void add_document(const json& doc, std::string_view line_text, size_t line) {
        if (is_otlp_request(doc)) {
            OtlpBatch batch = read_otlp_request(doc);
            skipped += batch.skipped;
            for (const auto& bad : batch.bad) {
                problems.emplace_back(line, fmt::format("{}: {}", bad.where, bad.why));
            }
            std::move(batch.calls.begin(), batch.calls.end(), std::back_inserter(calls));
            return;
        }
        auto call = read_jsonl_call(doc, line_text);
        if (!call) {
            problems.emplace_back(line, call.error().message());
            return;
        }
        calls.push_back(std::move(*call));
    }
};

// Lines of a file, read together on a worker thread: (number, text).
using Chunk = std::vector<std::pair<size_t, std::string>>;

// Reads the lines of `chunk` of the file `name`. Pure: runs on worker threads.
ReadResult read_chunk(const Chunk& chunk, const std::string& name) {
    ReadResult result;
    for (const auto& [number, line] : chunk) {
        auto doc = util::parse_json(line, name, number);
        if (!doc) {
            result.problems.emplace_back(number, "not JSON");
            continue;
        }
        result.add_document(*doc, line, number);
    }
    return result;
}

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

    // Counts and stores what some lines gave, in the file's order.
    Expected<void> add(ReadResult result) {
        for (const auto& [line, why] : result.problems) {
            problem(line, why);
        }
        summary.skipped += result.skipped;
        for (auto& call : result.calls) {
            price_call(call, *prices);
            LLMOPS_TRY(labels.resolve(call));
            LLMOPS_TRY(writer.add(std::move(call)));
        }
        return {};
    }
};

// Lines are parsed and read on worker threads, a chunk of about this many bytes each, while
// this thread writes the calls of the chunks before them, in order. Parsing is two thirds of an
// import's time (nlohmann's DOM, the GenAI messages inside attributes, redaction); SQLite's
// inserts the rest.
constexpr size_t k_chunk_bytes = 1u << 20;

// Reads chunks on up to as many threads as there are cores and hands their results to
// `importer` in the file's order; at most that many chunks wait, so memory stays flat.
class ChunkPipeline {
public:
    explicit ChunkPipeline(Importer& importer)
        : m_importer(&importer),
          m_max_in_flight(std::max<size_t>(1, std::thread::hardware_concurrency())) {}
    ~ChunkPipeline() {
        for (auto& f : m_in_flight) {
            f.wait(); // the workers read `m_importer->name`
        }
    }
    ChunkPipeline(const ChunkPipeline&) = delete;
    ChunkPipeline& operator=(const ChunkPipeline&) = delete;

    // Adds a line; dispatches the chunk when it is full.
    Expected<void> add_line(size_t number, std::string line) {
        m_bytes += line.size();
        m_chunk.emplace_back(number, std::move(line));
        return m_bytes >= k_chunk_bytes ? dispatch() : Expected<void>();
    }

    // Dispatches the last chunk and stores every result.
    Expected<void> finish() {
        LLMOPS_TRY(dispatch());
        while (!m_in_flight.empty()) {
            LLMOPS_TRY(store_oldest());
        }
        return {};
    }

private:
    Expected<void> dispatch() {
        if (m_chunk.empty()) {
            return {};
        }
        m_in_flight.push_back(
            std::async(std::launch::async, [chunk = std::move(m_chunk), name = &m_importer->name] {
                return read_chunk(chunk, *name);
            }));
        m_chunk.clear();
        m_bytes = 0;
        while (m_in_flight.size() > m_max_in_flight) {
            LLMOPS_TRY(store_oldest());
        }
        return {};
    }

    Expected<void> store_oldest() {
        ReadResult result = m_in_flight.front().get();
        m_in_flight.pop_front();
        return m_importer->add(std::move(result));
    }

    Importer* m_importer;
    size_t m_max_in_flight;
    Chunk m_chunk;
    size_t m_bytes = 0;
    std::deque<std::future<ReadResult>> m_in_flight;
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
    ReadResult result;
    result.add_document(*doc, text, 1);
    LLMOPS_TRY(importer.add(std::move(result)));
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
    ChunkPipeline pipeline(importer);
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
        LLMOPS_TRY(pipeline.add_line(number, std::move(line)));
        line = std::string();
    }
    if (in.bad()) {
        return fail(ErrorCode::io, "cannot read '{}': {}", path.string(), std::strerror(errno));
    }
    LLMOPS_TRY(pipeline.finish());
    LLMOPS_TRY(importer.writer.flush());
    importer.summary.imported = importer.writer.inserted();
    importer.summary.duplicates = importer.writer.duplicates();
    return std::move(importer.summary);
}

} // namespace llmops::traces
