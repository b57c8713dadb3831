#include <llmops/eval/matrix.hpp>

// The matrix: prompts resolved, providers created, requests built; the judge models. See
// matrix.hpp.

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <llmops/prompt/operations.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval {

using nlohmann::json;

provider::Params prompt_params(const std::string& config_json) {
    provider::Params p;
    const json config = json::parse(config_json, nullptr, false);
    if (!config.is_object()) {
        return p;
    }
    auto number = [&](const char* key) -> std::optional<double> {
        auto it = config.find(key);
        return it != config.end() && it->is_number() ? std::optional(it->get<double>())
                                                     : std::nullopt;
    };
    auto integer = [&](const char* key) -> std::optional<int64_t> {
        auto it = config.find(key);
        return it != config.end() && it->is_number_integer() ? std::optional(it->get<int64_t>())
                                                             : std::nullopt;
    };
    p.temperature = number("temperature");
    p.top_p = number("top_p");
    p.max_tokens = integer("max_tokens");
    p.seed = integer("seed");
    if (auto it = config.find("stop"); it != config.end() && it->is_array()) {
        for (const auto& s : *it) {
            if (s.is_string()) {
                p.stop.push_back(s.get<std::string>());
            }
        }
    }
    if (auto it = config.find("response_format"); it != config.end() && it->is_object()) {
        p.response_format_json = it->dump();
    }
    return p;
}

namespace {

// How a prompt file is named in variant labels: its prompt name when it lives under a
// `prompts/` folder (prompts/support/triage.yaml -> support/triage), else its file name.
std::string file_label(const std::filesystem::path& path) {
    const std::string text = path.lexically_normal().replace_extension().string();
    const auto at = text.rfind("prompts/");
    if (at != std::string::npos && (at == 0 || text[at - 1] == '/')) {
        return text.substr(at + 8);
    }
    return path.filename().string();
}

// A prompt from a file: a JSON list of messages, a prompt file (YAML or Markdown front matter), or
// raw text (.txt and anything else).
// `messages`, a JSON list of {role, content} messages, into `def`.
Expected<void> read_chat_messages(const json& messages, const PromptEntry& entry,
                                  const std::string& shown, prompt::PromptDefinition& def) {
    if (!messages.is_array() || messages.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}' must hold a JSON list of {{role, content}} messages", entry.where,
                    shown);
    }
    def.name = "file";
    for (const auto& m : messages) {
        if (!m.is_object() || !m.value("role", json()).is_string() ||
            !m.value("content", json()).is_string()) {
            return fail(ErrorCode::invalid_input,
                        "{}: '{}': every message needs string 'role' and 'content'", entry.where,
                        shown);
        }
        def.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    return {};
}

Expected<ResolvedPrompt> resolve_file_prompt(const PromptEntry& entry, const Suite& suite) {
    ResolvedPrompt out;
    auto text = util::read_file(entry.value);
    if (!text) {
        return fail(text.error().code(), "{}: {}", entry.where, text.error().message());
    }
    const std::string shown = util::relative_display(entry.value, suite.base_dir);
    const std::filesystem::path path(entry.value);
    if (path.extension() == ".json") {
        const json chat = json::parse(*text, nullptr, false);
        if (chat.is_discarded() && uses_nunjucks(*text)) {
            // promptfoo renders a prompt file before it reads a chat out of it
            // (`{% if %}` around messages): the JSON is read after Nunjucks, in request().
            out.def.name = "file";
            out.def.template_text = *text;
            out.json_chat = true;
        } else {
            LLMOPS_TRY(read_chat_messages(chat, entry, shown, out.def));
        }
    } else if (auto format = prompt::format_for_path(entry.value);
               format && path.extension() != ".txt") {
        out.def =
            LLMOPS_TRY(prompt::parse_prompt_file(*text, *format, path.stem().string(), shown));
    } else if (path.extension() == ".txt") {
        // As promptfoo reads it: trimmed, and one of several prompts between `---` lines. A part
        // that is a JSON list is a chat, as promptfoo's providers read a prompt that parses as
        // one.
        auto parts = split_text_prompts(*text);
        const size_t part = entry.part < 0 ? 0 : static_cast<size_t>(entry.part);
        if (part >= parts.size()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' holds no prompt {} (it changed?)",
                        entry.where, shown, part + 1);
        }
        out.def.name = "file";
        const json chat =
            parts[part].starts_with('[') ? json::parse(parts[part], nullptr, false) : json();
        if (chat.is_array()) {
            LLMOPS_TRY(read_chat_messages(chat, entry, shown, out.def));
        } else {
            out.def.template_text = std::move(parts[part]);
        }
    } else {
        out.def.name = "file";
        out.def.template_text = *text;
    }
    out.label = entry.label.empty() ? file_label(path) : entry.label;
    return out;
}

