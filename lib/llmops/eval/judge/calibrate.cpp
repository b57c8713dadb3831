#include <llmops/eval/judge/calibrate.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/runner.hpp>
#include <llmops/eval/session.hpp>
#include <llmops/eval/summary.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/build_info.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval::judge {

namespace {

using json = nlohmann::json;

Expected<Label> parse_label(const json& line, const std::string& where, int64_t number) {
    if (!line.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: a label must be a JSON object", where);
    }
    static const std::vector<std::string> keys = {"id",   "output", "outputs", "pass",   "score",
                                                  "best", "vars",   "prompt",  "context"};
    for (const auto& [key, value] : line.items()) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            return fail(ErrorCode::invalid_input, "{}: unknown key '{}'{}", where, key,
                        util::did_you_mean(key, keys));
        }
    }
    Label label;
    label.where = where;
    label.id = fmt::format("label-{}", number);
    if (auto id = line.find("id"); id != line.end()) {
        if (id->is_string() && !id->get<std::string>().empty()) {
            label.id = id->get<std::string>();
        } else if (id->is_number_integer()) {
            label.id = std::to_string(id->get<int64_t>());
        } else {
            return fail(ErrorCode::invalid_input, "{}: 'id' must be a string or a whole number",
                        where);
        }
    }
    if (auto vars = line.find("vars"); vars != line.end()) {
        if (!vars->is_object()) {
            return fail(ErrorCode::invalid_input, "{}: 'vars' must be a map", where);
        }
        label.vars = *vars;
    }
    for (const char* key : {"prompt", "context"}) {
        if (auto it = line.find(key); it != line.end() && !it->is_null()) {
            if (!it->is_string()) {
                return fail(ErrorCode::invalid_input, "{}: '{}' must be a string", where, key);
            }
            (std::string_view(key) == "prompt" ? label.prompt : label.context.emplace()) =
                it->get<std::string>();
        }
    }
    const auto output = line.find("output");
    const auto outputs = line.find("outputs");
    if (output != line.end() && output->is_string() && outputs == line.end()) {
        label.output = output->get<std::string>();
        const auto pass = line.find("pass");
        const auto score = line.find("score");
        if (pass != line.end() && pass->is_boolean()) {
            label.human_pass = pass->get<bool>();
        } else if (score != line.end() && score->is_number() && score->get<double>() >= 0 &&
                   score->get<double>() <= 1) {
            label.human_score = score->get<double>();
            label.human_pass = *label.human_score >= 0.5;
        } else {
            return fail(ErrorCode::invalid_input,
                        "{}: needs the human verdict: 'pass' (true or false) or 'score' (0 to 1)",
                        where);
        }
        return label;
    }
    if (outputs != line.end() && output == line.end() && outputs->is_array() &&
        outputs->size() >= 2 && std::all_of(outputs->begin(), outputs->end(), [](const json& o) {
            return o.is_string();
        })) {
        for (const auto& o : *outputs) {
            label.outputs.push_back(o.get<std::string>());
        }
        const auto best = line.find("best");
        if (best == line.end() || !best->is_number_integer() || best->get<int64_t>() < 0 ||
            best->get<int64_t>() >= static_cast<int64_t>(label.outputs.size())) {
            return fail(ErrorCode::invalid_input,
                        "{}: 'best' must be the index of one of the {} outputs (from 0)", where,
                        label.outputs.size());
        }
        label.best = static_cast<int>(best->get<int64_t>());
        return label;
    }
    return fail(ErrorCode::invalid_input,
                "{}: needs 'output' (a string) or 'outputs' (a list of at least two strings)",
                where);
}

// The model-graded assertions of `specs` for a kind of label: select-best ones or the others.
std::vector<AssertionSpec> judged_specs(const std::vector<AssertionSpec>& specs, bool pairwise) {
    std::vector<AssertionSpec> out;
    for (const auto& s : specs) {
        if (is_model_graded(s.type) && (s.type == "select-best") == pairwise) {
            out.push_back(s);
        }
    }
    if (pairwise && out.size() > 1) {
        out.resize(1);
    }
    return out;
}

// One label on its way through the judge.
struct Item {
    const Label* label = nullptr;
    int index = 0;
    json vars;
    std::string prompt_text;
    Exchange exchange;
    int64_t calls_left = 0;
};

} // namespace

