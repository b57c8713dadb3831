#include <llmops/eval/judge/judge.hpp>

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/assertions/checks.hpp>
#include <llmops/eval/assertions/common.hpp>
#include <llmops/eval/matrix.hpp>
#include <llmops/eval/suite.hpp>
#include <llmops/prompt/operations.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::eval::judge {

extern const EmbeddedFile k_judge_prompt_files[];
extern const std::size_t k_judge_prompt_files_count;

namespace {

using json = nlohmann::json;

constexpr std::string_view k_model_graded[] = {
    "answer-relevance",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "factuality",
    "g-eval",
    "llm-rubric",
    "model-graded-closedqa",
    "model-graded-factuality",
    "select-best",
    "similar",
};

// The text of a variable for a judge prompt: strings as they are, lists of strings joined by
// blank lines (retrieved chunks), anything else as compact JSON.
std::string var_text(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_array() &&
        std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); })) {
        std::string out;
        for (const auto& v : value) {
            out += (out.empty() ? "" : "\n\n") + v.get<std::string>();
        }
        return out;
    }
    return detail::dump_json(value);
}

const json* find_var(const AssertionContext& context, std::string_view name) {
    if (context.vars == nullptr || !context.vars->is_object()) {
        return nullptr;
    }
    auto it = context.vars->find(std::string(name));
    return it == context.vars->end() || it->is_null() ? nullptr : &*it;
}

// The user's question: var `query`, else `question`, else the rendered prompt.
std::string question_of(const AssertionSpec& spec, const AssertionContext& context) {
    if (auto name = spec.config.find("query_var"); name != spec.config.end() && name->is_string()) {
        if (const json* v = find_var(context, name->get<std::string>())) {
            return var_text(*v);
        }
    }
    for (const char* name : {"query", "question"}) {
        if (const json* v = find_var(context, name)) {
            return var_text(*v);
        }
    }
    return std::string(context.prompt);
}

// The retrieved context: the provider's answer's `context` when it gave one, else the var
// `config.context_var` (default `context`).
Expected<std::string> context_of(const AssertionSpec& spec, const AssertionContext& context) {
    if (context.response_context) {
        return std::string(*context.response_context);
    }
    std::string name = "context";
    if (auto it = spec.config.find("context_var"); it != spec.config.end() && it->is_string()) {
        name = it->get<std::string>();
    }
    if (const json* v = find_var(context, name)) {
        return var_text(*v);
    }
    return fail(ErrorCode::invalid_input,
                "'{}' needs the retrieved context: a var '{}' or a 'context' in the provider's "
                "answer",
                spec.type, name);
}

const char* k_default_steps =
    "1. Read the input and the output in full.\n"
    "2. For each aspect of the criteria, note where the output meets it and where it falls short.\n"
    "3. Weigh the shortfalls by how much they matter to a reader of the output.\n"
    "4. Give 5 only when nothing of consequence is missing, 1 when the criteria are not met at "
    "all.";

std::string steps_of(const AssertionSpec& spec) {
    auto it = spec.config.find("steps");
    if (it == spec.config.end() || !it->is_array() || it->empty()) {
        return k_default_steps;
    }
    std::string out;
    int n = 0;
    for (const auto& step : *it) {
        out += fmt::format("{}{}. {}", out.empty() ? "" : "\n", ++n, var_text(step));
    }
    return out;
}

int samples_of(const AssertionSpec& spec, const Setup& setup) {
    if (auto it = spec.config.find("samples"); it != spec.config.end() && it->is_number_integer()) {
        return std::max(1, it->get<int>());
    }
    return std::max(1, setup.samples);
}

