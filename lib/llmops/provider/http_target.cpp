// The generic `http` provider, after promptfoo's (https://promptfoo.dev/docs/providers/http):
// the same keys and the same `{{prompt}}` / `{{var}}` / `{{env.NAME}}` tags, with two
// deliberate differences. transformResponse is a path only (we run no JavaScript), and a JSON
// body is rendered value by value through nlohmann, so a prompt holding quotes or newlines can
// never break the JSON (a string that is exactly one tag even keeps the value's JSON type).
// The templating is a small one of its own: the provider module sits beside `prompt`, not above.

#include <llmops/provider/http_target.hpp>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <llmops/provider/wire.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::provider {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Paths into the response: `json.choices[0].message.content`, `output`, `data["a b"][2]`.

struct PathStep {
    bool is_index = false;
    std::string key;
    size_t index = 0;
};

struct ResponsePath {
    bool json_prefix = false; // written with the leading `json`, kept for messages
    std::vector<PathStep> steps;
};

bool ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '-';
}

// Reads `[0]`, `["key"]` or `['key']` at `pos`; false when it is none of these.
bool parse_bracket(std::string_view text, size_t& pos, PathStep& step) {
    size_t close = text.find(']', pos);
    if (close == std::string_view::npos)
        return false;
    std::string_view inner = text.substr(pos + 1, close - pos - 1);
    if (util::is_digits(inner) && inner.size() <= 9) {
        step = {true, "", static_cast<size_t>(std::stoul(std::string(inner)))};
    } else if (inner.size() >= 2 && (inner.front() == '"' || inner.front() == '\'') &&
               inner.back() == inner.front() &&
               inner.substr(1, inner.size() - 2).find(inner.front()) == std::string_view::npos) {
        step = {false, std::string(inner.substr(1, inner.size() - 2)), 0};
    } else {
        return false;
    }
    pos = close + 1;
    return true;
}

// Parses a path; nothing when `text` is not one (a JavaScript expression, say).
std::optional<ResponsePath> parse_path(std::string_view text) {
    ResponsePath path;
    size_t pos = 0;
    while (pos < text.size()) {
        PathStep step;
        if (text[pos] == '[') {
            if (!parse_bracket(text, pos, step))
                return std::nullopt;
        } else {
            if (!path.steps.empty()) {
                if (text[pos] != '.')
                    return std::nullopt;
                ++pos;
            }
            if (pos >= text.size() || !ident_start(text[pos]))
                return std::nullopt;
            size_t start = pos;
            while (pos < text.size() && ident_char(text[pos]))
                ++pos;
            step.key = std::string(text.substr(start, pos - start));
        }
        path.steps.push_back(std::move(step));
    }
    if (!path.steps.empty() && !path.steps.front().is_index && path.steps.front().key == "json") {
        path.json_prefix = true;
        path.steps.erase(path.steps.begin());
    }
    return path;
}

// Writes the first `count` steps of `path` back as text, for messages.
std::string path_text(const ResponsePath& path, size_t count) {
    std::string out = path.json_prefix ? "json" : "";
    for (size_t i = 0; i < count; ++i) {
        const PathStep& s = path.steps[i];
        if (s.is_index) {
            out += fmt::format("[{}]", s.index);
        } else if (!s.key.empty() && ident_start(s.key[0]) &&
                   std::all_of(s.key.begin(), s.key.end(), ident_char)) {
            out += (out.empty() ? "" : ".") + s.key;
        } else {
            out += "[\"" + s.key + "\"]";
        }
    }
    return out;
}

std::string_view type_phrase(const json& value) {
    switch (value.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
    }
}

// Finds the value at `path` in `root`; errors name the part that failed.
Expected<const json*> resolve_path(const json& root, const ResponsePath& path) {
    const json* current = &root;
    for (size_t i = 0; i < path.steps.size(); ++i) {
        const PathStep& step = path.steps[i];
        bool fits = step.is_index ? current->is_array() : current->is_object();
        if (!fits) {
            std::string parent =
                i == 0 && !path.json_prefix ? "the response" : "'" + path_text(path, i) + "'";
            return fail(ErrorCode::provider, "http: response has no '{}': {} is {}",
                        path_text(path, i + 1), parent, type_phrase(*current));
        }
        const json* next = nullptr;
        if (step.is_index) {
            next = step.index < current->size() ? &(*current)[step.index] : nullptr;
        } else if (auto it = current->find(step.key); it != current->end()) {
            next = &*it;
        }
        if (next == nullptr)
            return fail(ErrorCode::provider, "http: response has no '{}'", path_text(path, i + 1));
        current = next;
    }
    if (current->is_null()) {
        return fail(ErrorCode::provider, "http: response has null at '{}'",
                    path_text(path, path.steps.size()));
    }
    return current;
}

