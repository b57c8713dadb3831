// Fuzz target: what providers send back (SPEC §4), bytes from the network or from a user's
// program. The first byte picks the reader: 0-3 provider::parse_response for OpenAI, Azure,
// Anthropic and Gemini (JSON and SSE), 4 the `http` provider's response path, 5 an `exec:`
// program's stdout; its value modulo 6 for other bytes. The second byte's low bit asks for a
// streamed (SSE) request, and its upper bits pick the HTTP status given to error_from_response.
// The rest is the body. Failures must come back as errors: provider (rate_limited, timeout and
// network too from error_from_response), never an exception.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/exec.hpp>
#include <llmops/provider/http_target.hpp>
#include <llmops/provider/wire.hpp>
#include <llmops/util/subprocess.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
namespace provider = llmops::provider;
namespace fuzz = llmops::fuzz;

// The usage of a parsed answer is counted into costs: never negative.
void check_usage(const provider::Usage& usage, std::string_view what) {
    if (usage.input < 0 || usage.output < 0 || usage.cached_input < 0 || usage.cache_write < 0 ||
        usage.reasoning < 0) {
        fuzz::die(std::string(what) + " returned a negative token count");
    }
}

const std::vector<provider::HttpTarget>& http_targets() {
    static const std::vector<provider::HttpTarget> k_targets = [] {
        std::vector<provider::HttpTarget> targets;
        for (const char* path :
             {"json.output", "choices[0].message.content", "data[\"a b\"][1]", ""}) {
            auto target = provider::parse_http_target(
                {{"url", "http://localhost/answer"}, {"transformResponse", path}}, "fuzz");
            if (!target) {
                fuzz::die("parse_http_target", target.error());
            }
            targets.push_back(std::move(*target));
        }
        return targets;
    }();
    return k_targets;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    static const long k_statuses[] = {200, 0, 400, 401, 404, 408, 429, 500, 503, 529};
    const int reader = data[0] % 6;
    const bool stream = (data[1] & 1) != 0;
    const long status = k_statuses[(data[1] >> 1) % std::size(k_statuses)];

    provider::CompletionRequest request;
    request.model = "fuzz-model";
    request.messages = {{"system", "Be brief."}, {"user", "h\xC3\xA9llo"}};
    request.params.stream = stream;

    provider::HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data) + 2, size - 2);
    response.headers = {{"content-type", stream ? "text/event-stream" : "application/json"}};
    response.latency_ms = 12.5;

    if (reader < 4) {
        const auto api = static_cast<provider::Api>(reader);
        auto result = provider::parse_response(api, request, response);
        if (result) {
            check_usage(result->usage, "parse_response");
        } else {
            fuzz::check_error(result.error(), {ErrorCode::provider}, "parse_response");
        }
        response.status = status;
        if (status == 0) {
            response.transport_error = "connection refused";
        }
        const llmops::Error error = provider::error_from_response(api, response);
        fuzz::check_error(
            error,
            {ErrorCode::provider, ErrorCode::rate_limited, ErrorCode::timeout, ErrorCode::network},
            "error_from_response");
    } else if (reader == 4) {
        for (const auto& target : http_targets()) {
            auto outcome = provider::parse_http_target_response(target, request, response);
            if (outcome) {
                check_usage(outcome->result.usage, "parse_http_target_response");
            } else {
                fuzz::check_error(outcome.error(), {ErrorCode::provider},
                                  "parse_http_target_response");
            }
        }
    } else {
        llmops::util::ProcessResult process;
        process.exit_code = (data[1] >> 1) % 3;
        process.out = response.body;
        process.err = "a line\nthe last line of stderr\n";
        auto outcome = provider::parse_exec_result("exec:./fuzz.sh", request, process, 5000);
        if (outcome) {
            check_usage(outcome->result.usage, "parse_exec_result");
        } else {
            fuzz::check_error(outcome.error(), {ErrorCode::provider}, "parse_exec_result");
        }
    }
    return 0;
}