std::string prompt_ref_of(const AssertionSpec& spec) {
    auto it = spec.config.find("prompt");
    return it != spec.config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string canonical_type(std::string_view type) {
    return type == "model-graded-factuality" ? "factuality" : std::string(type);
}

std::vector<provider::ChatMessage> to_messages(const prompt::RenderedPrompt& rendered) {
    std::vector<provider::ChatMessage> out;
    if (rendered.text) {
        out.push_back({"user", *rendered.text});
    }
    for (const auto& m : rendered.messages) {
        out.push_back({m.role, m.content});
    }
    return out;
}

// The judge prompt variables of one assertion (select-best's outputs come separately).
Expected<json> prompt_vars(const AssertionSpec& spec, const AssertionContext& context) {
    json value = spec.value;
    if (!value.is_null()) {
        auto rendered = detail::render_value(spec.value, context.vars);
        if (!rendered) {
            return fail(ErrorCode::invalid_input, "cannot render the value {}",
                        rendered.error().message());
        }
        value = std::move(*rendered);
    }
    const std::string type = canonical_type(spec.type);
    json vars = json::object();
    vars["output"] = std::string(context.output);
    if (type == "llm-rubric") {
        vars["rubric"] = value.is_null() ? std::string() : var_text(value); // rubricPrompt alone
    } else if (type == "g-eval") {
        vars["criteria"] = var_text(value);
        vars["steps"] = steps_of(spec);
        vars["input"] = std::string(context.prompt);
    } else if (type == "factuality") {
        vars["reference"] = var_text(value);
        vars["question"] = std::string(context.prompt);
    } else if (type == "model-graded-closedqa") {
        vars["criterion"] = var_text(value);
        vars["question"] = std::string(context.prompt);
    } else if (type == "answer-relevance") {
        vars["question"] = question_of(spec, context);
    } else if (type == "context-faithfulness" || type == "context-relevance" ||
               type == "context-recall") {
        vars["context"] = LLMOPS_TRY(context_of(spec, context));
        vars["question"] = question_of(spec, context);
        if (type == "context-recall") {
            vars["reference"] = var_text(value);
        }
    } else if (type == "select-best") {
        vars["criteria"] = var_text(value);
        vars["input"] = std::string(context.prompt);
    }
    return vars;
}

Expected<std::vector<provider::ChatMessage>> render_judge(const JudgePrompt& prompt,
                                                          const json& vars) {
    const auto no_partials = [](std::string_view ref) -> Expected<std::string> {
        return fail(ErrorCode::invalid_input, "judge prompts cannot use partials ('{}')", ref);
    };
    auto rendered = prompt::render_prompt(prompt.def, vars, no_partials, prompt::RenderOptions{});
    if (!rendered) {
        return fail(rendered.error().code(), "judge prompt {}: {}", prompt.ref,
                    rendered.error().message());
    }
    return to_messages(*rendered);
}

void plan_specs(const std::vector<AssertionSpec>& specs, const AssertionContext& context,
                const Setup& setup, const Peers* peers, Exchange& exchange) {
    for (const auto& spec : specs) {
        if (spec.type == "assert-set") {
            plan_specs(spec.children, context, setup, peers, exchange);
            continue;
        }
        if (!is_model_graded(spec.type) || (spec.type == "select-best") != (peers != nullptr)) {
            continue;
        }
        Planned planned;
        planned.type = spec.type;
        if (spec.type == "similar") {
            const provider::Provider* embedder = setup.embedder ? setup.embedder : setup.provider;
            if (embedder == nullptr) {
                planned.error = "'similar' has no embedding model (set judge.embedding or a judge)";
            } else {
                auto value = detail::render_value(spec.value, context.vars);
                if (!value) {
                    planned.error = "cannot render the value " + value.error().message();
                } else {
                    Call call;
                    call.messages.push_back({"user", std::string(context.output)});
                    for (const auto& ref : value->is_array() ? *value : json::array({*value})) {
                        call.messages.push_back({"user", var_text(ref)});
                    }
                    call.params.embed = true;
                    planned.calls.push_back(std::move(call));
                }
            }
            exchange.planned.emplace(&spec, std::move(planned));
            continue;
        }
        auto it = setup.prompts.find(prompt_key(spec.type, prompt_ref_of(spec)));
        if (setup.provider == nullptr || it == setup.prompts.end()) {
            planned.error =
                fmt::format("'{}' has no judge (none was set up for this run)", spec.type);
            exchange.planned.emplace(&spec, std::move(planned));
            continue;
        }
        planned.prompt = &it->second;
        auto vars = prompt_vars(spec, context);
        if (!vars) {
            planned.error = vars.error().message();
            exchange.planned.emplace(&spec, std::move(planned));
            continue;
        }
        if (prompt_ref_of(spec).starts_with(k_written_prompt_prefix) && context.vars != nullptr) {
            // A rubricPrompt also sees the case's variables, as promptfoo renders it.
            for (const auto& [name, value] : context.vars->items()) {
                if (!vars->contains(name)) {
                    (*vars)[name] = value;
                }
            }
        }
        const int samples = samples_of(spec, setup);
        std::vector<std::vector<int>> orders;
        if (peers != nullptr) {
            std::vector<int> present;
            for (size_t i = 0; i < peers->outputs.size(); ++i) {
                if (peers->present[i]) {
                    present.push_back(static_cast<int>(i));
                }
            }
            if (present.size() < 2) {
                planned.error = "'select-best' needs the outputs of at least two variants (the "
                                "others failed or the run has one)";
                exchange.planned.emplace(&spec, std::move(planned));
                continue;
            }
            orders.push_back(present);
            std::reverse(present.begin(), present.end());
            orders.push_back(present);
        } else {
            orders.emplace_back();
        }
        for (int s = 0; s < samples && planned.error.empty(); ++s) {
            for (const auto& order : orders) {
                json call_vars = *vars;
                if (peers != nullptr) {
                    std::string blocks;
                    for (size_t p = 0; p < order.size(); ++p) {
                        blocks += fmt::format("{}<output index=\"{}\">\n{}\n</output>",
                                              blocks.empty() ? "" : "\n\n", p,
                                              peers->outputs[static_cast<size_t>(order[p])]);
                    }
                    call_vars["outputs"] = std::move(blocks);
                    call_vars["count"] = order.size();
                }
                auto messages = render_judge(*planned.prompt, call_vars);
                if (!messages) {
                    planned.error = messages.error().message();
                    planned.calls.clear();
                    break;
                }
                Call call;
                call.messages = std::move(*messages);
                call.params = planned.prompt->params;
                if (canonical_type(spec.type) == "g-eval") {
                    // The score as the probability-weighted mean of 1-5 when the API gives
                    // log-probabilities (config.logprobs: false for models that refuse them).
                    auto lp = spec.config.find("logprobs");
                    call.params.logprobs =
                        lp == spec.config.end() || !lp->is_boolean() || lp->get<bool>();
                }
                call.sample = s;
                call.order = order;
                planned.calls.push_back(std::move(call));
            }
        }
        exchange.planned.emplace(&spec, std::move(planned));
    }
}

} // namespace