// ---------------------------------------------------------------------------------------------
// Templates: text with `{{name}}` tags (also `{{{name}}}`, `{{ name | dump }}`, `{{! comment }}`).

struct Segment {
    bool is_tag = false;
    std::string text; // literal text, or the tag's name
    std::vector<std::string> filters;
};

const std::vector<std::string> k_filters = {"dump", "urlencode"};

std::string quote_tag(std::string_view text) {
    return text.size() <= 40 ? std::string(text) : std::string(text.substr(0, 40)) + "...";
}

// Reads the tag whose `{{` is at `open`; sets `end` past its closing braces.
Expected<std::optional<Segment>> parse_tag(std::string_view text, size_t open, size_t& end) {
    bool triple = text.substr(open, 3) == "{{{";
    std::string_view closing = triple ? "}}}" : "}}";
    size_t inner_start = open + (triple ? 3 : 2);
    size_t close = text.find(closing, inner_start);
    if (close == std::string_view::npos) {
        return fail(ErrorCode::invalid_input, "unterminated tag '{}'",
                    quote_tag(text.substr(open)));
    }
    end = close + closing.size();
    std::string_view whole = text.substr(open, end - open);
    std::string_view inner = util::trim(text.substr(inner_start, close - inner_start));
    if (inner.starts_with('!'))
        return std::optional<Segment>(); // a comment
    if (inner.starts_with('&'))
        inner = util::trim(inner.substr(1)); // Mustache's unescaped form: we never escape
    if (!inner.empty() && std::string_view("#^/>=").find(inner.front()) != std::string_view::npos) {
        return fail(
            ErrorCode::invalid_input,
            "tag '{}' is not supported (only {{{{name}}}}, with filters dump and urlencode)",
            quote_tag(whole));
    }
    auto parts = util::split(inner, '|');
    Segment tag{true, std::string(util::trim(parts[0])), {}};
    if (tag.text.empty() || std::any_of(tag.text.begin(), tag.text.end(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c)) || c == '{' || c == '}';
        })) {
        return fail(ErrorCode::invalid_input, "tag '{}' has no valid name", quote_tag(whole));
    }
    for (size_t i = 1; i < parts.size(); ++i) {
        std::string filter(util::trim(parts[i]));
        if (std::find(k_filters.begin(), k_filters.end(), filter) == k_filters.end()) {
            return fail(ErrorCode::invalid_input,
                        "unknown filter '{}' in '{}' (use dump or urlencode)", filter,
                        quote_tag(whole));
        }
        tag.filters.push_back(std::move(filter));
    }
    return std::optional<Segment>(std::move(tag));
}

// Splits `text` into literal text and tags. Errors are messages without a location.
Expected<std::vector<Segment>> parse_template(std::string_view text) {
    std::vector<Segment> segments;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t open = text.find("{{", pos);
        if (open == std::string_view::npos)
            open = text.size();
        if (open > pos)
            segments.push_back({false, std::string(text.substr(pos, open - pos)), {}});
        if (open == text.size())
            break;
        auto tag = LLMOPS_TRY(parse_tag(text, open, pos));
        if (tag)
            segments.push_back(std::move(*tag));
    }
    return segments;
}

// Calls `check` on every string of a JSON body with its location ("body.a[0]").
template <typename Check>
Expected<void> each_string(const json& value, const std::string& where, Check&& check) {
    if (value.is_string())
        return check(value.get<std::string>(), where);
    if (value.is_object()) {
        for (const auto& [key, member] : value.items()) {
            LLMOPS_TRY(each_string(member, where + "." + key, check));
        }
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            LLMOPS_TRY(each_string(value[i], fmt::format("{}[{}]", where, i), check));
        }
    }
    return {};
}

// What the tags of one request can name.
struct RenderContext {
    const CompletionRequest& request;
    const json& vars;
    const std::function<std::optional<std::string>(std::string_view)>& env;
    std::vector<std::string>& secrets;
    std::string prompt; // the messages' contents joined by blank lines
};

