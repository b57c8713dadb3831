#include <llmops/report/case_inputs.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/report/run_report.hpp>

// Reports of eval runs. The file is in sections: text safety (UTF-8 and escaping for each
// format), number formatting, the JSON shapes, the export sink, one exporter per format, and the
// terminal reports. The shapes are documented in docs/runs.md ("Reports"); change them only by
// adding fields, since `llmops diff` and users' scripts read them.
// NEEDSWORK: split into one file per format (STYLE.md §1) once lib/CMakeLists.txt lists them.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <variant>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/compare/compare.hpp>
#include <llmops/report/diff_html.hpp>
#include <llmops/report/table.hpp>
#include <llmops/traces/spans.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/money.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/term.hpp>

namespace llmops::report {

namespace {

using nlohmann::json;
using util::plural;
namespace fs = std::filesystem;

// Code points of a case's variables on one line (vars_line) in the failure lists.
constexpr size_t k_inputs_chars = 200;
// Code points kept of a case's variables and of a rendered prompt for the HTML page (which cuts
// them further as it shows them).
constexpr size_t k_html_inputs_chars = 1000;
constexpr size_t k_html_prompt_chars = 4000;

// ---------------------------------------------------------------------------------------------
// Numbers and times.

// Shortest text that reads back as the same double (as JSON writes it, without ".0").
std::string number(double value) {
    return fmt::format("{}", value);
}

// A cost with its unpriced calls (util::format_cost): "$0.0123", "≥$0.0123" or "unknown".
std::string cost_text(double usd, int64_t unpriced) {
    return util::format_cost(usd, unpriced);
}

// "812ms", "1.2s".
std::string duration_ms(double ms) {
    if (ms < 1000) {
        return fmt::format("{:.0f}ms", ms);
    }
    return fmt::format("{:.1f}s", ms / 1000);
}

// 12345 -> "12345", 123456 -> "123k", 1234567 -> "1.2M": token counts in a narrow column.
std::string compact_count(int64_t n) {
    if (n < 100000) {
        return std::to_string(n);
    }
    if (n < 1000000) {
        return fmt::format("{}k", n / 1000);
    }
    return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
}

std::string percent(int64_t part, int64_t whole) {
    if (whole == 0) {
        return "-";
    }
    return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// Seconds since the epoch of an ISO 8601 UTC time as the store writes it
// ("2026-11-23T09:00:00.123Z"), or nothing when it does not parse.
std::optional<double> parse_iso(const std::string& iso) {
    std::tm tm{};
    double seconds = 0;
    if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &seconds) != 6) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const double whole = std::floor(seconds);
    tm.tm_sec = static_cast<int>(whole);
    const time_t t = ::timegm(&tm);
    if (t == static_cast<time_t>(-1)) {
        return std::nullopt;
    }
    return static_cast<double>(t) + (seconds - whole);
}

// "2026-11-23T09:00:00.123Z" -> "2026-11-23 09:00:00 UTC" (as it is when it does not parse).
std::string show_time(const std::string& iso) {
    if (iso.size() < 19 || !parse_iso(iso)) {
        return iso;
    }
    return iso.substr(0, 10) + " " + iso.substr(11, 8) + " UTC";
}

// "31s", "2m 05s", "1h 02m" between two ISO times; nothing when either does not parse.
std::optional<std::string> elapsed(const std::string& from, const std::optional<std::string>& to) {
    if (!to) {
        return std::nullopt;
    }
    auto a = parse_iso(from);
    auto b = parse_iso(*to);
    if (!a || !b || *b < *a) {
        return std::nullopt;
    }
    const auto s = static_cast<int64_t>(std::llround(*b - *a));
    if (s < 60) {
        return fmt::format("{}s", s);
    }
    if (s < 3600) {
        return fmt::format("{}m {:02}s", s / 60, s % 60);
    }
    return fmt::format("{}h {:02}m", s / 3600, (s % 3600) / 60);
}

// ---------------------------------------------------------------------------------------------
// JSON shapes (docs/runs.md, "Reports"). Keys come out sorted (nlohmann's object is a std::map), so
// the same run always exports to the same bytes.

// Dumps without ever throwing on invalid UTF-8 (stored JSON and texts may hold any bytes).
std::string dump(const json& value, int indent = -1) {
    return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Readers of stored JSON (summaries, provenance) that never throw: a field of another type
// than expected reads as the fallback.
int64_t int_at(const json& object, const char* key, int64_t fallback = 0) {
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

double real_at(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string text_at(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag_at(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

// Whether the run has a stored summary with its per-variant rows.
bool has_summary(const store::RunRecord& run) {
    const auto it = run.summary.find("variants");
    return it != run.summary.end() && it->is_array();
}

// Whether the run repeated its cases (test case names then carry " #r").
bool repeats(const store::RunRecord& run) {
    return int_at(run.provenance, "repeat", 1) > 1;
}

json optional_json(const std::optional<double>& value) {
    return value ? json(*value) : json(nullptr);
}

// Stored JSON with every URL sanitized: runs stored before llmops stripped credentials from
// URLs may hold some (new runs are sanitized when stored).
json public_json(json value) {
    util::sanitize_urls(value);
    return value;
}

json run_json(const store::RunRecord& run) {
    json out{{"id", run.id},
             {"suite_path", util::valid_utf8(run.suite_path)},
             {"suite_hash", run.suite_hash},
             {"dataset_hash", run.dataset_hash},
             {"description", util::valid_utf8(run.description)},
             {"status", run.status},
             {"started_at", run.started_at},
             {"ended_at", run.ended_at ? json(*run.ended_at) : json(nullptr)},
             {"tags", run.tags},
             {"provenance", public_json(run.provenance)}};
    if (run.status == "running" && run.lease) {
        // Who is writing it, while a live process does.
        out["writer"] = {{"pid", run.lease->holder.pid},
                         {"host", util::valid_utf8(run.lease->holder.host)},
                         {"since", run.lease->started_at},
                         {"heartbeat_ms", run.lease->heartbeat_ms}};
    }
    return out;
}

json variant_json(const store::VariantRecord& v) {
    return json{{"index", v.index},
                {"label", util::valid_utf8(v.label)},
                {"prompt_label", util::valid_utf8(v.prompt_label)},
                {"prompt_version_id", v.prompt_version_id},
                {"provider_id", util::sanitize_urls(v.provider_id)},
                {"provider_label", util::valid_utf8(v.provider_label)},
                {"provider_config", public_json(v.provider_config)}};
}

// `s` itself when it is well-formed (no copy of a large output), else util::valid_utf8(s).
std::string owned_valid_utf8(std::string&& s) {
    return util::find_invalid_utf8(s) ? util::valid_utf8(s) : std::move(s);
}

// The stored prompt (messages as JSON text) parsed back; the text itself when it is not JSON.
json prompt_json(std::string&& prompt) {
    auto parsed = json::parse(prompt, nullptr, false);
    return parsed.is_discarded() ? json(owned_valid_utf8(std::move(prompt))) : parsed;
}

// A result's JSON; the record's large texts (output, vars, prompt) are moved into it, not copied.
json result_json(store::ResultRecord& r) {
    return json{
        {"variant", r.variant},
        {"case_id", util::valid_utf8(r.case_id)},
        {"case_index", r.case_index},
        {"repeat", r.repeat},
        {"description", util::valid_utf8(r.description)},
        {"status", r.status},
        {"score", optional_json(r.score)},
        {"reason", util::valid_utf8(r.reason)},
        {"output", r.output ? json(owned_valid_utf8(std::move(*r.output))) : json(nullptr)},
        {"vars", std::move(r.vars)},
        {"prompt", prompt_json(std::move(r.prompt))},
        {"assertions", std::move(r.assertions)},
        {"usage",
         {{"input", r.input_tokens},
          {"output", r.output_tokens},
          {"cached_input", r.cached_input_tokens},
          {"reasoning", r.reasoning_tokens},
          {"estimated", r.tokens_estimated}}},
        {"cost_usd", optional_json(r.cost_usd)},
        {"latency_ms", r.latency_ms},
        {"first_token_ms", optional_json(r.first_token_ms)},
        {"cached", r.cached},
        {"finish_reason", util::valid_utf8(r.finish_reason)},
        {"judge",
         {{"calls", r.judge_calls},
          {"input_tokens", r.judge_input_tokens},
          {"output_tokens", r.judge_output_tokens},
          {"cost_usd", optional_json(r.judge_cost_usd)},
          {"spent_usd", r.judge_spent_usd}}},
    };
}

// The label of variant `index` in `run` ("variant N" for an index the run does not list).
std::string variant_label(const store::RunRecord& run, int index) {
    for (const auto& v : run.variants) {
        if (v.index == index) {
            return v.label;
        }
    }
    return fmt::format("variant {}", index);
}

// Adds `spaces` of indentation to every line of `text` but the first.
std::string indent_rest(const std::string& text, size_t spaces) {
    std::string out;
    for (char ch : text) {
        out += ch;
        if (ch == '\n') {
            out.append(spaces, ' ');
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// The export sink.

// Where an export goes: a util::AtomicFile beside the target, renamed into place by `commit` (a
// reader never sees half a file, and a failed export leaves the old file as it was), or
// standard output for "-". Writes are buffered; the temporary file is removed unless committed.
class Sink {
public:
    explicit Sink(fs::path path) : m_path(std::move(path)) {}

    Expected<void> open() {
        if (m_path == "-") {
            std::fflush(stdout); // whatever stdio buffered goes first
            return {};
        }
        m_file.emplace(LLMOPS_TRY(util::AtomicFile::create(m_path)));
        return {};
    }

    Expected<void> write(std::string_view text) {
        m_buffer += text;
        return m_buffer.size() >= k_buffer ? drain() : Expected<void>{};
    }

    Expected<void> commit() {
        LLMOPS_TRY(drain());
        return m_file ? m_file->commit() : Expected<void>{};
    }

private:
    static constexpr size_t k_buffer = 1 << 16;

    Expected<void> drain() {
        if (m_file) {
            LLMOPS_TRY(m_file->write(m_buffer));
        } else {
            LLMOPS_TRY(drain_to_stdout());
        }
        m_buffer.clear();
        return {};
    }

    Expected<void> drain_to_stdout() {
        size_t done = 0;
        while (done < m_buffer.size() && !m_reader_gone) {
            const ssize_t n =
                ::write(STDOUT_FILENO, m_buffer.data() + done, m_buffer.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EPIPE) {
                // `llmops runs export 3 -o - | head`: the reader left; stop quietly, as a
                // command writing to a closed pipe does.
                m_reader_gone = true;
                break;
            }
            if (n < 0) {
                return fail(ErrorCode::io, "cannot write to standard output: {}",
                            std::strerror(errno));
            }
            done += static_cast<size_t>(n);
        }
        return {};
    }

    fs::path m_path;
    std::optional<util::AtomicFile> m_file; // empty for standard output
    std::string m_buffer;
    bool m_reader_gone = false;
};

// Writes `value` as dump() would (compact, ill-formed UTF-8 replaced) straight into `out`, a few
// kilobytes at a time: a result holding a 50 MB output is never built as one string.
Expected<void> write_compact(Sink& out, const json& value) {
    struct Adapter final : nlohmann::detail::output_adapter_protocol<char> {
        explicit Adapter(Sink& to) : sink(to) {}
        void write_character(char c) override { write_characters(&c, 1); }
        void write_characters(const char* s, size_t length) override {
            if (status) {
                status = sink.write(std::string_view(s, length));
            }
        }
        Sink& sink;
        Expected<void> status;
    };
    auto adapter = std::make_shared<Adapter>(out);
    nlohmann::detail::serializer<json> serializer(adapter, ' ', json::error_handler_t::replace);
    serializer.dump(value, false, false, 0);
    return adapter->status;
}

// ---------------------------------------------------------------------------------------------
// .json: one document, written as it is read: the header (run, variants, stored summary), then
// each result on its own line, then the closing brackets.

Expected<void> write_json(store::Database& db, const store::RunRecord& run, Sink& out) {
    std::string head =
        "{\n  \"llmops_export\": 1,\n  \"run\": " + indent_rest(dump(run_json(run), 2), 2) +
        ",\n  \"variants\": [";
    for (size_t i = 0; i < run.variants.size(); ++i) {
        head += (i == 0 ? "\n    " : ",\n    ") + dump(variant_json(run.variants[i]));
    }
    head += run.variants.empty() ? "],\n" : "\n  ],\n";
    head += "  \"summary\": " + indent_rest(dump(run.summary, 2), 2) + ",\n  \"results\": [";
    LLMOPS_TRY(out.write(head));
    bool first = true;
    auto ok = store::for_each_result(db, run.id, [&](store::ResultRecord& r) {
        auto written = out.write(first ? "\n    " : ",\n    ");
        first = false;
        return written ? write_compact(out, result_json(r)) : written;
    });
    if (!ok) {
        return ok;
    }
    return out.write(first ? "]\n}\n" : "\n  ]\n}\n");
}

// .jsonl: one result a line, with the run number and the variant's label.
Expected<void> write_jsonl(store::Database& db, const store::RunRecord& run, Sink& out) {
    return store::for_each_result(db, run.id, [&](store::ResultRecord& r) {
        json line = result_json(r);
        line["run"] = run.id;
        line["variant_label"] = util::valid_utf8(variant_label(run, r.variant));
        auto written = write_compact(out, line);
        return written ? out.write("\n") : written;
    });
}

// OTLP JSON lines (docs/otlp.md): one ExportTraceServiceRequest per result, holding its spans as
// `eval --otlp-endpoint` sends them (the same builder), so `traces import` reads the file back.
Expected<void> write_otlp(store::Database& db, const store::RunRecord& run, Sink& out,
                          traces::Content content) {
    const traces::SpanRun span_run{run.id, run.started_at};
    const store::VariantRecord unknown;
    return store::for_each_result(db, run.id, [&](store::ResultRecord& r) -> Expected<void> {
        const auto v = std::find_if(run.variants.begin(), run.variants.end(),
                                    [&](const auto& x) { return x.index == r.variant; });
        auto spans =
            traces::result_spans(span_run, v == run.variants.end() ? unknown : *v, r, content);
        LLMOPS_TRY(write_compact(out, traces::otlp_request(std::move(spans))));
        return out.write("\n");
    });
}

// .csv: RFC 4180 (CRLF line ends, a header row), text cells guarded by csv_text.
Expected<void> write_csv(store::Database& db, const store::RunRecord& run, Sink& out) {
    LLMOPS_TRY(out.write("run,variant,variant_label,case_id,description,repeat,status,score,reason,"
                         "output,input_tokens,output_tokens,cost_usd,latency_ms,cached,"
                         "finish_reason,vars\r\n"));
    // Written cell by cell, each large text dropped once written: memory stays a small multiple
    // of the largest value.
    return store::for_each_result(db, run.id, [&](store::ResultRecord& r) -> Expected<void> {
        auto written = out.write(fmt::format(
            "{},{},{},{},{},{},{},{},{},", run.id, r.variant,
            csv_text(variant_label(run, r.variant)), csv_text(r.case_id), csv_text(r.description),
            r.repeat, r.status, r.score ? number(*r.score) : "", csv_text(r.reason)));
        if (written && r.output) {
            written = out.write(csv_text(*r.output));
            r.output.reset();
        }
        if (written) {
            written =
                out.write(fmt::format(",{},{},{},{},{},{},", r.input_tokens, r.output_tokens,
                                      r.cost_usd ? number(*r.cost_usd) : "", number(r.latency_ms),
                                      r.cached ? "true" : "false", csv_text(r.finish_reason)));
        }
        if (written) {
            std::string vars = dump(r.vars);
            r.vars = json();
            written = out.write(csv_text(vars));
        }
        return written ? out.write("\r\n") : written;
    });
}

// ---------------------------------------------------------------------------------------------
// .xml: JUnit as GitLab and Jenkins read it. The counts of a <testsuite> come before its test
// cases, so the results are read twice (counting, then writing): memory stays flat.

struct SuiteCounts {
    int64_t tests = 0;
    int64_t failures = 0;
    int64_t errors = 0;
    double seconds = 0;
};

struct JunitPlan {
    std::map<int, SuiteCounts> suites;
    SuiteCounts total;
    bool repeated = false; // test case names carry " #r"
};

Expected<JunitPlan> plan_junit(store::Database& db, const store::RunRecord& run) {
    JunitPlan plan;
    plan.repeated = repeats(run);
    for (const auto& v : run.variants) {
        plan.suites[v.index] = SuiteCounts{};
    }
    auto ok =
        store::for_each_result(db, run.id, [&](const store::ResultRecord& r) -> Expected<void> {
            plan.repeated = plan.repeated || r.repeat > 0;
            auto it = plan.suites.find(r.variant);
            if (it == plan.suites.end()) {
                return {}; // a variant the run does not list: not reportable under a name
            }
            for (SuiteCounts* c : {&it->second, &plan.total}) {
                ++c->tests;
                c->failures += r.status == "fail" ? 1 : 0;
                c->errors += r.status == "error" ? 1 : 0;
                c->seconds += r.latency_ms / 1000;
            }
            return {};
        });
    if (!ok) {
        return fail(ok.error());
    }
    return plan;
}

std::string seconds_text(double seconds) {
    return fmt::format("{:.3f}", seconds);
}

std::string junit_suite_open(const store::RunRecord& run, const store::VariantRecord& v,
                             const SuiteCounts& c) {
    const std::string timestamp = run.started_at.substr(0, 19); // the XSD's form: no zone
    std::string out = fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
        "time=\"{}\" timestamp=\"{}\">\n    <properties>\n",
        xml_escape(v.label, XmlPlace::attribute), c.tests, c.failures, c.errors,
        seconds_text(c.seconds), xml_escape(timestamp, XmlPlace::attribute));
    const std::pair<const char*, std::string> properties[] = {
        {"llmops.run", std::to_string(run.id)},
        {"llmops.suite", run.suite_path},
        {"llmops.suite_hash", run.suite_hash},
        {"llmops.dataset_hash", run.dataset_hash},
        {"llmops.prompt_version_id", v.prompt_version_id},
        {"llmops.provider", v.provider_id},
    };
    for (const auto& [name, value] : properties) {
        out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name,
                           xml_escape(value, XmlPlace::attribute));
    }
    return out + "    </properties>\n";
}

std::string junit_case(const store::ResultRecord& r, const std::string& classname, bool repeated) {
    std::string name = r.case_id;
    if (repeated) {
        name += fmt::format(" #{}", r.repeat + 1);
    }
    std::string out =
        fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                    xml_escape(name, XmlPlace::attribute),
                    xml_escape(classname, XmlPlace::attribute), seconds_text(r.latency_ms / 1000));
    if (r.status == "pass") {
        return out + "/>\n";
    }
    const char* element = r.status == "error" ? "error" : "failure";
    std::string body = r.reason;
    if (r.output) {
        body += r.output->empty() ? "\n\noutput: (empty)" : "\n\noutput:\n" + *r.output;
    }
    out += fmt::format(">\n      <{0} message=\"{1}\" type=\"{2}\">{3}</{0}>\n    </testcase>\n",
                       element, xml_escape(r.reason, XmlPlace::attribute), r.status,
                       xml_escape(body, XmlPlace::text));
    return out;
}

Expected<void> write_junit(store::Database& db, const store::RunRecord& run, Sink& out) {
    auto plan = LLMOPS_TRY(plan_junit(db, run));
    auto ok = out.write(fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" "
        "failures=\"{}\" errors=\"{}\" time=\"{}\">\n",
        xml_escape(fmt::format("llmops run {}", run.id), XmlPlace::attribute), plan.total.tests,
        plan.total.failures, plan.total.errors, seconds_text(plan.total.seconds)));
    // Suites open in variant order; results arrive ordered by variant, so each suite is
    // written whole before the next opens (a variant without results gets an empty suite).
    size_t next = 0;
    bool open = false;
    auto open_through = [&](int variant) -> Expected<void> {
        while (next < run.variants.size() && run.variants[next].index <= variant) {
            const auto& v = run.variants[next++];
            std::string text = open ? "  </testsuite>\n" : "";
            text += junit_suite_open(run, v, plan.suites[v.index]);
            open = true;
            LLMOPS_TRY(out.write(text));
        }
        return {};
    };
    if (ok) {
        ok =
            store::for_each_result(db, run.id, [&](const store::ResultRecord& r) -> Expected<void> {
                if (!plan.suites.contains(r.variant)) {
                    return {};
                }
                LLMOPS_TRY(open_through(r.variant));
                return out.write(junit_case(r, variant_label(run, r.variant), plan.repeated));
            });
    }
    if (ok) {
        ok = open_through(std::numeric_limits<int>::max());
    }
    if (!ok) {
        return ok;
    }
    return out.write(std::string(open ? "  </testsuite>\n" : "") + "</testsuites>\n");
}

// ---------------------------------------------------------------------------------------------
// .md: a PR comment or CI step summary. GitHub caps a comment at 65,536 characters, so the
// failures shown stop at k_md_max_failures or when the document would pass k_md_budget bytes.

constexpr size_t k_md_max_failures = 50;
constexpr size_t k_md_budget = 60000;
constexpr size_t k_md_output_chars = 1500;
constexpr size_t k_md_reason_chars = 600;

std::string md_truncated(const std::string& text, size_t max, std::string* note) {
    size_t dropped = 0;
    std::string head(head_text(text, max, dropped));
    if (dropped > 0) {
        *note = fmt::format("*{} more characters not shown*\n", dropped);
    }
    return head;
}

std::string md_failure(const store::ResultRecord& r, const store::RunRecord& run, bool repeated) {
    std::string id = "<code>" + markdown_text(r.case_id) + "</code>";
    if (repeated) {
        id += fmt::format(" #{}", r.repeat + 1);
    }
    std::string out = fmt::format("<details>\n<summary><b>{}</b> {} · {}</summary>\n\n", r.status,
                                  id, markdown_text(variant_label(run, r.variant)));
    if (!r.description.empty()) {
        out += "**Case:** " + markdown_text(r.description) + "\n\n";
    }
    if (const std::string inputs = vars_line(r.vars, k_inputs_chars); !inputs.empty()) {
        out += "**Inputs:** " + markdown_text(inputs) + "\n\n";
    }
    std::string note;
    out += "**Reason:** " + markdown_text(md_truncated(r.reason, k_md_reason_chars, &note));
    out += note.empty() ? "\n\n" : "…\n\n";
    if (r.output && r.output->empty()) {
        out += "*(empty output)*\n\n";
    } else if (r.output) {
        note.clear();
        out += markdown_code_block(md_truncated(*r.output, k_md_output_chars, &note));
        out += note.empty() ? "" : "\n" + note;
        out += "\n";
    }
    return out + "</details>\n\n";
}

std::string md_summary_table(const eval::RunSummary& s) {
    std::string out =
        "| Variant | Pass rate | Pass | Fail | Errors | Score | Tokens in / out | Cost "
        "| p50 | p95 |\n|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& v : s.variants) {
        const int64_t judged = v.pass + v.fail;
        const bool latency = !v.latencies_ms.empty();
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} |\n",
                           markdown_text(v.label), percent(v.pass, judged), v.pass, v.fail,
                           v.errors, judged == 0 ? "-" : fmt::format("{:.2f}", v.mean_score()),
                           v.input_tokens, v.output_tokens, cost_text(v.cost_usd, v.unpriced),
                           latency ? duration_ms(v.latency_percentile(50)) : "-",
                           latency ? duration_ms(v.latency_percentile(95)) : "-");
    }
    return out;
}

std::string md_header(const store::RunRecord& run, const eval::RunSummary& s) {
    const int64_t pass = s.total(&eval::VariantSummary::pass);
    const int64_t failed = s.total(&eval::VariantSummary::fail);
    const int64_t errors = s.total(&eval::VariantSummary::errors);
    const int64_t results = s.total(&eval::VariantSummary::results);
    const char* icon = failed + errors > 0 || run.status == "failed" ? "❌"
                       : run.status == "complete" && results > 0     ? "✅"
                                                                     : "⚠️";
    std::vector<std::string> counts{fmt::format("{} passed", pass)};
    if (failed > 0) {
        counts.push_back(fmt::format("{} failed", failed));
    }
    if (errors > 0) {
        counts.push_back(plural(errors, "error"));
    }
    std::string out = fmt::format("## {} llmops run {} ({}): {}\n\n", icon, run.id, run.status,
                                  util::join(counts, ", "));
    std::vector<std::string> facts{plural(results, "result"),
                                   "suite <code>" + markdown_text(run.suite_path) + "</code>"};
    if (!run.description.empty()) {
        facts.push_back(markdown_text(run.description));
    }
    facts.push_back("started " + show_time(run.started_at));
    if (auto took = elapsed(run.started_at, run.ended_at)) {
        facts.push_back("took " + *took);
    }
    return out + util::join(facts, " · ") + "\n\n" + md_summary_table(s) + "\n";
}

// The HTML report (diff_html.hpp): unlike the other exports it holds the run in memory, as
// `llmops diff` does, to pair the variants' cases.
Expected<void> write_html(store::Database& db, const store::RunRecord& run, Sink& out) {
    auto sides = LLMOPS_TRY(
        compare::load_sides(&db, compare::SideRef{std::to_string(run.id), std::nullopt}));
    const compare::Options options;
    std::vector<compare::Comparison> comparisons;
    for (size_t i = 1; i < sides.size(); ++i) {
        comparisons.push_back(compare::compare(sides.front(), sides[i], options));
    }
    const auto summary = LLMOPS_TRY(eval::summarize_run(db, run.id));
    size_t pass = 0, judged = 0;
    for (const auto& v : summary.variants) {
        pass += static_cast<size_t>(v.pass);
        judged += static_cast<size_t>(v.pass + v.fail);
    }
    std::string title = fmt::format("llmops run {}: {}", run.id, run.suite_path);
    if (judged > 0) {
        title += fmt::format(", {} of {} passed", pass, judged);
    }
    CaseInputs inputs;
    LLMOPS_TRY(add_case_inputs(db, run.id, inputs));
    return out.write(run_html(title, sides, comparisons, options, inputs));
}

Expected<void> write_markdown(store::Database& db, const store::RunRecord& run, Sink& out) {
    // The summary is recomputed from the results (right for merged and resumed runs too).
    auto summary = LLMOPS_TRY(eval::summarize_run(db, run.id));
    const int64_t failures =
        summary.total(&eval::VariantSummary::fail) + summary.total(&eval::VariantSummary::errors);
    const bool repeated = repeats(run);
    std::string doc = md_header(run, summary);
    if (failures > 0) {
        doc += "### Failures and errors\n\n";
    }
    size_t shown = 0;
    bool full = false;
    auto ok =
        store::for_each_result(db, run.id, [&](const store::ResultRecord& r) -> Expected<void> {
            if (r.status == "pass" || full) {
                return {};
            }
            if (shown == k_md_max_failures) {
                full = true;
                return {};
            }
            std::string block = md_failure(r, run, repeated || r.repeat > 0);
            if (doc.size() + block.size() > k_md_budget) {
                full = true;
                return {};
            }
            doc += block;
            ++shown;
            return {};
        });
    if (!ok) {
        return ok;
    }
    if (static_cast<int64_t>(shown) < failures) {
        doc += fmt::format("... and {} more (`llmops runs show {} --failures` lists them all)\n\n",
                           failures - static_cast<int64_t>(shown), run.id);
    }
    std::string version = text_at(run.provenance, "llmops_version");
    doc += fmt::format("<sub>llmops{} · run {} · suite sha256 {} · dataset sha256 {}</sub>\n",
                       version.empty() ? "" : " " + markdown_text(version), run.id,
                       run.suite_hash.substr(0, 12), run.dataset_hash.substr(0, 12));
    return out.write(doc);
}

// ---------------------------------------------------------------------------------------------
// Terminal tables.

// One row of a summary table, from a live summary or a stored one.
struct TableRow {
    std::string label;
    std::optional<int64_t> index; // the variant's (none for the total)
    int64_t results = 0;
    int64_t pass = 0;
    int64_t fail = 0;
    int64_t errors = 0;
    double mean_score = 0;
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    double cost_usd = 0;
    int64_t unpriced = 0;
    int64_t cached = 0;
    std::optional<double> p50;
    std::optional<double> p95;
    // The judge (SPEC §9), kept apart from the model under test:
    int64_t judge_calls = 0;
    int64_t judge_input_tokens = 0;
    int64_t judge_output_tokens = 0;
    double judge_cost_usd = 0;
    int64_t judge_unpriced = 0;
    int64_t judged = 0;
    int64_t judge_split = 0;
    int64_t position_flips = 0;
};

TableRow row_of(const eval::VariantSummary& v) {
    TableRow row;
    row.label = v.label;
    row.index = v.index;
    row.results = v.results;
    row.pass = v.pass;
    row.fail = v.fail;
    row.errors = v.errors;
    row.mean_score = v.mean_score();
    row.input_tokens = v.input_tokens;
    row.output_tokens = v.output_tokens;
    row.cost_usd = v.cost_usd;
    row.unpriced = v.unpriced;
    row.cached = v.cached;
    row.judge_calls = v.judge_calls;
    row.judge_input_tokens = v.judge_input_tokens;
    row.judge_output_tokens = v.judge_output_tokens;
    row.judge_cost_usd = v.judge_cost_usd;
    row.judge_unpriced = v.judge_unpriced;
    row.judged = v.judged_assertions;
    row.judge_split = v.judge_split;
    row.position_flips = v.position_flips;
    if (!v.latencies_ms.empty()) {
        row.p50 = v.latency_percentile(50);
        row.p95 = v.latency_percentile(95);
    }
    return row;
}

// A row from the stored summary's JSON (VariantSummary::to_json). Its percentiles read 0 both
// for calls that took no time (echo) and for no calls at all (every answer cached or errored):
// shown as "-" only in the second case.
TableRow row_of(const json& v) {
    auto integer = [&](const char* key) { return int_at(v, key); };
    TableRow row;
    row.label = text_at(v, "label");
    row.index = int_at(v, "variant");
    row.results = integer("results");
    row.pass = integer("pass");
    row.fail = integer("fail");
    row.errors = integer("errors");
    row.mean_score = real_at(v, "mean_score");
    row.input_tokens = integer("input_tokens");
    row.output_tokens = integer("output_tokens");
    row.cost_usd = real_at(v, "cost_usd");
    row.unpriced = integer("unpriced");
    row.cached = integer("cached");
    if (auto j = v.find("judge"); j != v.end() && j->is_object()) {
        row.judge_calls = int_at(*j, "calls");
        row.judge_input_tokens = int_at(*j, "input_tokens");
        row.judge_output_tokens = int_at(*j, "output_tokens");
        row.judge_cost_usd = real_at(*j, "cost_usd");
        row.judge_unpriced = int_at(*j, "unpriced");
        row.judged = int_at(*j, "assertions");
        row.judge_split = int_at(*j, "split");
        row.position_flips = int_at(*j, "position_flips");
    }
    const double p50 = real_at(v, "latency_p50_ms");
    const double p95 = real_at(v, "latency_p95_ms");
    if (p50 > 0 || p95 > 0 || row.results - row.cached - row.errors > 0) {
        row.p50 = p50;
        row.p95 = p95;
    }
    return row;
}

// The sum of `rows` (its percentiles come from `latencies` when known).
TableRow total_of(const std::vector<TableRow>& rows) {
    TableRow t;
    t.label = "total";
    double score_sum = 0;
    for (const auto& r : rows) {
        t.results += r.results;
        t.pass += r.pass;
        t.fail += r.fail;
        t.errors += r.errors;
        score_sum += r.mean_score * static_cast<double>(r.pass + r.fail);
        t.input_tokens += r.input_tokens;
        t.output_tokens += r.output_tokens;
        t.cost_usd += r.cost_usd;
        t.unpriced += r.unpriced;
        t.cached += r.cached;
        t.judge_calls += r.judge_calls;
        t.judge_input_tokens += r.judge_input_tokens;
        t.judge_output_tokens += r.judge_output_tokens;
        t.judge_cost_usd += r.judge_cost_usd;
        t.judge_unpriced += r.judge_unpriced;
        t.judged += r.judged;
        t.judge_split += r.judge_split;
        t.position_flips += r.position_flips;
    }
    const int64_t judged = t.pass + t.fail;
    t.mean_score = judged == 0 ? 0 : score_sum / static_cast<double>(judged);
    return t;
}

// The summary table's columns after VARIANT; a narrow terminal drops TOKENS first, then P95,
// SCORE and P50 (SPEC §12: a row is never wrapped).
const std::vector<TableColumn>& summary_columns() {
    static const std::vector<TableColumn> columns{
        {"PASS RATE", 9, 0},      {"PASS", 5, 0},  {"FAIL", 5, 0}, {"ERROR", 5, 0}, {"SCORE", 5, 3},
        {"TOKENS IN/OUT", 13, 1}, {"COST", 10, 0}, {"P50", 7, 4},  {"P95", 7, 2}};
    return columns;
}

// The summary table's layout: the "#" column's width, the label's, the columns kept.
struct SummaryLayout {
    size_t index_width = 1;
    size_t label_width = 7;
    std::vector<bool> kept;
};

std::string table_line(const TableRow& r, const SummaryLayout& layout, Colour colour) {
    const int64_t judged = r.pass + r.fail;
    const auto rate_colour = r.fail > 0                    ? util::Colour::red
                             : judged > 0 && r.errors == 0 ? util::Colour::green
                                                           : util::Colour::yellow;
    // Each cell: its text and colour (painted after padding, so colour never shifts a column).
    const std::vector<std::pair<std::string, std::optional<util::Colour>>> cells{
        {percent(r.pass, judged), rate_colour},
        {std::to_string(r.pass), std::nullopt},
        {std::to_string(r.fail), r.fail > 0 ? std::optional(util::Colour::red) : std::nullopt},
        {std::to_string(r.errors),
         r.errors > 0 ? std::optional(util::Colour::yellow) : std::nullopt},
        {judged == 0 ? "-" : fmt::format("{:.2f}", r.mean_score), std::nullopt},
        {compact_count(r.input_tokens) + "/" + compact_count(r.output_tokens), std::nullopt},
        {cost_text(r.cost_usd, r.unpriced), std::nullopt},
        {r.p50 ? duration_ms(*r.p50) : "-", std::nullopt},
        {r.p95 ? duration_ms(*r.p95) : "-", std::nullopt}};
    std::string line =
        fmt::format("{:>{}}  ", r.index ? std::to_string(*r.index) : "", layout.index_width) +
        terminal_cell(fit_variant_label(r.label, layout.label_width), layout.label_width);
    const auto& columns = summary_columns();
    for (size_t i = 0; i < columns.size(); ++i) {
        if (!layout.kept[i]) {
            continue;
        }
        const size_t pad = columns[i].width > code_point_count(cells[i].first)
                               ? columns[i].width - code_point_count(cells[i].first)
                               : 0;
        const std::string cell = std::string(pad, ' ') + cells[i].first;
        line += "  " + (cells[i].second ? paint(cell, *cells[i].second, colour) : cell);
    }
    return line + "\n";
}

// The summary table: one row per variant, with the "#" that `diff RUN:N RUN:M` takes, and a
// total row when there are several; `width` columns at most.
std::string summary_table(const std::vector<TableRow>& rows, const std::optional<TableRow>& total,
                          Colour colour, size_t width) {
    SummaryLayout layout;
    size_t label_need = 7; // "VARIANT"
    for (const auto& r : rows) {
        label_need = std::max(label_need, code_point_count(terminal_line(r.label)));
        if (r.index) {
            layout.index_width = std::max(layout.index_width, std::to_string(*r.index).size());
        }
    }
    layout.kept = fit_columns(summary_columns(), width, layout.index_width + 2, label_need, 12,
                              layout.label_width);
    std::string header = fmt::format("{:>{}}  ", "#", layout.index_width) +
                         terminal_cell("VARIANT", layout.label_width);
    for (size_t i = 0; i < summary_columns().size(); ++i) {
        if (layout.kept[i]) {
            header +=
                fmt::format("  {:>{}}", summary_columns()[i].header, summary_columns()[i].width);
        }
    }
    std::string out = paint(header, util::Colour::bold, colour) + "\n";
    for (const auto& r : rows) {
        out += table_line(r, layout, colour);
    }
    if (total && rows.size() > 1) {
        out += table_line(*total, layout, colour);
    }
    return out;
}

// Notes under a summary table, from a run's flags and totals.
std::vector<std::string> summary_notes(int64_t run_id, bool stopped_by_cost, bool stopped_by_errors,
                                       bool interrupted, const TableRow& total) {
    std::vector<std::string> notes;
    if (stopped_by_cost) {
        notes.push_back(fmt::format("stopped by --max-cost: calls not started were skipped "
                                    "(llmops eval --resume {} runs them)",
                                    run_id));
    }
    if (stopped_by_errors) {
        notes.push_back(fmt::format("stopped after more errors than --max-errors allows "
                                    "(llmops eval --resume {} retries them)",
                                    run_id));
    }
    if (interrupted) {
        notes.push_back(fmt::format("interrupted: finished results are kept "
                                    "(llmops eval --resume {} completes the run)",
                                    run_id));
    }
    if (total.cached > 0) {
        notes.push_back(fmt::format("{} from the response cache (no latency counted)",
                                    plural(total.cached, "answer")));
    }
    if (total.unpriced > 0) {
        notes.push_back(fmt::format(
            "{} of a model without a price: their cost is unknown ('≥' costs leave them out)",
            plural(total.unpriced, "call")));
    }
    if (total.judge_calls > 0) {
        notes.push_back(fmt::format("judge: {}, {}/{} tokens, {} (not in the table's cost)",
                                    plural(total.judge_calls, "call"), total.judge_input_tokens,
                                    total.judge_output_tokens,
                                    cost_text(total.judge_cost_usd, total.judge_unpriced)));
    }
    if (total.judge_split > 0) {
        notes.push_back(fmt::format("judge noise: the judge's samples disagreed on {} of {} "
                                    "model-graded assertions ({})",
                                    total.judge_split, total.judged,
                                    percent(total.judge_split, total.judged)));
    }
    if (total.position_flips > 0) {
        notes.push_back(fmt::format("position bias: {} select-best {} flipped with the order of "
                                    "the outputs (counted as ties)",
                                    total.position_flips,
                                    total.position_flips == 1 ? "verdict" : "verdicts"));
    }
    return notes;
}

std::string verdict_line(int64_t run_id, const std::string& status, const TableRow& t) {
    std::vector<std::string> parts{fmt::format("{} passed", t.pass)};
    parts.push_back(fmt::format("{} failed", t.fail));
    parts.push_back(plural(t.errors, "error"));
    return fmt::format("run {} {}: {} ({})\n", run_id, status, util::join(parts, ", "),
                       plural(t.results, "result"));
}

std::string failure_block(const store::ResultRecord& r, const store::RunRecord& run, bool repeated,
                          size_t max_output_chars, Colour colour) {
    const bool error = r.status == "error";
    std::string id = terminal_line(r.case_id);
    if (repeated) {
        id += fmt::format(" #{}", r.repeat + 1);
    }
    std::string out =
        paint(error ? "ERROR" : "FAIL ", error ? util::Colour::yellow : util::Colour::red, colour) +
        " " + paint(id, util::Colour::bold, colour);
    if (!r.description.empty() && r.description != r.case_id) { // the id is often the description
        out += " - " + terminal_line(r.description);
    }
    out += "\n      variant: " + terminal_line(variant_label(run, r.variant)) + "\n";
    if (const std::string inputs = vars_line(r.vars, k_inputs_chars); !inputs.empty()) {
        out += "      inputs:  " + terminal_line(inputs) + "\n";
    }
    out += "      reason:  " + indent_rest(terminal_text(r.reason), 15) + "\n";
    if (r.output && max_output_chars > 0) {
        size_t dropped = 0;
        const std::string head(head_text(util::valid_utf8(*r.output), max_output_chars, dropped));
        std::string shown = terminal_text(head);
        if (dropped > 0) {
            shown +=
                paint(fmt::format(" … ({} more characters)", dropped), util::Colour::dim, colour);
        }
        out += "      output:  " +
               (r.output->empty() ? paint("(empty)", util::Colour::dim, colour)
                                  : indent_rest(shown, 15)) +
               "\n";
    }
    return out + "\n";
}

json list_entry_json(const store::RunRecord& run) {
    int64_t results = 0, pass = 0, failed = 0, errors = 0, unpriced = 0;
    double cost = 0;
    const bool summarized = has_summary(run);
    if (summarized) {
        for (const auto& v : run.summary["variants"]) {
            results += int_at(v, "results");
            pass += int_at(v, "pass");
            failed += int_at(v, "fail");
            errors += int_at(v, "errors");
            unpriced += int_at(v, "unpriced");
            cost += real_at(v, "cost_usd");
        }
    }
    const bool judged = pass + failed > 0;
    const auto cases_it = run.provenance.find("cases");
    const json cases = cases_it != run.provenance.end() ? *cases_it : json(nullptr);
    return json{
        {"id", run.id},
        {"status", run.status},
        {"started_at", run.started_at},
        {"ended_at", run.ended_at ? json(*run.ended_at) : json(nullptr)},
        {"suite_path", util::valid_utf8(run.suite_path)},
        {"description", util::valid_utf8(run.description)},
        {"tags", run.tags},
        {"cases", cases},
        {"results", summarized ? json(results) : json(nullptr)},
        {"pass", summarized ? json(pass) : json(nullptr)},
        {"fail", summarized ? json(failed) : json(nullptr)},
        {"errors", summarized ? json(errors) : json(nullptr)},
        {"pass_rate", judged ? json(static_cast<double>(pass) / static_cast<double>(pass + failed))
                             : json(nullptr)},
        // null when unknown (every call unpriced), as the run's own summary has it
        {"cost_usd", summarized && util::cost_known(cost, unpriced) ? json(cost) : json(nullptr)},
        {"unpriced", summarized ? json(unpriced) : json(nullptr)},
    };
}

// The provenance lines of `runs show`, from what the runner records (each when present).
// Where a run over production calls took its cases: "production calls of support/triage v3,
// 2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z, sample 150 per version, seed 1".
std::string traces_line(const json& t) {
    const auto text = [&](const char* key) {
        return t.contains(key) && t[key].is_string() ? t[key].get<std::string>() : std::string();
    };
    std::string out = "production calls of " + text("prompt");
    if (!text("version").empty()) {
        out += " v" + text("version");
    }
    if (!text("model").empty()) {
        out += " on " + text("model");
    }
    out += ", " + text("since") + ".." + text("until");
    if (t.contains("sample") && t["sample"].is_number_integer() && t["sample"].get<int64_t>() > 0) {
        out +=
            fmt::format(", sample {}{}, seed {}", t["sample"].get<int64_t>(),
                        t.contains("stratify") && t["stratify"].is_string() ? " per version" : "",
                        text("seed"));
    }
    return out;
}

std::string provenance_text(const json& p) {
    if (!p.is_object()) {
        return "";
    }
    std::string out;
    auto line = [&](std::string_view key, const std::string& value) {
        out += fmt::format("{:<13}{}\n", std::string(key) + ":", terminal_line(value));
    };
    if (const auto git = p.find("git"); git != p.end() && git->is_object()) {
        const std::string commit = text_at(*git, "commit");
        line("git",
             commit.substr(0, 12) + (flag_at(*git, "dirty") ? " (uncommitted changes)" : ""));
    }
    if (p.contains("llmops_version")) {
        std::string version = text_at(p, "llmops_version");
        const std::string commit = text_at(p, "llmops_commit");
        line("llmops",
             commit.empty() ? version : fmt::format("{} ({})", version, commit.substr(0, 12)));
    }
    if (p.contains("command_line")) {
        line("command", util::sanitize_urls(text_at(p, "command_line")));
    }
    if (const auto m = p.find("merged_from"); m != p.end() && m->is_array()) {
        std::vector<std::string> ids;
        for (const auto& id : *m) {
            ids.push_back(dump(id));
        }
        line("merged from", "runs " + util::join(ids, ", "));
    }
    if (const auto f = p.find("filters"); f != p.end() && f->is_object() && !f->empty()) {
        std::vector<std::string> filters;
        for (const auto& [key, value] : f->items()) {
            filters.push_back(key + "=" +
                              (value.is_string() ? value.get<std::string>() : dump(value)));
        }
        line("filters", util::join(filters, " "));
    }
    if (const auto t = p.find("traces"); t != p.end() && t->is_object()) {
        line("cases", traces_line(*t));
    }
    std::vector<std::string> settings;
    if (p.contains("cases"))
        settings.push_back(fmt::format("{} cases", dump(p["cases"])));
    if (p.contains("repeat"))
        settings.push_back(fmt::format("repeat {}", dump(p["repeat"])));
    if (p.contains("concurrency"))
        settings.push_back(fmt::format("-j {}", dump(p["concurrency"])));
    if (!settings.empty()) {
        line("settings", util::join(settings, ", "));
    }
    return out;
}

std::string variants_text(const std::vector<store::VariantRecord>& variants) {
    std::string out = "variants:\n";
    for (const auto& v : variants) {
        out += fmt::format("  [{}] {}\n      prompt:   {} {}\n      provider: {}", v.index,
                           terminal_line(v.label), terminal_line(v.prompt_label),
                           v.prompt_version_id.substr(0, 12),
                           terminal_line(util::sanitize_urls(v.provider_id)));
        if (v.provider_config.is_object() && !v.provider_config.empty()) {
            out += " " + terminal_line(dump(public_json(v.provider_config)));
        }
        out += "\n";
    }
    return out;
}

} // namespace

Expected<ExportFormat> export_format_for(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (ext == ".json")
        return ExportFormat::json;
    if (ext == ".jsonl")
        return ExportFormat::jsonl;
    if (ext == ".csv")
        return ExportFormat::csv;
    if (ext == ".xml")
        return ExportFormat::junit;
    if (ext == ".md")
        return ExportFormat::markdown;
    if (ext == ".html")
        return ExportFormat::html;
    if (ext.empty()) {
        return fail(ErrorCode::invalid_input,
                    "-o '{}': no extension to pick a report format from (use .json, .jsonl, "
                    ".csv, .xml, .md or .html)",
                    path.string());
    }
    return fail(ErrorCode::invalid_input,
                "-o '{}': unknown report format '{}' (use .json, .jsonl, .csv, .xml, .md or .html)",
                path.string(), path.extension().string());
}

Expected<ExportFormat> export_format_for(const std::filesystem::path& path,
                                         const std::optional<std::string>& format) {
    if (format == "otlp") { // named by --format alone: its files are .jsonl like others
        return ExportFormat::otlp;
    }
    if (path != "-") {
        return export_format_for(path);
    }
    if (!format) {
        return fail(ErrorCode::invalid_input, "-o '-' (standard output) needs --format {}",
                    k_export_format_names);
    }
    static const std::map<std::string, ExportFormat, std::less<>> k_names = {
        {"json", ExportFormat::json},         {"jsonl", ExportFormat::jsonl},
        {"csv", ExportFormat::csv},           {"xml", ExportFormat::junit},
        {"junit", ExportFormat::junit},       {"md", ExportFormat::markdown},
        {"markdown", ExportFormat::markdown}, {"html", ExportFormat::html},
        {"otlp", ExportFormat::otlp}};
    if (auto it = k_names.find(*format); it != k_names.end()) {
        return it->second;
    }
    return fail(ErrorCode::invalid_input, "--format '{}': unknown report format (use {})", *format,
                k_export_format_names);
}

Expected<void> export_run(store::Database& db, int64_t run_id, ExportFormat format,
                          const std::filesystem::path& path, traces::Content content) {
    auto run = LLMOPS_TRY(store::load_run(db, run_id));
    Sink out(path);
    LLMOPS_TRY(out.open());
    Expected<void> ok;
    switch (format) {
    case ExportFormat::json: ok = write_json(db, run, out); break;
    case ExportFormat::jsonl: ok = write_jsonl(db, run, out); break;
    case ExportFormat::csv: ok = write_csv(db, run, out); break;
    case ExportFormat::junit: ok = write_junit(db, run, out); break;
    case ExportFormat::markdown: ok = write_markdown(db, run, out); break;
    case ExportFormat::html: ok = write_html(db, run, out); break;
    case ExportFormat::otlp: ok = write_otlp(db, run, out, content); break;
    }
    if (!ok) {
        return ok; // the sink removes its temporary file
    }
    return out.commit();
}

Expected<void> add_case_inputs(store::Database& db, int64_t run_id, CaseInputs& inputs) {
    return store::for_each_result(db, run_id, [&](store::ResultRecord& r) -> Expected<void> {
        if (!inputs.vars.contains(r.case_id)) {
            inputs.vars.emplace(r.case_id, vars_line(r.vars, k_html_inputs_chars));
        }
        const auto key = std::tuple(run_id, r.variant, r.case_id);
        if (!inputs.prompts.contains(key)) {
            size_t dropped = 0;
            std::string text =
                head_text(rendered_prompt_text(r.prompt), k_html_prompt_chars, dropped);
            inputs.prompts.emplace(key, dropped > 0 ? text + "…" : text);
        }
        return {};
    });
}

std::string run_summary_text(const eval::RunSummary& summary, Colour colour, size_t width) {
    std::vector<TableRow> rows;
    for (const auto& v : summary.variants) {
        rows.push_back(row_of(v));
    }
    TableRow total = total_of(rows);
    std::vector<double> latencies;
    for (const auto& v : summary.variants) {
        latencies.insert(latencies.end(), v.latencies_ms.begin(), v.latencies_ms.end());
    }
    if (!latencies.empty()) {
        eval::VariantSummary all;
        all.latencies_ms = std::move(latencies);
        total.p50 = all.latency_percentile(50);
        total.p95 = all.latency_percentile(95);
    }
    std::string out = summary_table(rows, total, colour, width);
    out += verdict_line(summary.run_id, summary.status, total);
    for (const auto& note : summary_notes(summary.run_id, summary.stopped_by_cost,
                                          summary.stopped_by_errors, summary.interrupted, total)) {
        out += "  " + note + "\n";
    }
    if (summary.skipped_resumed > 0) {
        out += fmt::format("  {} kept from before the resume\n",
                           plural(summary.skipped_resumed, "result"));
    }
    return out;
}

namespace {

// Errors of one variant with one reason: a provider down gives the same error for every case,
// listed once with the cases it hit.
struct ErrorGroup {
    store::ResultRecord first;
    std::vector<std::string> case_ids; // the first few
    int64_t count = 0;
};

std::string error_group_block(const ErrorGroup& g, const store::RunRecord& run, Colour colour) {
    constexpr size_t k_ids_shown = 5;
    std::vector<std::string> ids;
    for (const auto& id : g.case_ids) {
        ids.push_back(terminal_line(id));
    }
    std::string cases = util::join(ids, ", ");
    if (g.count > static_cast<int64_t>(k_ids_shown)) {
        cases += ", …";
    }
    std::string out = paint("ERROR", util::Colour::yellow, colour) + " " +
                      paint(plural(g.count, "result"), util::Colour::bold, colour) +
                      " with one error\n";
    out += "      variant: " + terminal_line(variant_label(run, g.first.variant)) + "\n";
    out += "      reason:  " + indent_rest(terminal_text(g.first.reason), 15) + "\n";
    out += "      cases:   " + cases + "\n";
    return out + "\n";
}

} // namespace

Expected<std::string> failures_text(store::Database& db, int64_t run_id, size_t limit,
                                    size_t max_output_chars, Colour colour) {
    constexpr size_t k_ids_kept = 5;
    auto run = LLMOPS_TRY(store::load_run(db, run_id));
    const bool repeated = repeats(run);
    // Blocks in the order met; an error block is an index into `groups`, filled in at the end.
    std::vector<std::variant<std::string, size_t>> blocks;
    std::vector<ErrorGroup> groups;
    std::map<std::pair<int64_t, std::string>, size_t> group_of; // (variant, reason) -> group
    size_t more = 0;
    auto ok = store::for_each_result(
        db, run_id,
        [&](const store::ResultRecord& r) -> Expected<void> {
            if (r.status == "pass") {
                return {};
            }
            const auto key = std::pair{r.variant, r.reason};
            auto group = r.status == "error" ? group_of.find(key) : group_of.end();
            if (group != group_of.end()) {
                auto& g = groups[group->second];
                ++g.count;
                if (g.case_ids.size() < k_ids_kept) {
                    g.case_ids.push_back(r.case_id);
                }
                return {};
            }
            if (blocks.size() == limit) {
                ++more;
                return {};
            }
            if (r.status == "error") {
                group_of.emplace(key, groups.size());
                blocks.emplace_back(groups.size());
                groups.push_back({r, {r.case_id}, 1});
            } else {
                blocks.emplace_back(
                    failure_block(r, run, repeated || r.repeat > 0, max_output_chars, colour));
            }
            return {};
        },
        store::ResultSelection::not_passed);
    if (!ok) {
        return fail(ok.error());
    }
    std::string out;
    for (const auto& block : blocks) {
        if (const auto* text = std::get_if<std::string>(&block)) {
            out += *text;
            continue;
        }
        const auto& g = groups[std::get<size_t>(block)];
        out += g.count == 1 ? failure_block(g.first, run, repeated || g.first.repeat > 0,
                                            max_output_chars, colour)
                            : error_group_block(g, run, colour);
    }
    if (more > 0) {
        out += fmt::format("... and {} more; see llmops runs show {} --failures\n\n", more, run_id);
    }
    return out;
}

Expected<std::string> failure_lines(store::Database& db, int64_t run_id, size_t limit,
                                    size_t width) {
    auto run = LLMOPS_TRY(store::load_run(db, run_id));
    const bool repeated = repeats(run);
    std::string lines;
    size_t failed = 0, errors = 0;
    auto ok = store::for_each_result(
        db, run_id,
        [&](const store::ResultRecord& r) -> Expected<void> {
            (r.status == "error" ? errors : failed) += 1;
            if (failed + errors > limit) {
                return {};
            }
            std::string id = r.case_id;
            if (repeated || r.repeat > 0) {
                id += fmt::format(" #{}", r.repeat + 1);
            }
            std::string line = fmt::format("  {:<5} {}  [{}]",
                                           r.status == "error" ? "ERROR" : "FAIL", id, r.variant);
            if (const std::string inputs = vars_line(r.vars, width); !inputs.empty()) {
                line += "  inputs: " + inputs;
            }
            line = terminal_line(line);
            if (code_point_count(line) > width) {
                size_t dropped = 0;
                line = head_text(line, width > 0 ? width - 1 : 0, dropped) + "…";
            }
            lines += line + "\n";
            return {};
        },
        store::ResultSelection::not_passed);
    if (!ok) {
        return fail(ok.error());
    }
    if (failed + errors == 0) {
        return std::string();
    }
    std::string out =
        fmt::format("\nfailures: {} failed, {} (--failures shows outputs and reasons)\n", failed,
                    plural(static_cast<int64_t>(errors), "error"));
    out += lines;
    if (failed + errors > limit) {
        out += fmt::format("  ... and {} more\n", failed + errors - limit);
    }
    return out;
}

std::string runs_list_text(const std::vector<store::RunRecord>& runs, size_t width) {
    if (runs.empty()) {
        return "no runs yet (llmops eval runs a suite)\n";
    }
    size_t tags_width = 4; // "TAGS", up to 12
    for (const auto& run : runs) {
        tags_width = std::clamp(code_point_count(terminal_line(util::join(run.tags, ","))),
                                tags_width, size_t{12});
    }
    const size_t before_suite = 69 + tags_width + 2; // the columns before SUITE, with gaps
    std::string out = fmt::format("{:>4}  {:<11}  {:<16}  {:>5}  {:>9}  {:>10}  {}  {}\n", "RUN",
                                  "STATUS", "STARTED", "CASES", "PASS RATE", "COST",
                                  terminal_cell("TAGS", tags_width), "SUITE");
    for (const auto& run : runs) {
        const json e = list_entry_json(run);
        const std::string started =
            run.started_at.size() >= 16
                ? run.started_at.substr(0, 10) + " " + run.started_at.substr(11, 5)
                : run.started_at;
        const std::string cost =
            e["cost_usd"].is_null()
                ? (e["unpriced"].is_null() ? "-" : "unknown")
                : util::format_cost(e["cost_usd"].get<double>(), e["unpriced"].get<int64_t>());
        // The suite's path gives way from its start: its file name is what tells runs apart.
        const std::string suite = terminal_line(run.suite_path);
        const size_t room = std::max<size_t>(width > before_suite ? width - before_suite : 0, 12);
        std::string line = fmt::format(
            "{:>4}  {:<11}  {:<16}  {:>5}  {:>9}  {:>10}  {}  {}", run.id, run.status, started,
            e["cases"].is_null() ? "-" : dump(e["cases"]),
            e["pass_rate"].is_null() ? "-"
                                     : fmt::format("{:.1f}%", 100 * e["pass_rate"].get<double>()),
            cost, terminal_cell(util::join(run.tags, ","), tags_width),
            code_point_count(suite) <= room ? suite : fit_variant_label(suite, room));
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    return out;
}

std::string runs_list_json(const std::vector<store::RunRecord>& runs) {
    json items = json::array();
    for (const auto& run : runs) {
        items.push_back(list_entry_json(run));
    }
    return dump(json{{"runs", items}}, 2) + "\n";
}

std::string run_show_text(const store::RunRecord& run, size_t width) {
    std::string out = fmt::format("run {}: {}\n", run.id, run.status);
    auto line = [&](std::string_view key, const std::string& value) {
        out += fmt::format("{:<13}{}\n", std::string(key) + ":", terminal_line(value));
    };
    line("suite", fmt::format("{} (sha256 {})", run.suite_path, run.suite_hash.substr(0, 12)));
    if (!run.description.empty()) {
        line("description", run.description);
    }
    line("dataset", "sha256 " + run.dataset_hash.substr(0, 12));
    line("started", show_time(run.started_at));
    if (run.ended_at) {
        auto took = elapsed(run.started_at, run.ended_at);
        line("ended", show_time(*run.ended_at) + (took ? " (took " + *took + ")" : ""));
    }
    if (!run.tags.empty()) {
        line("tags", util::join(run.tags, ", "));
    }
    out += provenance_text(run.provenance);
    out += variants_text(run.variants);
    if (!has_summary(run)) {
        out += fmt::format("no summary: the run is running or stopped before it ended "
                           "(llmops eval --resume {} completes it)\n",
                           run.id);
        return out;
    }
    std::vector<TableRow> rows;
    for (const auto& v : run.summary["variants"]) {
        rows.push_back(row_of(v));
    }
    const TableRow total = total_of(rows);
    out += "\n" + summary_table(rows, total, Colour::off, width);
    out += verdict_line(run.id, run.status, total);
    for (const auto& note : summary_notes(run.id, flag_at(run.summary, "stopped_by_cost"),
                                          flag_at(run.summary, "stopped_by_errors"),
                                          flag_at(run.summary, "interrupted"), total)) {
        out += "  " + note + "\n";
    }
    return out;
}

std::string run_show_json(const store::RunRecord& run) {
    json variants = json::array();
    for (const auto& v : run.variants) {
        variants.push_back(variant_json(v));
    }
    return dump(json{{"run", run_json(run)}, {"variants", variants}, {"summary", run.summary}}, 2) +
           "\n";
}

} // namespace llmops::report