bool uses_judge_prompt(std::string_view type) {
    return is_model_graded(type) && type != "similar";
}

Expected<std::unique_ptr<provider::Provider>> make_embedder(const Suite& suite,
                                                            const provider::EnvLookup& env) {
    if (!suite.embedding) {
        return std::unique_ptr<provider::Provider>();
    }
    auto made = provider::Provider::create(*suite.embedding, env);
    if (!made) {
        return fail(made.error().code(), "judge.embedding: {}", made.error().message());
    }
    return std::move(*made);
}

bool is_model_graded(std::string_view type) {
    return std::find(std::begin(k_model_graded), std::end(k_model_graded), type) !=
           std::end(k_model_graded);
}

std::span<const EmbeddedFile> shipped_prompts() {
    return {k_judge_prompt_files, k_judge_prompt_files_count};
}

std::string prompt_key(std::string_view type, std::string_view ref) {
    return ref.empty() ? canonical_type(type) : fmt::format("{}|{}", canonical_type(type), ref);
}

void apply_rubric_prompt(std::vector<AssertionSpec>& specs, const std::string& text) {
    for (auto& spec : specs) {
        if (uses_judge_prompt(spec.type) && !spec.config.contains("prompt")) {
            spec.config["prompt"] = std::string(k_written_prompt_prefix) + text;
        }
        apply_rubric_prompt(spec.children, text);
    }
}

namespace {

// Commits the judge prompt `text` written in a suite (promptfoo's rubricPrompt) for `type`:
// a JSON list of {role, content} messages, or one user message. Returns its ref.
Expected<std::string> commit_written_prompt(store::PromptStore& prompts, const std::string& type,
                                            std::string_view text) {
    prompt::PromptDefinition def;
    const json chat = text.starts_with('[') ? json::parse(text, nullptr, false) : json();
    if (chat.is_array() && !chat.empty()) {
        for (const auto& m : chat) {
            if (!m.is_object() || !m.value("role", json()).is_string() ||
                !m.value("content", json()).is_string()) {
                return fail(ErrorCode::invalid_input,
                            "rubricPrompt: every message needs string 'role' and 'content'");
            }
            def.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
        }
    } else {
        def.template_text = std::string(text);
    }
    def.name = "judge/" + type + "/rubric";
    const std::string id = prompt::version_id(def);
    def.name += "-" + id.substr(0, 12); // one name per text: each is committed once
    store::CommitRequest request;
    request.name = def.name;
    request.content = prompt::canonical_content(def);
    request.id = prompt::version_id(def);
    request.message = "rubricPrompt written in a suite";
    request.author = "llmops";
    LLMOPS_TRY(prompts.commit({request}));
    return def.name;
}

} // namespace