std::string as_text(const json& value) {
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_null())
        return "";
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string url_encode(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

// Finds `name` (dotted) in the case variables; array elements by index, as Mustache does.
const json* find_var(const json& vars, std::string_view name) {
    const json* current = &vars;
    for (const auto& part : util::split(name, '.')) {
        if (current->is_object()) {
            auto it = current->find(part);
            if (it == current->end())
                return nullptr;
            current = &*it;
        } else if (current->is_array() && util::is_digits(part) && part.size() <= 9 &&
                   std::stoul(part) < current->size()) {
            current = &(*current)[std::stoul(part)];
        } else {
            return nullptr;
        }
    }
    return current;
}

Expected<json> lookup(const RenderContext& ctx, const std::string& name, std::string_view where) {
    if (name == "prompt")
        return json(ctx.prompt);
    if (name == "messages") {
        json array = json::array();
        for (const auto& m : ctx.request.messages)
            array.push_back({{"role", m.role}, {"content", m.content}});
        return array;
    }
    if (name.starts_with("env.")) {
        std::string variable = name.substr(4);
        auto value = ctx.env ? ctx.env(variable) : std::nullopt;
        if (!value) {
            return fail(ErrorCode::invalid_input, "http: {}: environment variable '{}' is not set",
                        where, variable);
        }
        if (!value->empty() &&
            std::find(ctx.secrets.begin(), ctx.secrets.end(), *value) == ctx.secrets.end()) {
            ctx.secrets.push_back(*value);
        }
        return json(*value);
    }
    std::string_view var_name = name.starts_with("vars.") ? std::string_view(name).substr(5) : name;
    if (const json* value = find_var(ctx.vars, var_name))
        return *value;
    std::vector<std::string> candidates = {"prompt", "messages"};
    if (ctx.vars.is_object()) {
        for (const auto& [key, unused] : ctx.vars.items()) {
            candidates.push_back(key);
            candidates.push_back("vars." + key);
        }
    }
    return fail(ErrorCode::invalid_input, "http: {}: unknown variable '{}'{}", where, name,
                util::did_you_mean(name, candidates));
}

Expected<json> tag_value(const RenderContext& ctx, const Segment& tag, std::string_view where) {
    auto value = LLMOPS_TRY(lookup(ctx, tag.text, where));
    for (const auto& filter : tag.filters) {
        if (filter == "dump")
            value = value.dump(-1, ' ', false, json::error_handler_t::replace);
        else
            value = url_encode(as_text(value));
    }
    return value;
}

enum class Typed { no, yes };

// Renders one template string. With Typed::yes, a string that is exactly one tag takes the
// value itself (a number stays a number); otherwise the result is text.
Expected<json> render(const RenderContext& ctx, const std::string& text, std::string_view where,
                      Typed typed) {
    auto segments = parse_template(text);
    if (!segments)
        return fail(ErrorCode::invalid_input, "http: {}: {}", where, segments.error().message());
    if (typed == Typed::yes && segments->size() == 1 && segments->front().is_tag)
        return tag_value(ctx, segments->front(), where);
    std::string out;
    for (const auto& segment : *segments) {
        if (!segment.is_tag) {
            out += segment.text;
            continue;
        }
        auto value = LLMOPS_TRY(tag_value(ctx, segment, where));
        out += as_text(value);
    }
    return json(std::move(out));
}

Expected<std::string> render_text(const RenderContext& ctx, const std::string& text,
                                  std::string_view where) {
    auto value = LLMOPS_TRY(render(ctx, text, where, Typed::no));
    return value.get<std::string>();
}

Expected<json> render_body(const RenderContext& ctx, const json& value, const std::string& where) {
    if (value.is_string())
        return render(ctx, value.get<std::string>(), where, Typed::yes);
    if (value.is_object()) {
        json out = json::object();
        for (const auto& [key, member] : value.items()) {
            auto rendered = LLMOPS_TRY(render_body(ctx, member, where + "." + key));
            out[key] = std::move(rendered);
        }
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (size_t i = 0; i < value.size(); ++i) {
            auto rendered = LLMOPS_TRY(render_body(ctx, value[i], fmt::format("{}[{}]", where, i)));
            out.push_back(std::move(rendered));
        }
        return out;
    }
    return value; // numbers, booleans and null are sent as written
}

bool has_header(const std::vector<std::pair<std::string, std::string>>& headers,
                std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) {
        return h.first.size() == name.size() &&
               std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == b;
               });
    });
}

// ---------------------------------------------------------------------------------------------
// Reading the config.

Expected<std::string> config_string(const json& config, const char* key, std::string_view where) {
    const json& value = config.at(key);
    if (!value.is_string())
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a string", where, key);
    return value.get<std::string>();
}