Expected<ResolvedPrompt> resolve_prompt(store::PromptStore& prompts, const PromptEntry& entry,
                                        const Suite& suite) {
    ResolvedPrompt out;
    switch (entry.kind) {
    case PromptEntry::Kind::store_ref: {
        auto loaded = prompt::load_version(prompts, entry.value);
        if (!loaded) {
            return fail(loaded.error().code(), "{}: {}", entry.where, loaded.error().message());
        }
        out.def = std::move(loaded->def);
        out.label = entry.label.empty()
                        ? fmt::format("{}@{}", loaded->version.name, loaded->version.number)
                        : entry.label;
        break;
    }
    case PromptEntry::Kind::file: {
        out = LLMOPS_TRY(resolve_file_prompt(entry, suite));
        break;
    }
    case PromptEntry::Kind::text: {
        out.def.name = "inline";
        out.def.template_text = entry.value;
        if (!entry.label.empty()) {
            out.label = entry.label;
        } else {
            // Its first line, at most 40 code points (cut on one, with one "…").
            const std::string_view first_line =
                std::string_view(entry.value).substr(0, entry.value.find('\n'));
            size_t at = 0;
            for (int n = 0; at < first_line.size() && n < 39; ++n) {
                at += util::decode_utf8(first_line, at).length;
            }
            out.label = at < first_line.size() &&
                                util::decode_utf8(first_line, at).length + at < first_line.size()
                            ? std::string(first_line.substr(0, at)) + "…"
                            : std::string(first_line);
        }
        break;
    }
    }
    // Inline text and raw files come from no prompt file, so nothing checked their sections:
    // refuse a broken one here, once, rather than fail every case at render.
    if (entry.kind != PromptEntry::Kind::store_ref) {
        LLMOPS_TRY(prompt::check_templates(out.def, entry.where));
    }
    out.version_id = prompt::version_id(out.def);
    out.params = prompt_params(out.def.config_json);
    // What a test's `prompts:` may name besides the label: the map's id, or an inline prompt's
    // text (promptfoo's label for it).
    out.id = !entry.id.empty() || entry.kind != PromptEntry::Kind::text ? entry.id : entry.value;
    return out;
}

// promptfoo's matching of a test's `prompts:`/`providers:` entry `ref` against a name: equal,
// `ref` ending in `*` as a prefix, or `ref:` as a group prefix.
bool ref_matches(std::string_view ref, std::string_view name) {
    if (name.empty()) {
        return false;
    }
    if (ref == name || (name.starts_with(ref) && name.substr(ref.size()).starts_with(':'))) {
        return true;
    }
    return ref.ends_with('*') && name.starts_with(ref.substr(0, ref.size() - 1));
}

bool any_matches(const std::vector<std::string>& refs,
                 std::initializer_list<std::string_view> names) {
    return std::any_of(refs.begin(), refs.end(), [&](const std::string& ref) {
        return std::any_of(names.begin(), names.end(),
                           [&](std::string_view name) { return ref_matches(ref, name); });
    });
}

} // namespace

bool Matrix::allows(int variant, const TestCase& test) const {
    if (test.only_prompts) {
        const ResolvedPrompt& p = prompt_of(variant);
        if (!any_matches(*test.only_prompts, {p.label, p.id})) {
            return false;
        }
    }
    if (test.only_providers) {
        const provider::Provider& provider = provider_of(variant);
        if (!any_matches(*test.only_providers, {provider.config().label, provider.id()})) {
            return false;
        }
    }
    return true;
}

