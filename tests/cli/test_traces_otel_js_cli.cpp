// A real OpenTelemetry SDK against `llmops traces serve`: the JavaScript SDK's OTLP/HTTP JSON
// exporter (@opentelemetry/exporter-trace-otlp-http), configured by the standard environment
// variables, exports GenAI spans; `traces list` then shows them as calls. The SDK is installed
// by `scripts/setup.sh --tests` into LLMOPS_OTEL_JS_DIR (environment, else the CMake default).

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace llmops::test {

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path otel_js_dir() {
    const char* env = std::getenv("LLMOPS_OTEL_JS_DIR");
    return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(LLMOPS_OTEL_JS_DIR);
}

// An application's instrumentation as a user writes it: a tracer from the SDK, the exporter
// configured only by OTEL_EXPORTER_OTLP_* variables, GenAI attributes set by hand.
constexpr const char* k_app_js = R"js(
const { diag, DiagConsoleLogger, DiagLogLevel, SpanStatusCode } = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
});
const tracer = provider.getTracer('support-bot');

function chat(ticket, answer, error) {
  const span = tracer.startSpan('chat gpt-4o-mini', { attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 120,
    'gen_ai.usage.output_tokens': 3,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: ticket }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }] }]),
    'llmops.prompt.name': 'support/triage',
    'llmops.prompt.version': 3,
    'llmops.vars.ticket': ticket,
  } });
  if (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  }
  span.end();
}

chat('My card was charged twice', 'billing');
chat('The app crashes on start', 'bug');
chat('Where is my parcel?', '', 'rate limited');
tracer.startSpan('GET /tickets', { attributes: { 'http.request.method': 'GET' } }).end();
provider.shutdown().then(() => console.log('exported'), (e) => { console.error(e); process.exit(1); });
)js";

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::traces serve receives the OpenTelemetry JavaScript SDK's spans") {
        const fs::path sdk = otel_js_dir();
        const std::string missing = "the OpenTelemetry JavaScript SDK is not installed in " +
                                    sdk.string() + ": run scripts/setup.sh --tests";
        REQUIRE_MESSAGE(fs::exists(sdk / "node_modules/@opentelemetry/exporter-trace-otlp-http"),
                        missing);
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        ServeProcess serve(dir, {"traces", "serve"}, {"-v"});
        const std::string endpoint = serve.url();
        std::ofstream(dir / "app.js") << k_app_js;
        RunOptions options;
        options.cwd = dir.path();
        options.env = {{"NODE_PATH", (sdk / "node_modules").string()},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint},
                       {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
                       {"NO_PROXY", "*"},
                       {"no_proxy", "*"}};
        const auto app = run_program({"node", "app.js"}, options);
        CHECK(serve.stop(SIGTERM) == 0);
        CAPTURE(app.err);
        CAPTURE(slurp(dir / "serve.err"));
        REQUIRE(app.exit_code == 0);
        CHECK(app.out == "exported\n");
        CHECK(slurp(dir / "serve.err")
                  .find("POST /v1/traces 200: 3 new, 0 already there, 1 skipped, 0 rejected") !=
              std::string::npos);
        const auto list = llmops(dir.path(), {"traces", "list", "--json"});
        REQUIRE(list.exit_code == 0);
        const json calls = json::parse(list.out);
        REQUIRE(calls.size() == 3);
        int errors = 0;
        for (const auto& c : calls) {
            CHECK(c["prompt"] == "support/triage");
            CHECK(c["version"] == "3");
            CHECK(c["model"] == "gpt-4o-mini");
            CHECK(c["provider"] == "openai");
            CHECK(c["input_tokens"] == 120);
            CHECK(c["source"] == "otlp");
            CHECK(c["span_id"].get<std::string>().size() == 16);
            CHECK(c["vars"]["ticket"] == c["messages"][0]["content"]);
            errors += c["error"].get<bool>() ? 1 : 0;
            if (c["error"].get<bool>()) {
                CHECK(c["error_message"] == "rate limited");
            }
        }
        CHECK(errors == 1);
        CHECK(llmops(dir.path(), {"usage", "--json"}).exit_code == 0);
    }
} // TEST_SUITE

} // namespace llmops::test