Expected<void> read_target_headers(const json& value, std::string_view where, HttpTarget& target) {
    if (!value.is_object())
        return fail(ErrorCode::invalid_input, "{}: 'headers' must be a map", where);
    for (const auto& [name, header] : value.items()) {
        if (header.is_string()) {
            target.headers.emplace_back(name, header.get<std::string>());
        } else if (header.is_number() || header.is_boolean()) {
            target.headers.emplace_back(name, header.dump()); // YAML typed `X-Retries: 3`
        } else {
            return fail(ErrorCode::invalid_input, "{}: header '{}' must be a string", where, name);
        }
    }
    return {};
}

Expected<void> read_body(const json& value, std::string_view where, HttpTarget& target) {
    if (value.is_null())
        return {};
    if (value.is_object() || value.is_array()) {
        target.body = value;
        return {};
    }
    if (!value.is_string())
        return fail(ErrorCode::invalid_input, "{}: 'body' must be a map, a list or a string",
                    where);
    // A string holding a JSON object or array (a YAML block of JSON, typically) is taken as
    // JSON, so its tags are rendered safely instead of pasted into the text unescaped.
    json parsed = util::parse_json_or_discarded(value.get<std::string>());
    if (parsed.is_object() || parsed.is_array()) {
        target.body = std::move(parsed);
        return {};
    }
    target.body = value;
    target.body_is_text = true;
    return {};
}

Expected<void> read_response_path(const json& config, std::string_view where, HttpTarget& target) {
    bool has_transform = config.contains("transformResponse");
    if (has_transform && config.contains("response_path")) {
        return fail(ErrorCode::invalid_input,
                    "{}: give 'transformResponse' or 'response_path', not both", where);
    }
    const char* key = has_transform ? "transformResponse" : "response_path";
    if (!config.contains(key))
        return {};
    auto text = LLMOPS_TRY(config_string(config, key, where));
    std::string path(util::trim(text));
    if (has_transform && path == "text")
        path.clear(); // promptfoo's name for the raw body
    if (!parse_path(path)) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}' must be a path like 'json.choices[0].message.content' (JavaScript "
                    "is not supported): '{}'",
                    where, key, quote_tag(path));
    }
    target.response_path = std::move(path);
    return {};
}

// Rejects templates that cannot render, whatever the variables (a bad tag, a bad filter).
Expected<void> check_templates(const HttpTarget& target, std::string_view where) {
    auto check = [&](const std::string& text, const std::string& location) -> Expected<void> {
        auto segments = parse_template(text);
        if (!segments) {
            return fail(ErrorCode::invalid_input, "{}: {}: {}", where, location,
                        segments.error().message());
        }
        return {};
    };
    LLMOPS_TRY(check(target.url, "url"));
    for (const auto& [name, value] : target.headers) {
        LLMOPS_TRY(check(value, "header '" + name + "'"));
    }
    return each_string(target.body, "body", check);
}

Expected<void> read_url_and_method(const json& config, std::string_view where, HttpTarget& target) {
    if (!config.contains("url"))
        return fail(ErrorCode::invalid_input, "{}: 'url' is required", where);
    auto url = LLMOPS_TRY(config_string(config, "url", where));
    target.url = std::string(util::trim(url));
    if (!target.url.starts_with("http://") && !target.url.starts_with("https://") &&
        !target.url.starts_with("{{")) {
        return fail(ErrorCode::invalid_input, "{}: 'url' must start with http:// or https://: '{}'",
                    where, util::sanitize_urls(target.url));
    }
    if (config.contains("method")) {
        auto method = LLMOPS_TRY(config_string(config, "method", where));
        target.method = method;
        for (char& c : target.method)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        static const std::vector<std::string> k_methods = {"GET", "POST", "PUT", "PATCH"};
        if (std::find(k_methods.begin(), k_methods.end(), target.method) == k_methods.end()) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'method' must be GET, POST, PUT or PATCH: '{}'", where, method);
        }
    }
    return {};
}

