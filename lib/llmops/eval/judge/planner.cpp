#include <llmops/eval/judge/planner.hpp>

#include <llmops/eval/matrix.hpp>
#include <llmops/eval/suite.hpp>

namespace llmops::eval::judge {

bool Planner::grouped(const TestCase& test) {
    return has_model_graded(test.asserts, "select-best");
}

Exchange Planner::answer(const TestCase& test, const std::vector<provider::ChatMessage>& messages,
                         const provider::CallOutcome& outcome, std::vector<std::string>& warnings) {
    if (!has_model_graded(test.asserts)) {
        return {};
    }
    if (auto ok = ensure_judge_prompts(m_db, m_setup, test.asserts); !ok) {
        warnings.push_back(ok.error().message());
    }
    const std::string text = prompt_text(messages);
    const AssertionContext context = answer_context(test, m_suite, text, outcome);
    return plan(test.asserts, context, m_setup);
}

void Planner::expect(int64_t position, int repeat, int count) {
    m_groups[{position, repeat}].expected = count;
}

std::optional<Exchange> Planner::arrive(const TestCase& test, int repeat, int variant,
                                        const std::vector<provider::ChatMessage>* messages,
                                        const provider::CallOutcome* outcome) {
    const std::pair<int64_t, int> key{test.position, repeat};
    Group& group = m_groups[key];
    if (group.peers.outputs.empty()) {
        group.peers.outputs.resize(m_variants);
        group.peers.present.resize(m_variants, false);
    }
    ++group.arrived;
    if (outcome != nullptr) {
        group.peers.outputs[static_cast<size_t>(variant)] = outcome->result.output;
        group.peers.present[static_cast<size_t>(variant)] = true;
        if (group.first < 0 || variant < group.first) {
            group.first = variant;
            group.first_prompt = messages != nullptr ? prompt_text(*messages) : "";
            group.first_outcome = *outcome;
        }
    }
    if (group.arrived < group.expected) {
        return std::nullopt;
    }
    auto node = m_groups.extract(key);
    const Group& done = node.mapped();
    if (done.first < 0) {
        return Exchange{};
    }
    const AssertionContext context =
        answer_context(test, m_suite, done.first_prompt, done.first_outcome);
    return plan(test.asserts, context, m_setup, &done.peers);
}

void Planner::share(const Exchange& group, int variant, Exchange& mine) {
    for (const auto& [spec, planned] : group.planned) {
        Planned copy = planned;
        copy.self = variant;
        mine.planned.insert_or_assign(spec, std::move(copy));
    }
    if (mine.provider_id.empty()) {
        mine.provider_id = group.provider_id;
    }
}

} // namespace llmops::eval::judge