Expected<std::vector<Label>> load_labels(const std::filesystem::path& path,
                                         const std::string& display, std::string* content_hash) {
    if (path.extension() != ".jsonl") {
        return fail(ErrorCode::invalid_input,
                    "{}: a labels file is JSONL (one JSON object per line, .jsonl)", display);
    }
    if (!std::filesystem::exists(path)) {
        return fail(ErrorCode::not_found, "labels file '{}' does not exist", display);
    }
    auto reader = LLMOPS_TRY(detail::open_dataset(path, content_hash));
    std::vector<Label> labels;
    std::map<std::string, std::string> seen;
    detail::RawCase raw;
    int64_t number = 0;
    for (;;) {
        auto more = LLMOPS_TRY(reader->next(raw));
        if (!more) {
            break;
        }
        ++number;
        auto label = LLMOPS_TRY(parse_label(raw.entry, raw.where, number));
        if (auto [it, inserted] = seen.emplace(label.id, raw.where); !inserted) {
            return fail(ErrorCode::invalid_input, "{}: duplicate id '{}' (first at {})", raw.where,
                        label.id, it->second);
        }
        labels.push_back(std::move(label));
    }
    if (labels.empty()) {
        return fail(ErrorCode::invalid_input, "{}: no labels", display);
    }
    return labels;
}

std::optional<double> Calibration::pairwise_accuracy() const {
    return pairs == 0 ? std::nullopt
                      : std::optional<double>(static_cast<double>(pairs_agree) /
                                              static_cast<double>(pairs));
}

std::optional<double> Calibration::position_bias_rate() const {
    return rounds == 0 ? std::nullopt
                       : std::optional<double>(static_cast<double>(position_flips) /
                                               static_cast<double>(rounds));
}

json Calibration::to_json() const {
    const auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    return json{{"run", run_id},
                {"judge", judge_id},
                {"judge_prompts", judge_prompts},
                {"labelled", labelled},
                {"errors", errors},
                {"first_error", first_error.empty() ? json(nullptr) : json(first_error)},
                {"verdicts",
                 {{"judged", counts.total()},
                  {"accuracy", opt(agreement.accuracy)},
                  {"kappa", opt(agreement.kappa)},
                  {"true_positive_rate", opt(agreement.true_positive_rate)},
                  {"true_negative_rate", opt(agreement.true_negative_rate)},
                  {"confusion",
                   {{"human_pass_judge_pass", counts.true_positive},
                    {"human_pass_judge_fail", counts.false_negative},
                    {"human_fail_judge_pass", counts.false_positive},
                    {"human_fail_judge_fail", counts.true_negative}}}}},
                {"pairwise",
                 {{"judged", pairs},
                  {"agree", pairs_agree},
                  {"accuracy", opt(pairwise_accuracy())},
                  {"rounds", rounds},
                  {"position_flips", position_flips},
                  {"position_bias_rate", opt(position_bias_rate())}}},
                {"interrupted", interrupted}};
}