// Token counts from an OpenAI-style `usage` object (also input_tokens/output_tokens, as
// Anthropic and OpenAI's Responses API name them); nothing when there is none.
std::optional<Usage> reported_usage(const json& body) {
    if (!body.is_object())
        return std::nullopt;
    auto it = body.find("usage");
    if (it == body.end() || !it->is_object())
        return std::nullopt;
    const json& u = *it;
    auto has_number = [&](const char* key) { return u.contains(key) && u[key].is_number(); };
    Usage usage;
    if (has_number("prompt_tokens") || has_number("completion_tokens")) {
        usage.input = detail::int_field(u, "prompt_tokens");
        usage.output = detail::int_field(u, "completion_tokens");
        if (auto d = u.find("prompt_tokens_details"); d != u.end())
            usage.cached_input = detail::int_field(*d, "cached_tokens");
        if (auto d = u.find("completion_tokens_details"); d != u.end())
            usage.reasoning = detail::int_field(*d, "reasoning_tokens");
        return usage;
    }
    if (has_number("input_tokens") || has_number("output_tokens")) {
        usage.input = detail::int_field(u, "input_tokens");
        usage.output = detail::int_field(u, "output_tokens");
        return usage;
    }
    return std::nullopt;
}

// The raw body as output text: bytes that are not UTF-8 become U+FFFD, so reports and the
// cache can hold it.
std::string body_text(const std::string& body) {
    if (!util::find_invalid_utf8(body))
        return body;
    auto repaired = json(body).dump(-1, ' ', false, json::error_handler_t::replace);
    return json::parse(repaired).get<std::string>();
}

} // namespace

Expected<HttpTarget> parse_http_target(const json& config, std::string_view where) {
    if (!config.is_object())
        return fail(ErrorCode::invalid_input, "{}: 'config' must be a map", where);
    HttpTarget target;
    LLMOPS_TRY(read_url_and_method(config, where, target));
    if (config.contains("headers")) {
        LLMOPS_TRY(read_target_headers(config.at("headers"), where, target));
    }
    if (config.contains("body")) {
        LLMOPS_TRY(read_body(config.at("body"), where, target));
    }
    if (target.method == "GET" && !target.body.is_null()) {
        return fail(ErrorCode::invalid_input,
                    "{}: a GET request has no body: remove 'body' or use POST", where);
    }
    LLMOPS_TRY(read_response_path(config, where, target));
    LLMOPS_TRY(check_templates(target, where));
    return target;
}

Expected<HttpRequest>
build_http_target_request(const HttpTarget& target, const CompletionRequest& request,
                          const json& vars,
                          const std::function<std::optional<std::string>(std::string_view)>& env,
                          std::vector<std::string>& secrets) {
    RenderContext ctx{request, vars, env, secrets, {}};
    for (const auto& m : request.messages) {
        ctx.prompt += ctx.prompt.empty() ? "" : "\n\n";
        ctx.prompt += m.content;
    }
    HttpRequest http;
    http.method = target.method;
    http.url = LLMOPS_TRY(render_text(ctx, target.url, "url"));
    for (const auto& [name, value] : target.headers) {
        auto rendered = LLMOPS_TRY(render_text(ctx, value, "header '" + name + "'"));
        http.headers.emplace_back(name, std::move(rendered));
    }
    if (target.body.is_null())
        return http;
    if (target.body_is_text) {
        http.body = LLMOPS_TRY(render_text(ctx, target.body.get<std::string>(), "body"));
    } else {
        auto body = LLMOPS_TRY(render_body(ctx, target.body, "body"));
        http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (!has_header(http.headers, "content-type")) {
        http.headers.emplace(http.headers.begin(), "content-type",
                             target.body_is_text ? "text/plain" : "application/json");
    }
    return http;
}

Expected<CallOutcome> parse_http_target_response(const HttpTarget& target,
                                                 const CompletionRequest& request,
                                                 const HttpResponse& response) {
    if (response.status < 200 || response.status >= 300)
        return std::unexpected(detail::http_error("http", response));
    CallOutcome outcome;
    outcome.latency_ms = response.latency_ms;
    outcome.first_byte_ms = response.first_byte_ms;
    outcome.attempts = response.attempts;
    CompletionResult& result = outcome.result;

    json body; // stays discarded when the body is not JSON and no path asks for it
    if (target.response_path.empty()) {
        result.output = body_text(response.body);
        body = util::parse_json_or_discarded(response.body); // only for a usage object
    } else {
        auto parsed = LLMOPS_TRY(detail::parse_json_body("http", response.body));
        body = std::move(parsed);
        auto path = parse_path(target.response_path);
        if (!path) {
            return fail(ErrorCode::invalid_input, "http: '{}' is not a path", target.response_path);
        }
        auto value = LLMOPS_TRY(resolve_path(body, *path));
        result.output = value->is_string()
                            ? value->get<std::string>()
                            : value->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (auto usage = reported_usage(body)) {
        result.usage = *usage;
    } else {
        detail::estimate_usage(request, result);
    }
    return outcome;
}

} // namespace llmops::provider
