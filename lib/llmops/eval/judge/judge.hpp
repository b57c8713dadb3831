#pragma once
// LLM as a judge (SPEC §9). Model-graded assertions are judged in two steps, so that the runner
// can send the judge calls through the call engine with everything else (-j, cache, retries,
// record/replay, Ctrl-C) and `run_assertions` stays a pure function of its inputs:
//   1. `plan` renders the judge prompt of every model-graded assertion of a case for its output
//      (N samples each; select-best: both orders of every sample) into `Call`s;
//   2. the runner makes the calls and fills in their replies;
//   3. `run_assertions`, given the filled `Exchange` in its context, grades each assertion from
//      its replies (grade.cpp): verdicts parsed robustly (verdict.hpp), samples aggregated
//      (majority for pass/fail, mean for scores), the judge's raw replies kept in the result.
// Judge prompts ship in prompts/judge/ (compiled in) and are committed to the store as
// `judge/<type>` the first time a project uses them, so each result names the judge prompt
// version that graded it; a user overrides one by committing a new version of that prompt, or
// points an assertion at another prompt with `config.prompt`.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/prompt/definition.hpp>
#include <llmops/provider/engine.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/embedded.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval {
struct AssertionSpec;
struct AssertionContext;
struct Suite;
} // namespace llmops::eval

namespace llmops::eval::judge {

// Whether `type` (without `not-`) is model-graded: needs a judge call before it can be graded.
bool is_model_graded(std::string_view type);

// Whether a model-graded type asks through a judge prompt (all but `similar`, which asks an
// embedding model for vectors).
bool uses_judge_prompt(std::string_view type);

// The judge prompts shipped with llmops (prompts/judge/*.yaml), by type, sorted.
std::span<const EmbeddedFile> shipped_prompts();

// A judge prompt version as a run uses it.
struct JudgePrompt {
    std::string ref;        // "judge/llm-rubric@2"
    std::string version_id; // its SHA-256 version id (part of every judge call's cache key)
    prompt::PromptDefinition def;
    provider::Params params; // from the prompt's config (temperature 0, JSON mode)
};

// The start of the `config.prompt` of an assertion whose judge prompt is written in the suite
// (promptfoo's `rubricPrompt`): the text follows, a template or a JSON list of {role, content}
// messages.
inline constexpr std::string_view k_written_prompt_prefix = "rubricPrompt:";

// Sets the `config.prompt` of every assertion of `specs` (and their children) that asks a judge
// through a prompt and names none to the judge prompt `text` (promptfoo's `rubricPrompt`).
void apply_rubric_prompt(std::vector<AssertionSpec>& specs, const std::string& text);

// Loads the judge prompt an assertion of `type` uses: `ref` when set (its `config.prompt`),
// else `judge/<type>` at its `production` label when it has one, else its latest version. A
// store without `judge/<type>` gets the shipped prompt committed first (author "llmops").
// A `ref` starting with k_written_prompt_prefix is the prompt's text: it is committed to the
// store once, as `judge/<type>/rubric-<id>`, and loaded from there.
// Fails with `not_found` for an unknown ref, `invalid_input` for a type with no shipped prompt.
Expected<JudgePrompt> load_judge_prompt(store::Database& db, std::string_view type,
                                        std::string_view ref);

// What a run's model-graded assertions are judged with.
struct Setup {
    const provider::Provider* provider = nullptr; // the judge model
    std::map<std::string, JudgePrompt> prompts;   // by prompt_key(type, config.prompt)
    int samples = 1;                              // the suite's judge.samples
    const provider::Provider* embedder = nullptr; // `similar`: judge.embedding, else the judge
};

// The key of Setup::prompts for an assertion of `type` with `config.prompt` = `ref` ("" if none).
std::string prompt_key(std::string_view type, std::string_view ref);

// One call to the judge model.
struct Call {
    std::vector<provider::ChatMessage> messages;
    provider::Params params;
    int sample = 0;         // the sample index: the call's repeat index (cache, replay)
    std::vector<int> order; // select-best: position p of the prompt shows output order[p]
    // Filled in by whoever makes the call:
    std::optional<std::string> reply; // the judge's answer text
    std::string error;                // the call failed (reply unset)
    provider::Usage usage;
    std::optional<double> cost_usd;              // nullopt: unpriced (or not made)
    bool cached = false;                         // answered from the response cache (or a replay)
    std::vector<std::vector<double>> embeddings; // `similar`: the output's vector, then the
                                                 // references'
    std::optional<std::string> logprobs_json;    // g-eval: the reply's token log-probabilities
};

// The calls one model-graded assertion needs.
struct Planned {
    std::string type;
    const JudgePrompt* prompt = nullptr;
    std::string error; // could not be planned (a missing variable, no judge): an error
    std::vector<Call> calls;
    int self = -1; // select-best: which output of the group is this result's
};

// The judge calls of one result.
struct Exchange {
    std::string provider_id;                         // the judge model, for results
    std::string embedder_id;                         // the embedding model (when not the judge)
    std::map<const AssertionSpec*, Planned> planned; // keyed by the assertion (in the case's specs)