Expected<Calibration> calibrate(store::Database& db, const store::Project& project,
                                const Suite& suite, const std::vector<Label>& labels,
                                const std::string& labels_hash, const CalibrationOptions& options,
                                const std::function<bool()>& should_stop) {
    const TestCase& defaults = suite.tests.defaults();
    const auto verdict_specs = judged_specs(defaults.asserts, false);
    const auto pairwise_specs = judged_specs(defaults.asserts, true);
    const bool any_pairwise =
        std::any_of(labels.begin(), labels.end(), [](const Label& l) { return l.pairwise(); });
    const bool any_verdict =
        std::any_of(labels.begin(), labels.end(), [](const Label& l) { return !l.pairwise(); });
    const std::string suite_name = suite.path.filename().string();
    if (any_verdict && verdict_specs.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: judge calibrate needs model-graded assertions in defaultTest.assert (e.g. "
                    "llm-rubric) to judge the labelled outputs",
                    suite_name);
    }
    if (any_pairwise && pairwise_specs.empty()) {
        return fail(ErrorCode::invalid_input,
                    "{}: pairwise labels need a select-best assertion in defaultTest.assert",
                    suite_name);
    }
    auto judge_model = LLMOPS_TRY(make_judge(suite, options.judge, provider::process_env()));
    if (!judge_model) {
        return fail(ErrorCode::invalid_input,
                    "{}: judge calibrate needs a judge model: pass --judge PROVIDER, set 'judge: "
                    "{{provider: ...}}' in the suite, or set LLMOPS_JUDGE",
                    suite_name);
    }
    auto embedder = LLMOPS_TRY(make_embedder(suite, provider::process_env()));
    Setup setup;
    setup.provider = judge_model.get();
    setup.embedder = embedder.get();
    setup.samples = std::max(1, options.samples.value_or(suite.judge_samples));
    Calibration result;
    result.judge_id = setup.provider->id();
    for (const auto* specs : {&verdict_specs, &pairwise_specs}) {
        for (const auto& spec : *specs) {
            if (!uses_judge_prompt(spec.type)) {
                continue;
            }
            auto ref = spec.config.find("prompt");
            const std::string r =
                ref != spec.config.end() && ref->is_string() ? ref->get<std::string>() : "";
            const std::string key = prompt_key(spec.type, r);
            if (setup.prompts.contains(key)) {
                continue;
            }
            auto loaded = LLMOPS_TRY(load_judge_prompt(db, spec.type, r));
            result.judge_prompts.push_back(loaded.ref);
            setup.prompts.emplace(key, std::move(loaded));
        }
    }
    auto prices = LLMOPS_TRY(provider::load_price_table(project.dir / "prices.yaml"));

    auto session = LLMOPS_TRY(RunSession::open(
        db, project.dir, {options.concurrency, options.cache_mode, options.record, &prices}));

    // The run: one variant, the judge; results pass when the judge agrees with the humans.
    store::RunRecord run;
    run.suite_path = options.suite_display;
    run.suite_hash = suite.hash;
    run.dataset_hash = labels_hash;
    run.description = fmt::format("judge calibration against {}", options.labels_display);
    store::VariantRecord variant;
    variant.index = 0;
    variant.prompt_label = util::join(result.judge_prompts, " + ");
    variant.prompt_version_id =
        setup.prompts.empty() ? std::string() : setup.prompts.begin()->second.version_id;
    variant.provider_id = setup.provider->id();
    variant.provider_label = setup.provider->config().label;
    variant.provider_config = setup.provider->config().public_config;
    variant.label = fmt::format("judge {} | {}", variant.prompt_label, variant.provider_label);
    run.variants.push_back(variant);
    json judge_prompts = json::object();
    for (const auto& [key, p] : setup.prompts) {
        judge_prompts[key] = {{"ref", p.ref}, {"version_id", p.version_id}};
    }
    run.provenance = json{{"kind", "judge-calibration"},
                          {"llmops_version", util::version()},
                          {"llmops_commit", util::git_commit()},
                          {"command_line", options.command_line},
                          {"labels_file", options.labels_display},
                          {"cases", labels.size()},
                          {"concurrency", options.concurrency},
                          {"judge",
                           {{"id", setup.provider->id()},
                            {"label", setup.provider->config().label},
                            {"config", setup.provider->config().public_config},
                            {"samples", setup.samples},
                            {"prompts", judge_prompts}}}};
    LLMOPS_TRY(session.create(run));
    const int64_t run_id = session.run_id();
    result.run_id = run_id;
    result.labelled = static_cast<int64_t>(labels.size());

    RunSummary summary;
    summary.run_id = run_id;
    VariantSummary v;
    v.index = 0;
    v.label = variant.label;

    const auto finish = [&](Item& item) {
        const Label& label = *item.label;
        AssertionContext context;
        context.output = label.pairwise() ? std::string_view() : std::string_view(label.output);
        context.vars = &item.vars;
        context.prompt = item.prompt_text;
        if (label.context) {
            context.response_context = *label.context;
        }
        context.judge = &item.exchange;
        const auto& specs = label.pairwise() ? pairwise_specs : verdict_specs;
        const CaseVerdict verdict = run_assertions(specs, context, std::nullopt);
        store::ResultRecord r;
        r.variant = 0;
        r.case_id = label.id;
        r.case_index = item.index;
        r.vars = item.vars;
        r.vars["__human"] = label.pairwise() ? json{{"best", label.best}}
                            : label.human_score
                                ? json{{"pass", label.human_pass}, {"score", *label.human_score}}
                                : json{{"pass", label.human_pass}};
        r.prompt = json::array({{{"role", "user"}, {"content", label.prompt}}}).dump();
        r.description = label.where;
        r.output = label.pairwise() ? util::join(label.outputs, "\n---\n") : label.output;
        json assertions = json::array();
        for (const auto& a : verdict.results) {
            assertions.push_back(assertion_json(a));
        }
        r.assertions = std::move(assertions);
        r.judge_calls = item.exchange.calls();
        r.judge_input_tokens = item.exchange.input_tokens();
        r.judge_output_tokens = item.exchange.output_tokens();
        r.judge_cost_usd = item.exchange.cost_usd();
        r.judge_spent_usd = item.exchange.spent_usd();
        const bool any_call_left_unmade = std::any_of(
            item.exchange.planned.begin(), item.exchange.planned.end(), [](const auto& p) {
                return std::any_of(p.second.calls.begin(), p.second.calls.end(),
                                   [](const Call& c) { return !c.reply && c.error.empty(); });
            });
        if (any_call_left_unmade) {
            return; // never asked (stopped): not a result
        }
        if (verdict.error) {
            r.status = "error";
            r.reason = verdict.reason;
            ++result.errors;
            if (result.first_error.empty()) {
                result.first_error = fmt::format("{}: {}", label.id, verdict.reason);
            }
        } else if (label.pairwise()) {
            // Graded with self = the humans' choice: a pass means the judge preferred it too.
            const bool agree = verdict.pass;
            ++result.pairs;
            result.pairs_agree += agree ? 1 : 0;
            for (const auto& a : verdict.results) {
                result.rounds += a.judge.value("rounds", 0);
                result.position_flips += a.judge.value("position_flips", 0);
            }
            r.status = agree ? "pass" : "fail";
            r.score = agree ? 1.0 : 0.0;
            r.reason = agree ? ""
                             : fmt::format("judge: {}; human: output {} is best", verdict.reason,
                                           label.best);
        } else {
            const bool judge_pass = verdict.pass;
            result.counts.add(label.human_pass, judge_pass);
            const bool agree = judge_pass == label.human_pass;
            r.status = agree ? "pass" : "fail";
            r.score = agree ? 1.0 : 0.0;
            r.reason = agree ? ""
                             : fmt::format("judge says {} ({}), human says {}",
                                           judge_pass ? "pass" : "fail", verdict.reason,
                                           label.human_pass ? "pass" : "fail");
        }
        v.add(r, Answer::none, verdict.results);
        session.add(std::move(r));
    };

    std::vector<std::unique_ptr<Item>> items;
    const auto start = [&](provider::CallEngine& engine) {
        int index = 0;
        for (const auto& label : labels) {
            auto item = std::make_unique<Item>();
            item->label = &label;
            item->index = index++;
            item->vars = defaults.vars.is_object() ? defaults.vars : json::object();
            for (const auto& [k, val] : label.vars.items()) {
                item->vars[k] = val;
            }
            item->prompt_text = label.prompt;
            AssertionContext context;
            context.output = label.output;
            context.vars = &item->vars;
            context.prompt = item->prompt_text;
            if (label.context) {
                context.response_context = *label.context;
            }
            if (label.pairwise()) {
                Peers peers;
                peers.outputs = label.outputs;
                peers.present.assign(label.outputs.size(), true);
                item->exchange = plan(pairwise_specs, context, setup, &peers);
                for (auto& [spec, planned] : item->exchange.planned) {
                    planned.self = label.best;
                }
            } else {
                item->exchange = plan(verdict_specs, context, setup);
            }
            Item* raw = item.get();
            items.push_back(std::move(item));
            submit(engine, setup, raw->exchange, raw->calls_left, [&finish, raw] { finish(*raw); });
        }
    };
    session.drive(start, [&] {
        if (should_stop && should_stop()) {
            result.interrupted = true;
        }
        return result.interrupted;
    });
    session.commit();
    result.agreement = stats::binary_agreement(result.counts);
    summary.status = result.interrupted ? "interrupted" : session.failed() ? "failed" : "complete";
    summary.interrupted = result.interrupted;
    summary.variants.push_back(std::move(v));
    json stored = summary.to_json();
    stored["calibration"] = result.to_json();
    LLMOPS_TRY(session.finish(summary.status, stored));
    return result;
}

} // namespace llmops::eval::judge