Expected<Matrix> Matrix::make(store::Database& db, const Suite& suite,
                              const provider::EnvLookup& env) {
    Matrix m;
    store::PromptStore prompts(db);
    for (const auto& entry : suite.prompts) {
        m.m_prompts.push_back(LLMOPS_TRY(resolve_prompt(prompts, entry, suite)));
    }
    for (const auto& config : suite.providers) {
        m.m_providers.push_back(LLMOPS_TRY(provider::Provider::create(config, env)));
    }
    LLMOPS_TRY(m.start_templates(suite));
    int index = 0;
    for (const auto& p : m.m_prompts) {
        for (const auto& provider : m.m_providers) {
            store::VariantRecord v;
            v.index = index++;
            v.prompt_label = p.label;
            v.prompt_version_id = p.version_id;
            v.provider_id = provider->id();
            v.provider_label = provider->config().label;
            v.provider_config = provider->config().public_config;
            v.label = fmt::format("{} | {}", p.label, v.provider_label);
            m.m_variants.push_back(std::move(v));
        }
    }
    return m;
}

const ResolvedPrompt& Matrix::prompt_of(int variant) const {
    return m_prompts[static_cast<size_t>(variant) / m_providers.size()];
}

provider::Provider& Matrix::provider_of(int variant) const {
    return *m_providers[static_cast<size_t>(variant) % m_providers.size()];
}

// The node worker, shared by every variant, and Nunjucks when the suite needs it (decided here,
// once: the worker is started now, so a missing node or nunjucks fails before any call).
Expected<void> Matrix::start_templates(const Suite& suite) {
    m_node = std::make_shared<NodeWorker>(suite.base_dir);
    std::vector<std::string_view> templates;
    for (const auto& p : m_prompts) {
        if (p.def.template_text) {
            templates.emplace_back(*p.def.template_text);
        }
        for (const auto& message : p.def.messages) {
            templates.emplace_back(message.content);
        }
    }
    for (const auto& t : templates) {
        if (t.find("_conversation") != std::string_view::npos) { // never rendered empty silently
            return fail(ErrorCode::invalid_input,
                        "{}: promptfoo's multi-turn '_conversation' variable is not supported "
                        "(each case is one independent call); remove it from the prompt",
                        suite.path.filename().string());
        }
    }
    m_nunjucks = suite_needs_nunjucks(suite, templates);
    if (m_nunjucks) {
        if (auto checked = check_nunjucks(*m_node); !checked) {
            return fail(checked.error().code(), "{}: {}", suite.path.filename().string(),
                        checked.error().message());
        }
        m_filters = suite.nunjucks_filters;
    }
    return {};
}

// `def` rendered by Nunjucks in the node worker: its text, or each message's content, with the
// case's variables over the declared defaults.
Expected<prompt::RenderedPrompt> Matrix::render_nunjucks(const prompt::PromptDefinition& def,
                                                         const json& vars) const {
    json data = vars.is_object() ? vars : json::object();
    for (const auto& variable : def.variables) {
        if (variable.default_json && !data.contains(variable.name)) {
            data[variable.name] = json::parse(*variable.default_json, nullptr, false);
        }
    }
    json templates = json::array();
    if (def.template_text) {
        templates.push_back(*def.template_text);
    }
    for (const auto& message : def.messages) {
        templates.push_back(message.content);
    }
    const json request = {
        {"op", "render"}, {"templates", templates}, {"vars", data}, {"filters", m_filters}};
    auto rendered = m_node->call(request, 30000);
    if (!rendered) {
        return fail(rendered.error().code(), "prompt '{}': nunjucks: {}", def.name,
                    rendered.error().message());
    }
    if (!rendered->is_array() || rendered->size() != templates.size()) {
        return fail(ErrorCode::io, "prompt '{}': nunjucks answered nonsense", def.name);
    }
    prompt::RenderedPrompt out;
    size_t at = 0;
    if (def.template_text) {
        out.text = (*rendered)[at++].get<std::string>();
    }
    for (const auto& message : def.messages) {
        out.messages.push_back({message.role, (*rendered)[at++].get<std::string>()});
    }
    return out;
}