    // Token and cost totals of the calls made, for the result.
    int64_t calls() const;
    int64_t input_tokens() const;
    int64_t output_tokens() const;
    std::optional<double> cost_usd() const; // nullopt when some call was unpriced
    double spent_usd() const;               // priced calls not answered from the cache
};

// Whether any of `specs` (assert-set children included) is model-graded; with `type`, of that type.
bool has_model_graded(const std::vector<AssertionSpec>& specs, std::string_view type = {});

// The outputs of one case and repeat across a run's variants, for select-best.
struct Peers {
    std::vector<std::string> outputs; // by variant; an errored variant has none
    std::vector<bool> present;
};

// promptfoo's default grader, chosen as promptfoo chooses it from the API keys in `env`: OpenAI
// when OPENAI_API_KEY is set (openai:gpt-5.5-2026-04-23, as promptfoo 0.121 picks); else Azure when
// an Azure key and AZURE_OPENAI_DEPLOYMENT_NAME are set (azure:chat:<deployment>); else Anthropic
// (ANTHROPIC_API_KEY: anthropic:messages:claude-sonnet-4-6); else Gemini
// (GEMINI_API_KEY or GOOGLE_API_KEY: google:gemini-2.5-pro). `id` is empty when none is set;
// `because` names the variable that chose it.
struct DefaultJudge {
    std::string id;
    std::string because;
};
DefaultJudge default_judge(const provider::EnvLookup& env);

// The default grader make_judge falls back to for `suite`: set only when the suite has a
// model-graded assertion, neither `flag`, the suite nor LLMOPS_JUDGE names a judge, and
// default_judge finds a key.
std::optional<DefaultJudge> fallback_judge(const Suite& suite,
                                           const std::optional<std::string>& flag,
                                           const provider::EnvLookup& env);

// The judge model: `flag` (--judge, --grader), else the suite's judge.provider or
// defaultTest.options.provider, else LLMOPS_JUDGE (read through `env`), else promptfoo's
// default grader (default_judge); nullptr when none is set. Fails with `invalid_input` for a
// bad id or config, as Provider::create for a missing key ("judge: ..." in front).
Expected<std::unique_ptr<provider::Provider>> make_judge(const Suite& suite,
                                                         const std::optional<std::string>& flag,
                                                         const provider::EnvLookup& env);

// The embedding model of `similar`: the suite's judge.embedding; nullptr when not set (the
// judge model is used then).
Expected<std::unique_ptr<provider::Provider>> make_embedder(const Suite& suite,
                                                            const provider::EnvLookup& env);

// One judge call as it is sent: to the judge (or, for embeddings, the embedding model when one
// is set), its request, and the cache salt (the judge prompt's version id), so a call's cache
// key can be worked out without sending it (`eval --estimate`).
struct Outgoing {
    const provider::Provider* provider = nullptr; // null when the setup has no model for it
    provider::CompletionRequest request;
    std::string cache_salt;
};
Outgoing outgoing(const Setup& setup, const Planned& planned, const Call& call);

// Submits every call of `exchange` to `engine` on `setup.provider` (repeat index = the sample,
// cache salt = the judge prompt's version id, so a new judge prompt version never reuses an
// old verdict); fills each call's reply or error as it finishes, and runs `when_done` once they
// have all finished (at once when there are none). `calls_left` and `exchange` must outlive
// the calls.
void submit(provider::CallEngine& engine, const Setup& setup, Exchange& exchange,
            int64_t& calls_left, std::function<void()> when_done);

// Plans the judge calls of the model-graded assertions of `specs` on `context` (output, vars,
// prompt, response context). select-best assertions are left out unless `peers` is given; then
// only they are planned, once for the whole group (`self` unset).
Exchange plan(const std::vector<AssertionSpec>& specs, const AssertionContext& context,
              const Setup& setup, const Peers* peers = nullptr);

} // namespace llmops::eval::judge