Expected<JudgePrompt> load_judge_prompt(store::Database& db, std::string_view type_written,
                                        std::string_view ref) {
    const std::string type = canonical_type(type_written);
    store::PromptStore prompts(db);
    std::string resolved_ref(ref);
    if (resolved_ref.starts_with(k_written_prompt_prefix)) {
        resolved_ref = LLMOPS_TRY(commit_written_prompt(
            prompts, type, std::string_view(ref).substr(k_written_prompt_prefix.size())));
    } else if (resolved_ref.empty()) {
        const std::string name = "judge/" + type;
        auto latest = LLMOPS_TRY(prompts.latest(name));
        if (!latest) {
            const auto shipped = shipped_prompts();
            auto file = std::find_if(shipped.begin(), shipped.end(),
                                     [&](const EmbeddedFile& f) { return type == f.name; });
            if (file == shipped.end()) {
                return fail(ErrorCode::invalid_input, "no judge prompt is shipped for '{}'", type);
            }
            auto def = prompt::parse_prompt_file(file->text, prompt::FileFormat::yaml, name,
                                                 fmt::format("prompts/judge/{}.yaml", type));
            if (!def) {
                return fail(ErrorCode::internal, "shipped judge prompt: {}", def.error().message());
            }
            def->name = name;
            store::CommitRequest request;
            request.name = name;
            request.content = prompt::canonical_content(*def);
            request.id = prompt::version_id(*def);
            request.message = "judge prompt shipped with llmops";
            request.author = "llmops";
            LLMOPS_TRY(prompts.commit({request}));
        }
        auto labels = LLMOPS_TRY(prompts.labels(name));
        const bool has_production = std::any_of(
            labels.begin(), labels.end(), [](const auto& l) { return l.label == "production"; });
        resolved_ref = has_production ? name + "@production" : name;
    }
    auto loaded = prompt::load_version(prompts, resolved_ref);
    if (!loaded) {
        return fail(loaded.error().code(), "judge prompt for '{}': {}", type,
                    loaded.error().message());
    }
    JudgePrompt out;
    out.ref = fmt::format("{}@{}", loaded->version.name, loaded->version.number);
    out.version_id = loaded->version.id;
    out.def = std::move(loaded->def);
    out.params = prompt_params(out.def.config_json);
    return out;
}

DefaultJudge default_judge(const provider::EnvLookup& env) {
    const auto set = [&](const char* name) {
        auto value = env(name);
        return value && !value->empty();
    };
    if (set("OPENAI_API_KEY")) {
        return {"openai:gpt-5.5-2026-04-23", "OPENAI_API_KEY"};
    }
    if ((set("AZURE_OPENAI_API_KEY") || set("AZURE_API_KEY")) &&
        set("AZURE_OPENAI_DEPLOYMENT_NAME")) {
        return {"azure:chat:" + *env("AZURE_OPENAI_DEPLOYMENT_NAME"),
                "AZURE_OPENAI_DEPLOYMENT_NAME"};
    }
    if (set("ANTHROPIC_API_KEY")) {
        return {"anthropic:messages:claude-sonnet-4-6", "ANTHROPIC_API_KEY"};
    }
    for (const char* name : {"GEMINI_API_KEY", "GOOGLE_API_KEY"}) {
        if (set(name)) {
            return {"google:gemini-2.5-pro", name};
        }
    }
    return {};
}

std::optional<DefaultJudge> fallback_judge(const Suite& suite,
                                           const std::optional<std::string>& flag,
                                           const provider::EnvLookup& env) {
    const auto named = env("LLMOPS_JUDGE");
    if (flag || suite.judge || (named && !named->empty())) {
        return std::nullopt;
    }
    if (suite.judge_prompts.empty()) { // no model-graded assertion: no judge to default to
        return std::nullopt;
    }
    auto chosen = default_judge(env);
    return chosen.id.empty() ? std::nullopt : std::optional(std::move(chosen));
}

