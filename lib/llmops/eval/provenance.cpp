#include <llmops/eval/provenance.hpp>
#include <llmops/eval/trace_cases.hpp>

#include <fmt/format.h>

#include <llmops/prompt/definition.hpp>
#include <llmops/util/build_info.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/subprocess.hpp>

namespace llmops::eval {

using nlohmann::json;

// One `git status` tells both the commit (its `# branch.oid` header) and whether tracked files
// changed (any other line): every eval starts git once, not twice (a few ms of an eval's start,
// SPEC §13). Null outside a repository and before its first commit.
json git_state(const std::filesystem::path& root) {
    util::ProcessOptions options;
    options.timeout_ms = 5000;
    auto status = util::run_process({"git", "-C", root.string(), "status", "--porcelain=v2",
                                     "--branch", "--untracked-files=no"},
                                    options);
    if (!status || status->exit_code != 0 || status->timed_out) {
        return nullptr;
    }
    std::string commit;
    bool dirty = false;
    std::string_view rest = status->out;
    while (!rest.empty()) {
        const size_t end = rest.find('\n');
        const std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        constexpr std::string_view k_oid = "# branch.oid ";
        if (line.starts_with(k_oid)) {
            commit = line.substr(k_oid.size());
        } else if (!line.empty() && !line.starts_with('#')) {
            dirty = true;
        }
    }
    if (commit.empty() || commit == "(initial)") {
        return nullptr;
    }
    return json{{"commit", commit}, {"dirty", dirty}};
}

json price_snapshot(const provider::Provider& p, const provider::PriceTable& prices) {
    if (const auto& cost = p.config().cost) {
        return json{
            {"source", "provider config"}, {"input", cost->input}, {"output", cost->output}};
    }
    const auto [name, model] = p.priced_as();
    if (model.empty()) {
        return nullptr;
    }
    const provider::PriceEntry* e = prices.find(model, name);
    if (e == nullptr) {
        return json{{"model", model}, {"unpriced", true}};
    }
    json out{{"provider", e->provider},    {"model", e->model},         {"input", e->prices.input},
             {"output", e->prices.output}, {"effective", e->effective}, {"source", e->source}};
    if (e->prices.cached_input)
        out["cached_input"] = *e->prices.cached_input;
    if (e->prices.cache_write)
        out["cache_write"] = *e->prices.cache_write;
    if (e->long_context_above) {
        out["long_context_above"] = *e->long_context_above;
        out["long_context"] = {{"input", e->long_context.input},
                               {"output", e->long_context.output}};
    }
    return out;
}

namespace {

json filters_json(const CaseFilter& f) {
    json filters = json::object();
    if (f.pattern)
        filters["filter_pattern"] = *f.pattern;
    if (f.failing_run)
        filters["failing"] = *f.failing_run;
    if (f.failing_file)
        filters["failing_file"] = *f.failing_file;
    if (f.sample)
        filters["sample"] = {{"n", *f.sample}, {"seed", f.seed}};
    if (f.first_n)
        filters["first_n"] = *f.first_n;
    if (f.shard)
        filters["shard"] = fmt::format("{}/{}", f.shard->first, f.shard->second);
    return filters;
}

// The judge model, its samples and prompts, and the embedding model of `similar`.
void add_judge(json& provenance, const judge::Setup& judge, const provider::PriceTable& prices) {
    if (judge.provider != nullptr) {
        json judge_prompts = json::object();
        for (const auto& [key, p] : judge.prompts) {
            judge_prompts[key] = {{"ref", p.ref}, {"version_id", p.version_id}};
        }
        provenance["judge"] = {{"id", judge.provider->id()},
                               {"label", judge.provider->config().label},
                               {"config", judge.provider->config().public_config},
                               {"samples", judge.samples},
                               {"prompts", judge_prompts}};
        provenance["prices"][judge.provider->id()] = price_snapshot(*judge.provider, prices);
    }
    if (judge.embedder != nullptr) {
        if (!provenance.contains("judge")) {
            provenance["judge"] = json::object();
        }
        provenance["judge"]["embedding"] = {{"id", judge.embedder->id()},
                                            {"config", judge.embedder->config().public_config}};
        provenance["prices"][judge.embedder->id()] = price_snapshot(*judge.embedder, prices);
    }
}

} // namespace

json run_provenance(const ProvenanceInput& in) {
    json prompts = json::array();
    for (const auto& p : in.matrix->prompts()) {
        // The content itself, so that a diff of two runs can show how the prompt changed even
        // when it was a file or inline text rather than a version in the store.
        prompts.push_back(
            {{"label", p.label},
             {"version_id", p.version_id},
             {"content", json::parse(prompt::canonical_content(p.def), nullptr, false)}});
    }
    json providers = json::array();
    json prices = json::object();
    for (const auto& p : in.matrix->providers()) {
        providers.push_back(
            {{"id", p->id()}, {"label", p->config().label}, {"config", p->config().public_config}});
        prices[p->id()] = price_snapshot(*p, *in.prices);
    }
    const auto& git = in.git ? in.git : GitProbe(git_state);
    json provenance{
        {"llmops_version", util::version()},
        {"suite_file", std::filesystem::absolute(in.suite->path).lexically_normal().string()},
        {"llmops_commit", util::git_commit()},
        {"git", git(in.project_root)},
        {"command_line", util::sanitize_urls(in.command_line)},
        {"prompts", prompts},
        {"providers", providers},
        {"prices", prices},
        {"filters", filters_json(in.filter)},
        {"repeat", in.repeat},
        {"cases", in.cases},
        // Case ids without an `id` or `description` are digests of the case's variables (not
        // row positions, as before this key existed): `diff` pairs such runs by id safely.
        {"case_ids", "content"},
        {"concurrency", in.concurrency}};
    if (in.suite->traces) {
        // The cases are production calls: `diff` compares such runs unpaired.
        provenance["traces"] = trace_query_json(*in.suite->traces);
    }
    add_judge(provenance, *in.judge, *in.prices);
    return provenance;
}

} // namespace llmops::eval
