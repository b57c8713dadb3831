#pragma once
// Record and replay (SPEC §5). `--record FILE` appends one JSON line per successful call; the
// `replay:FILE` provider answers from such a file, so committed recordings make CI hermetic and
// free. A line is
//   {"v": 1, "provider": "openai:gpt-4o-mini", "model": "gpt-4o-mini", "key": "<replay key>",
//    "repeat": 0, "messages": [{"role", "content"}], "params": {...},
//    "response": <outcome_to_json>}
// and never holds a secret. Matching is by replay key: the SHA-256 of the rendered messages and
// the repeat index (the provider and its parameters are not part of it, so one recording can be
// replayed under a `replay:` id; a file holding several providers' answers needs
// `config.provider` to choose).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <llmops/provider/outcome.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/util/error.hpp>
#include <llmops/util/redact.hpp>

namespace llmops::provider {

// Returns the replay key of `messages` at `repeat`: hex SHA-256 of the canonical JSON
// {"messages": [{"content","role"}...], "repeat": N}.
std::string replay_key(const std::vector<ChatMessage>& messages, int repeat);

// A replay file loaded into memory (recordings are small next to the runs they replace).
class ReplayFile {
public:
    // Loads `path`. Fails with `invalid_input` naming the line: "FILE:LINE:COL: not valid JSON:
    // <what>", "FILE:LINE: not a JSON object", "FILE:LINE: missing 'key'" (also 'provider' and
    // 'response'), "FILE:LINE: 'response' is not an object", "FILE:LINE: unsupported replay
    // format version 2 (...)"; with `not_found` "replay file 'FILE' does not exist". Blank lines
    // are skipped. When a key appears twice for the same provider, the later line wins (a
    // re-record). Responses are checked when looked up, not here (loading 10,000 lines takes a
    // few milliseconds).
    static Expected<ReplayFile> load(const std::filesystem::path& path);

    // The providers whose answers the file holds, sorted.
    std::vector<std::string> providers() const;

    // Looks up the answer to `messages` at `repeat` recorded from `provider` (any provider when
    // empty). Fails with `not_found`: "replay FILE: no recorded answer for this request (repeat
    // N; first message: '<first 60 characters>...')" (" from 'P'" after "answer" when
    // `provider` is set); with `invalid_input` when `provider` is empty and several providers
    // answered this request ("replay FILE: this request was recorded from several providers;
    // set config.provider to one of: a, b"), or "FILE:LINE: response.output is missing" (and the
    // other outcome_from_json errors) for a malformed answer. The outcome comes back with
    // `replayed` set, no cost and one attempt. Thread-safe (const).
    Expected<CallOutcome> find(const std::vector<ChatMessage>& messages, int repeat,
                               std::string_view provider) const;

    const std::filesystem::path& path() const { return m_path; }
    size_t size() const { return m_entries.size(); }

private:
    struct Entry {
        std::string provider;
        std::string response_json; // outcome_to_json text, parsed on a hit
        size_t line = 0;           // where it was read, for errors
    };
    std::filesystem::path m_path;
    std::multimap<std::string, Entry> m_entries; // by replay key
};

// Appends recorded calls to a JSONL file. Each line is written and flushed whole (one write
// call), so a killed run leaves only complete lines. Thread-safe.
class Recorder {
public:
    // Opens `path` for appending (creating it and its parent directory; a file not ending with
    // a newline gets one first). Fails with `io`.
    static Expected<std::unique_ptr<Recorder>> open(const std::filesystem::path& path);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Appends one line for a successful call (invalid UTF-8 in it becomes U+FFFD), with the
    // secrets of `redactor` scrubbed from its messages and parameters (the replay key is that of
    // the messages as sent; the engine redacts the outcome). Fails with `io` naming the file.
    Expected<void> record(std::string_view provider_id, const CompletionRequest& request,
                          int repeat, const CallOutcome& outcome,
                          const util::Redactor& redactor = util::Redactor());

    const std::filesystem::path& path() const { return m_path; }

private:
    Recorder(std::filesystem::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}
    std::filesystem::path m_path;
    int m_fd = -1;
    std::mutex m_mutex;
};

} // namespace llmops::provider