namespace {

// A rendered `.json` prompt file read as promptfoo's providers read a prompt: a JSON list of
// {role, content} messages is a chat; any other text stays one prompt.
void read_rendered_chat(prompt::RenderedPrompt& rendered) {
    if (!rendered.text) {
        return;
    }
    const json chat = json::parse(*rendered.text, nullptr, false);
    if (!chat.is_array() || chat.empty()) {
        return;
    }
    std::vector<prompt::Message> messages;
    for (const auto& m : chat) {
        if (!m.is_object() || !m.value("role", json()).is_string() ||
            !m.value("content", json()).is_string()) {
            return;
        }
        messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    rendered.text.reset();
    rendered.messages = std::move(messages);
}

} // namespace

Expected<provider::CompletionRequest> Matrix::request(int variant, const TestCase& test,
                                                      store::PromptStore& prompts) const {
    const ResolvedPrompt& resolved = prompt_of(variant);
    auto rendered = m_nunjucks ? render_nunjucks(resolved.def, test.vars)
                               : prompt::render_prompt(resolved.def, test.vars,
                                                       prompt::store_partial_loader(prompts),
                                                       prompt::RenderOptions{});
    if (!rendered) {
        return fail(rendered.error().code(), "{}: {}", test.where, rendered.error().message());
    }
    if (resolved.json_chat) {
        read_rendered_chat(*rendered);
    }
    provider::CompletionRequest request;
    request.model = provider_of(variant).config().spec.model;
    request.messages = to_messages(*rendered);
    request.params = resolved.params;
    LLMOPS_TRY(use_recorded_messages(variant, test, request));
    return request;
}

// A case from traces sends what the production call sent when its answer is the recorded one
// (the `traces` provider) or when the suite named no prompt to render its vars with.
Expected<void> Matrix::use_recorded_messages(int variant, const TestCase& test,
                                             provider::CompletionRequest& request) const {
    if (!test.recorded) {
        return {};
    }
    const bool recorded_answer = provider_of(variant).config().spec.kind == provider::Kind::traces;
    const auto& text = prompt_of(variant).def.template_text;
    const bool unnamed_prompt = text && *text == k_recorded_prompt;
    if (!recorded_answer && !unnamed_prompt) {
        return {};
    }
    if (!test.recorded->messages.empty()) {
        request.messages = test.recorded->messages;
    } else if (!recorded_answer) {
        return fail(ErrorCode::invalid_input,
                    "{}: the trace recorded no input messages to send to '{}': name a prompt in "
                    "the suite to render the call's vars with",
                    test.where, provider_of(variant).id());
    }
    return {};
}

// The judge model (SPEC §9): --judge, else the suite's judge.provider or
// defaultTest.options.provider, else LLMOPS_JUDGE, else promptfoo's default grader from the
// API keys set (judge::default_judge); and the judge prompts the suite's
// model-graded assertions use (committed to the store on first use).
Expected<JudgeModels> make_judge_models(store::Database& db, const Suite& suite,
                                        const std::optional<std::string>& judge_option,
                                        const std::optional<int>& samples_option,
                                        const provider::EnvLookup& env) {
    JudgeModels out;
    auto made = LLMOPS_TRY(judge::make_judge(suite, judge_option, env));
    auto embedder = LLMOPS_TRY(judge::make_embedder(suite, env));
    // The types that need a judge model: all model-graded ones but `similar` when an
    // embedding model is set.
    std::set<std::string> needing;
    for (const auto& [type, ref] : suite.judge_prompts) {
        if (judge::uses_judge_prompt(type) || !embedder) {
            needing.insert(type);
        }
    }
    if (!made && !needing.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: model-graded assertions ({}) need a judge model: pass --judge "
                    "PROVIDER, set 'judge: {{provider: ...}}' in the suite, set LLMOPS_JUDGE, or "
                    "set an API key promptfoo's default grader uses (OPENAI_API_KEY, "
                    "ANTHROPIC_API_KEY, GEMINI_API_KEY)",
                    suite.path.filename().string(),
                    util::join(std::vector<std::string>(needing.begin(), needing.end()), ", "));
    }
    if (embedder) {
        out.embedder = std::move(embedder);
        out.setup.embedder = out.embedder.get();
    }
    if (!made) {
        return out;
    }
    out.judge = std::move(made);
    out.setup.provider = out.judge.get();
    out.setup.samples = std::max(1, samples_option.value_or(suite.judge_samples));
    for (const auto& [type, ref] : suite.judge_prompts) {
        if (!judge::uses_judge_prompt(type)) {
            continue;
        }
        auto loaded = LLMOPS_TRY(judge::load_judge_prompt(db, type, ref));
        out.setup.prompts.emplace(judge::prompt_key(type, ref), std::move(loaded));
    }
    return out;
}