Expected<std::unique_ptr<provider::Provider>> make_judge(const Suite& suite,
                                                         const std::optional<std::string>& flag,
                                                         const provider::EnvLookup& env) {
    std::optional<provider::ProviderConfig> config;
    const auto from_id = [&](const std::string& id, std::string_view where) -> Expected<void> {
        config = LLMOPS_TRY(
            provider::parse_provider_config(json(id), where, std::filesystem::current_path()));
        return {};
    };
    if (flag) {
        LLMOPS_TRY(from_id(*flag, "--judge"));
    } else if (suite.judge) {
        config = *suite.judge;
    } else if (auto id = env("LLMOPS_JUDGE"); id && !id->empty()) {
        LLMOPS_TRY(from_id(*id, "LLMOPS_JUDGE"));
    } else if (auto fallback = fallback_judge(suite, flag, env)) {
        LLMOPS_TRY(from_id(fallback->id, fallback->because));
    }
    if (!config) {
        return std::unique_ptr<provider::Provider>();
    }
    auto made = provider::Provider::create(*config, env);
    if (!made) {
        return fail(made.error().code(), "judge: {}", made.error().message());
    }
    return std::move(*made);
}

Outgoing outgoing(const Setup& setup, const Planned& planned, const Call& call) {
    Outgoing out;
    out.provider = call.params.embed && setup.embedder ? setup.embedder : setup.provider;
    if (out.provider != nullptr) {
        out.request.model = out.provider->config().spec.model;
    }
    out.request.messages = call.messages;
    out.request.params = call.params;
    out.cache_salt = planned.prompt ? "judge:" + planned.prompt->version_id : "embedding";
    return out;
}

void submit(provider::CallEngine& engine, const Setup& setup, Exchange& exchange,
            int64_t& calls_left, std::function<void()> when_done) {
    calls_left = exchange.calls();
    if (calls_left == 0) {
        when_done();
        return;
    }
    auto done = std::make_shared<std::function<void()>>(std::move(when_done));
    for (auto& [spec, planned] : exchange.planned) {
        for (auto& call : planned.calls) {
            Outgoing out = outgoing(setup, planned, call);
            provider::CallJob job;
            job.provider = out.provider;
            job.request = std::move(out.request);
            job.repeat = call.sample;
            job.cache_salt = std::move(out.cache_salt);
            engine.submit(std::move(job),
                          [&call, &calls_left, done](Expected<provider::CallOutcome> r) {
                              if (r) {
                                  call.embeddings = std::move(r->result.embeddings);
                                  call.logprobs_json = std::move(r->result.logprobs_json);
                                  call.reply = std::move(r->result.output);
                                  call.usage = r->result.usage;
                                  call.cost_usd = r->cost_usd;
                                  call.cached = r->cached || r->replayed;
                              } else {
                                  call.error = r.error().message();
                              }
                              if (--calls_left == 0) {
                                  (*done)();
                              }
                          });
        }
    }
}

int64_t Exchange::calls() const {
    int64_t n = 0;
    for (const auto& [spec, p] : planned) {
        n += static_cast<int64_t>(p.calls.size());
    }
    return n;
}

int64_t Exchange::input_tokens() const {
    int64_t n = 0;
    for (const auto& [spec, p] : planned) {
        for (const auto& c : p.calls) {
            n += c.usage.input;
        }
    }
    return n;
}

int64_t Exchange::output_tokens() const {
    int64_t n = 0;
    for (const auto& [spec, p] : planned) {
        for (const auto& c : p.calls) {
            n += c.usage.output;
        }
    }
    return n;
}

std::optional<double> Exchange::cost_usd() const {
    double total = 0;
    for (const auto& [spec, p] : planned) {
        for (const auto& c : p.calls) {
            if (c.reply && !c.cost_usd) {
                return std::nullopt;
            }
            total += c.cost_usd.value_or(0);
        }
    }
    return total;
}

double Exchange::spent_usd() const {
    double total = 0;
    for (const auto& [spec, p] : planned) {
        for (const auto& c : p.calls) {
            if (!c.cached) {
                total += c.cost_usd.value_or(0);
            }
        }
    }
    return total;
}

bool has_model_graded(const std::vector<AssertionSpec>& specs, std::string_view type) {
    return std::any_of(specs.begin(), specs.end(), [&](const AssertionSpec& a) {
        return (is_model_graded(a.type) && (type.empty() || a.type == type)) ||
               has_model_graded(a.children, type);
    });
}

Exchange plan(const std::vector<AssertionSpec>& specs, const AssertionContext& context,
              const Setup& setup, const Peers* peers) {
    Exchange exchange;
    if (setup.provider != nullptr) {
        exchange.provider_id = setup.provider->id();
    }
    if (setup.embedder != nullptr) {
        exchange.embedder_id = setup.embedder->id();
    }
    plan_specs(specs, context, setup, peers, exchange);
    return exchange;
}

} // namespace llmops::eval::judge
