#pragma once
// The matrix of a run: the suite's prompts resolved (store refs, files, inline text) and its
// providers created once, each (prompt, provider) pair a variant, in the order the run stores
// them (prompt-major); the judge models beside them; and a variant's request for a case built
// by rendering its prompt. The runner and `--estimate` walk the same matrix.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/node_worker.hpp>
#include <llmops/eval/suite.hpp>
#include <llmops/eval/trace_cases.hpp>
#include <llmops/prompt/definition.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/provider/config.hpp>
#include <llmops/provider/outcome.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::eval {

// The generation parameters a prompt's `config` sets (temperature, top_p, max_tokens, seed,
// stop, response_format); other keys are ignored.
provider::Params prompt_params(const std::string& config_json);

struct ResolvedPrompt {
    std::string label;
    std::string id; // PromptEntry::id
    std::string version_id;
    prompt::PromptDefinition def;
    provider::Params params; // from the prompt's config
    bool json_chat = false;  // a .json file holding Nunjucks tags: rendered as text, then read as
                             // a chat (as promptfoo reads any prompt that renders to one)
};

class Matrix {
public:
    // Resolves every prompt (failing before any call on one that cannot be loaded or whose
    // template is broken) and creates every provider with keys from `env` (a missing key fails).
    static Expected<Matrix> make(store::Database& db, const Suite& suite,
                                 const provider::EnvLookup& env);

    size_t size() const { return m_variants.size(); }
    const std::vector<store::VariantRecord>& variants() const { return m_variants; }
    std::vector<store::VariantRecord>& variants() { return m_variants; }
    const std::vector<ResolvedPrompt>& prompts() const { return m_prompts; }
    const std::vector<std::unique_ptr<provider::Provider>>& providers() const {
        return m_providers;
    }
    const ResolvedPrompt& prompt_of(int variant) const;
    // Whether `test` runs on `variant` (its `prompts:` and `providers:`, when set, name it).
    bool allows(int variant, const TestCase& test) const;
    provider::Provider& provider_of(int variant) const;

    // The run's node worker (started on first use): javascript assertions, Nunjucks prompts.
    // NEEDSWORK: one worker serialises both, so a slow javascript assertion delays the
    // rendering of the next requests; a second worker for rendering would cost a start-up.
    NodeWorker* node() const { return m_node.get(); }
    // Whether the suite's prompts render with Nunjucks in the node worker (decided by `make`).
    bool nunjucks() const { return m_nunjucks; }

    // The request `variant` makes for `test`: its prompt rendered with the case's variables
    // (partials from `prompts`; with Nunjucks in the node worker when the suite needs it).
    // Fails naming the case when the prompt cannot be rendered.
    Expected<provider::CompletionRequest> request(int variant, const TestCase& test,
                                                  store::PromptStore& prompts) const;

private:
    Expected<void> start_templates(const Suite& suite);
    Expected<void> use_recorded_messages(int variant, const TestCase& test,
                                         provider::CompletionRequest& request) const;
    Expected<prompt::RenderedPrompt> render_nunjucks(const prompt::PromptDefinition& def,
                                                     const nlohmann::json& vars) const;

    std::vector<ResolvedPrompt> m_prompts;
    std::vector<std::unique_ptr<provider::Provider>> m_providers;
    std::vector<store::VariantRecord> m_variants;
    std::shared_ptr<NodeWorker> m_node;
    bool m_nunjucks = false;
    std::map<std::string, std::string> m_filters; // nunjucksFilters: name -> path
};

// What differs between a run being resumed and the suite and matrix now ("the dataset changed",
// "prompt 'x' changed"); nullopt when the run can be resumed.
std::optional<std::string> resume_difference(const store::RunRecord& run, const Suite& suite,
                                             const std::vector<store::VariantRecord>& variants);

// The judge of model-graded assertions (SPEC §9) and the embedding model of `similar`, owned.
struct JudgeModels {
    std::unique_ptr<provider::Provider> judge;
    std::unique_ptr<provider::Provider> embedder;
    judge::Setup setup; // points into the two above
};

// --judge, else the suite's judge.provider or defaultTest.options.provider, else LLMOPS_JUDGE;
// the judge prompts the suite's model-graded assertions use are loaded (committed to the store
// on first use). Fails when assertions need a judge and none is named.
Expected<JudgeModels> make_judge_models(store::Database& db, const Suite& suite,
                                        const std::optional<std::string>& judge_option,
                                        const std::optional<int>& samples_option,
                                        const provider::EnvLookup& env);

// Loads the judge prompts of `specs` not loaded yet (suites built in memory list none up front).
Expected<void> ensure_judge_prompts(store::Database& db, judge::Setup& setup,
                                    const std::vector<AssertionSpec>& specs);

// The chat messages of a rendered prompt; as stored in a result (JSON text); as the text
// assertions and judge prompts quote (the messages' contents, a blank line apart).
std::vector<provider::ChatMessage> to_messages(const prompt::RenderedPrompt& rendered);
std::string messages_json(const std::vector<provider::ChatMessage>& messages);
std::string prompt_text(const std::vector<provider::ChatMessage>& messages);

// What assertions see of an answer to `test`: its output, the case's variables, the prompt
// text, finish reason, cost, latency and retrieved context.
AssertionContext answer_context(const TestCase& test, const Suite& suite, const std::string& text,
                                const provider::CallOutcome& outcome);

} // namespace llmops::eval