Expected<void> ensure_judge_prompts(store::Database& db, judge::Setup& setup,
                                    const std::vector<AssertionSpec>& specs) {
    for (const auto& spec : specs) {
        if (judge::uses_judge_prompt(spec.type) && setup.provider != nullptr) {
            auto it = spec.config.find("prompt");
            const std::string ref =
                it != spec.config.end() && it->is_string() ? it->get<std::string>() : "";
            const std::string key = judge::prompt_key(spec.type, ref);
            if (!setup.prompts.contains(key)) {
                auto loaded = LLMOPS_TRY(judge::load_judge_prompt(db, spec.type, ref));
                setup.prompts.emplace(key, std::move(loaded));
            }
        }
        LLMOPS_TRY(ensure_judge_prompts(db, setup, spec.children));
    }
    return {};
}

std::vector<provider::ChatMessage> to_messages(const prompt::RenderedPrompt& rendered) {
    std::vector<provider::ChatMessage> messages;
    if (rendered.text) {
        messages.push_back({"user", *rendered.text});
    }
    for (const auto& m : rendered.messages) {
        messages.push_back({m.role, m.content});
    }
    return messages;
}

std::string messages_json(const std::vector<provider::ChatMessage>& messages) {
    json out = json::array();
    for (const auto& m : messages) {
        out.push_back({{"role", m.role}, {"content", m.content}});
    }
    return out.dump();
}

std::string prompt_text(const std::vector<provider::ChatMessage>& messages) {
    std::string text;
    for (const auto& m : messages) {
        text += text.empty() ? "" : "\n\n";
        text += m.content;
    }
    return text;
}

AssertionContext answer_context(const TestCase& test, const Suite& suite, const std::string& text,
                                const provider::CallOutcome& o) {
    AssertionContext context;
    context.output = o.result.output;
    context.vars = &test.vars;
    context.prompt = text;
    context.finish_reason = o.result.finish_reason;
    context.refused = o.result.refusal.has_value();
    context.latency_ms = o.latency_ms;
    context.cost_usd = o.cost_usd;
    context.cached = o.cached;
    context.base_dir = suite.base_dir;
    if (o.result.context) {
        context.response_context = *o.result.context;
    }
    return context;
}

// Names what differs between a run being resumed and the suite now.
std::optional<std::string> resume_difference(const store::RunRecord& run, const Suite& suite,
                                             const std::vector<store::VariantRecord>& variants) {
    if (run.suite_hash != suite.hash) {
        return "the suite file changed";
    }
    if (run.dataset_hash != suite.dataset_hash) {
        return "the dataset changed";
    }
    if (run.variants.size() != variants.size()) {
        return "the prompts or providers changed";
    }
    for (size_t i = 0; i < variants.size(); ++i) {
        const auto& a = run.variants[i];
        const auto& b = variants[i];
        if (a.prompt_version_id != b.prompt_version_id) {
            return fmt::format("prompt '{}' changed", b.prompt_label);
        }
        if (a.provider_id != b.provider_id || a.provider_config != b.provider_config) {
            return fmt::format("provider '{}' changed", b.provider_label);
        }
    }
    return std::nullopt;
}

} // namespace llmops::eval
