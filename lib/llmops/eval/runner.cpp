#include <llmops/eval/runner.hpp>

// The runner: joins the rooms (matrix, case feed, scheduler, session, summary; see runner.hpp)
// with what happens between a call's answer and its stored result: judge calls, select-best
// groups, script assertions on worker threads, the verdict, redaction, and the limits that
// stop a run (--max-cost, --max-errors, a provider that is down, Ctrl-C).

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include <llmops/eval/judge/judge.hpp>
#include <llmops/eval/judge/planner.hpp>
#include <llmops/eval/matrix.hpp>
#include <llmops/eval/plan.hpp>
#include <llmops/eval/result.hpp>
#include <llmops/eval/scheduler.hpp>
#include <llmops/eval/session.hpp>
#include <llmops/eval/transform.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/time.hpp>

namespace llmops::eval {

namespace {

using nlohmann::json;

// Calls handed to the engine at once beyond the concurrency: enough to keep every slot busy,
// few enough that memory does not grow with the suite.
constexpr int k_window_factor = 4;

// Whether any of `specs` (assert-set children included) runs a script: python, exec or
// javascript, or a transform.
bool has_scripts(const std::vector<AssertionSpec>& specs) {
    return std::any_of(specs.begin(), specs.end(), [](const AssertionSpec& a) {
        return a.type == "python" || a.type == "exec" || a.type == "javascript" ||
               !a.transform.empty() || has_scripts(a.children);
    });
}

// Whether `test`'s verdict runs a script (its output transform included): then it is judged on
// a worker thread.
bool has_scripts(const TestCase& test) {
    return !test.transform.empty() || has_scripts(test.asserts);
}

// A call's answer on its way to a verdict: the judge calls of its model-graded assertions, then
// its script assertions, may come between the answer and the stored result.
struct Pending {
    WorkItem item;
    std::vector<provider::ChatMessage> messages;
    provider::CallOutcome outcome;
    judge::Exchange exchange;
    int64_t calls_left = 0; // judge calls not finished yet
    CaseVerdict verdict;
    bool judged = false;      // `verdict` is decided already (options.transform failed)
    bool output_json = false; // the output is the JSON text of what options.transform returned
};

// The variants' answers to one case and repeat waiting for select-best (which judge::Planner
// plans once they are all in).
struct Group {
    std::vector<std::shared_ptr<Pending>> waiting; // answers waiting for the group's verdict
    judge::Exchange exchange;                      // the select-best calls, shared
    int64_t calls_left = 0;
};

// The state of one run in progress.
class Run {
public:
    Run(store::Database& db, const store::Project& project, const Suite& suite,
        const RunOptions& options, const ResultListener& on_result)
        : m_db(db), m_project(project), m_suite(suite), m_options(options), m_on_result(on_result) {
    }

    Expected<RunSummary> execute(const std::function<bool()>& should_stop);

private:
    Expected<void> prepare();
    Expected<void> start_run_record();
    Expected<store::RunRecord> new_run_record();
    void protect_secrets();
    std::shared_ptr<const TestCase> next_case();
    bool send(const WorkItem& item);
    void answered(const WorkItem& item, std::vector<provider::ChatMessage> messages,
                  Expected<provider::CallOutcome> outcome);
    void plan_judge(const std::shared_ptr<Pending>& pending);
    void transform_output(Pending& pending) const;
    void transformed(const std::shared_ptr<Pending>& pending);
    void after_judge(const std::shared_ptr<Pending>& pending);
    void group_arrived(const std::shared_ptr<Pending>& pending, const WorkItem& item,
                       bool has_output);
    CaseVerdict judge(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                      const provider::CallOutcome& outcome,
                      const judge::Exchange* exchange = nullptr, bool output_json = false) const;
    void on_outcome(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                    Expected<provider::CallOutcome> outcome, const CaseVerdict* judged = nullptr,
                    const judge::Exchange* exchange = nullptr);
    void check_limits(const Expected<provider::CallOutcome>& outcome);
    void store_result(store::ResultRecord record);
    Expected<RunSummary> finish();
    judge::Setup& judge_setup() { return m_plan->judge.setup; }
    const judge::Setup& judge_setup() const { return m_plan->judge.setup; }

    store::Database& m_db;
    const store::Project& m_project;
    const Suite& m_suite;
    const RunOptions& m_options;
    const ResultListener& m_on_result;

    std::optional<RunPlan> m_plan;
    std::optional<judge::Planner> m_judge; // the judge calls of answers and select-best groups
    std::optional<RunSession> m_session;
    std::optional<Scheduler> m_scheduler;
    provider::CallEngine* m_engine = nullptr;           // while the session drives it
    std::set<std::tuple<int, std::string, int>> m_done; // resumed keys
    std::map<std::pair<int64_t, int>, Group> m_groups;  // select-best: (case position, repeat)

    RunSummary m_summary;
    // Every secret the run knows (protect_secrets): added to every provider, so the engine
    // redacts answers with them, and used by store_result on everything else a result holds
    // (short ones in error messages only, as the engine does: see util::Redactor::Short).
    util::Redactor m_redactor;
    util::Redactor m_error_redactor;
    int64_t m_connection_failures = 0; // calls in a row that could not reach their provider
    std::function<bool()> m_should_stop;
};

Expected<void> Run::prepare() {
    m_plan.emplace(
        LLMOPS_TRY(plan_run(m_db, m_project, m_suite, m_options, provider::process_env())));
    m_judge.emplace(m_db, judge_setup(), m_suite, m_plan->matrix.size());
    for (const auto& v : m_plan->matrix.variants()) {
        VariantSummary s;
        s.index = v.index;
        s.label = v.label;
        m_summary.variants.push_back(std::move(s));
    }
    return {};
}

// The secrets of every provider the run calls and of the environment: none of them may reach
// the run's provenance, its variants or its results.
void Run::protect_secrets() {
    std::vector<std::string> secrets = provider::environment_secrets(provider::process_env());
    std::vector<provider::Provider*> callers = {m_plan->judge.judge.get(),
                                                m_plan->judge.embedder.get()};
    for (const auto& p : m_plan->matrix.providers()) {
        callers.push_back(p.get());
    }
    std::erase(callers, nullptr);
    for (const provider::Provider* p : callers) {
        secrets.insert(secrets.end(), p->secrets().begin(), p->secrets().end());
    }
    for (provider::Provider* p : callers) {
        p->add_secrets(secrets);
    }
    m_redactor = util::Redactor(secrets, util::Redactor::Short::kept);
    m_error_redactor = util::Redactor(secrets);
    for (auto& v : m_plan->matrix.variants()) {
        m_redactor.redact_json(v.provider_config);
    }
}

Expected<void> Run::start_run_record() {
    protect_secrets();
    if (!m_options.resume_run) {
        auto run = LLMOPS_TRY(new_run_record());
        LLMOPS_TRY(m_session->create(run));
        m_summary.run_id = m_session->run_id();
        return {};
    }
    auto run = LLMOPS_TRY(store::load_run(m_db, *m_options.resume_run));
    if (auto diff = resume_difference(run, m_suite, m_plan->matrix.variants())) {
        return fail(ErrorCode::conflict, "cannot resume run {}: {} since it started",
                    *m_options.resume_run, *diff);
    }
    // The lease first, then what is done: a second writer is refused before it reads.
    auto previous = LLMOPS_TRY(m_session->resume(run.id));
    if (previous) {
        m_summary.warnings.push_back(
            fmt::format("run {} was left by {}, which is gone; this process took it over", run.id,
                        store::describe_lease(*previous, util::unix_ms())));
    }
    m_done = LLMOPS_TRY(store::result_keys(m_db, run.id, false));
    m_summary.run_id = run.id;
    return {};
}

Expected<store::RunRecord> Run::new_run_record() {
    store::RunRecord run;
    run.suite_path =
        m_options.suite_display_path.empty() ? m_suite.path.string() : m_options.suite_display_path;
    run.suite_hash = m_suite.hash;
    run.dataset_hash = m_suite.dataset_hash;
    run.description = m_redactor.redact(m_suite.description);
    run.variants = m_plan->matrix.variants();
    ProvenanceInput in;
    in.suite = &m_suite;
    in.matrix = &m_plan->matrix;
    in.judge = &judge_setup();
    in.prices = &m_plan->prices;
    in.project_root = m_project.root;
    in.command_line = m_options.command_line;
    in.filter = m_options.filter;
    in.repeat = m_plan->repeat;
    in.cases = m_plan->feed.count();
    in.concurrency = m_options.concurrency;
    in.git = m_options.git_probe;
    run.provenance = run_provenance(in);
    m_redactor.redact_json(run.provenance);
    return run;
}

// The next case the filters take; select-best cases register how many answers will come.
std::shared_ptr<const TestCase> Run::next_case() {
    auto test = m_plan->feed.next();
    if (!test) {
        if (m_plan->feed.error()) {
            m_scheduler->stop();
        }
        return nullptr;
    }
    if (judge::Planner::grouped(*test)) {
        // select-best judges the variants' answers together: how many will come.
        for (int r = 0; r < m_plan->repeat; ++r) {
            int expected = 0;
            for (int v = 0; v < static_cast<int>(m_plan->matrix.size()); ++v) {
                expected +=
                    m_done.contains({v, test->id, r}) || !m_plan->matrix.allows(v, *test) ? 0 : 1;
            }
            m_judge->expect(test->position, r, expected);
        }
    }
    return test;
}

// Starts one call (the scheduler's sink): false for a result already stored (--resume).
bool Run::send(const WorkItem& item) {
    if (m_session->failed()) {
        m_scheduler->stop(); // stop spending money on results that cannot be kept
        return false;
    }
    if (m_done.contains({item.variant, item.test->id, item.repeat})) {
        ++m_summary.skipped_resumed;
        return false;
    }
    ++m_summary.planned;
    store::PromptStore prompts(m_db);
    auto request = m_plan->matrix.request(item.variant, *item.test, prompts);
    if (!request) {
        answered(item, {}, fail(request.error()));
        return true;
    }
    provider::CallJob job;
    job.provider = &m_plan->matrix.provider_of(item.variant);
    job.request = std::move(*request);
    job.vars = item.test->vars;
    job.repeat = item.repeat;
    if (item.test->recorded && job.provider->config().spec.kind == provider::Kind::traces) {
        job.answer =
            std::make_shared<const Expected<provider::CallOutcome>>(item.test->recorded->answer);
    }
    auto messages = job.request.messages;
    m_engine->submit(std::move(job), [this, item, messages = std::move(messages)](
                                         Expected<provider::CallOutcome> outcome) mutable {
        answered(item, std::move(messages), std::move(outcome));
    });
    return true;
}

// A call's answer (or its error) arrived: judge calls, then script assertions, then the store.
void Run::answered(const WorkItem& item, std::vector<provider::ChatMessage> messages,
                   Expected<provider::CallOutcome> outcome) {
    const bool grouped = judge::Planner::grouped(*item.test);
    if (!outcome) {
        const bool never_started = outcome.error().code() == ErrorCode::interrupted;
        m_scheduler->finished();
        on_outcome(item, messages, std::move(outcome));
        if (grouped && !never_started) {
            group_arrived(nullptr, item, false);
        }
        m_scheduler->pump();
        return;
    }
    auto pending = std::make_shared<Pending>();
    pending->item = item;
    pending->messages = std::move(messages);
    pending->outcome = std::move(*outcome);
    if (!item.test->transform.empty()) {
        // options.transform first, on a worker thread: the judge, the assertions and the store
        // see what it returns.
        m_engine->run_in_background([this, pending] { transform_output(*pending); },
                                    [this, pending] { transformed(pending); });
        return;
    }
    plan_judge(pending);
}

// `pending`'s judge calls go out; then its script assertions and its verdict (after_judge), or
// its select-best group's.
void Run::plan_judge(const std::shared_ptr<Pending>& pending) {
    const bool grouped = judge::Planner::grouped(*pending->item.test);
    pending->exchange = m_judge->answer(*pending->item.test, pending->messages, pending->outcome,
                                        m_summary.warnings);
    judge::submit(*m_engine, judge_setup(), pending->exchange, pending->calls_left,
                  [this, pending, grouped] {
                      if (grouped) {
                          group_arrived(pending, pending->item, true);
                      } else {
                          after_judge(pending);
                      }
                  });
}

// Runs the case's options.transform on `pending`'s output (a worker thread), as promptfoo's
// evaluator does: its context {vars, prompt: {raw, label}}. The output becomes what it returned;
// when it fails, the verdict is an error saying why (promptfoo counts such a case an error).
void Run::transform_output(Pending& pending) const {
    const ResolvedPrompt& prompt = m_plan->matrix.prompt_of(pending.item.variant);
    json chat = json::array(); // a chat's messages as promptfoo holds them: the JSON text
    for (const auto& m : prompt.def.messages) {
        chat.push_back({{"role", m.role}, {"content", m.content}});
    }
    const std::string raw = prompt.def.template_text ? *prompt.def.template_text : chat.dump();
    const json arguments = {{"vars", pending.item.test->vars},
                            {"prompt", {{"raw", raw}, {"label", prompt.label}}}};
    AssertionContext context =
        answer_context(*pending.item.test, m_suite, prompt_text(pending.messages), pending.outcome);
    context.node = m_plan->matrix.node();
    auto output = run_transform(pending.item.test->transform, arguments, context);
    if (!output) {
        pending.judged = true;
        pending.verdict.error = true;
        pending.verdict.reason = "options.transform: " + output.error().message();
        return;
    }
    pending.outcome.result.output = std::move(output->text);
    pending.output_json = output->json;
}

// Back on the engine thread after transform_output: on to the judge, or the error stored.
void Run::transformed(const std::shared_ptr<Pending>& pending) {
    if (!pending->judged) {
        plan_judge(pending);
        return;
    }
    m_scheduler->finished();
    on_outcome(pending->item, pending->messages, std::move(pending->outcome), &pending->verdict);
    if (judge::Planner::grouped(*pending->item.test)) {
        group_arrived(nullptr, pending->item, false);
    }
    m_scheduler->pump();
}

// The judge has answered for `pending` (or had nothing to judge): script assertions next, on
// a worker thread, then the verdict is stored.
void Run::after_judge(const std::shared_ptr<Pending>& pending) {
    if (has_scripts(*pending->item.test)) {
        // python and exec assertions run on a worker thread: a slow script holds up neither the
        // other calls nor the progress of the run.
        m_engine->run_in_background(
            [this, pending] {
                pending->verdict = judge(pending->item, pending->messages, pending->outcome,
                                         &pending->exchange, pending->output_json);
            },
            [this, pending] {
                m_scheduler->finished();
                on_outcome(pending->item, pending->messages, std::move(pending->outcome),
                           &pending->verdict, &pending->exchange);
                m_scheduler->pump();
            });
        return;
    }
    m_scheduler->finished();
    on_outcome(pending->item, pending->messages, std::move(pending->outcome), nullptr,
               &pending->exchange);
    m_scheduler->pump();
}

// One variant's answer to a case with select-best arrived (`pending` null: the call failed).
// When the whole group is in, its select-best calls go out, and then every waiting answer
// carries on with its share of the verdicts.
void Run::group_arrived(const std::shared_ptr<Pending>& pending, const WorkItem& item,
                        bool has_output) {
    const std::pair<int64_t, int> key{item.test->position, item.repeat};
    Group& group = m_groups[key];
    const bool answer = has_output && pending;
    if (answer) {
        group.waiting.push_back(pending);
    }
    auto calls = m_judge->arrive(*item.test, item.repeat, item.variant,
                                 answer ? &pending->messages : nullptr,
                                 answer ? &pending->outcome : nullptr);
    if (!calls) {
        return;
    }
    if (group.waiting.empty()) {
        m_groups.erase(key);
        return;
    }
    group.exchange = std::move(*calls);
    judge::submit(*m_engine, judge_setup(), group.exchange, group.calls_left, [this, key] {
        auto node = m_groups.extract(key);
        for (const auto& p : node.mapped().waiting) {
            judge::Planner::share(node.mapped().exchange, p->item.variant, p->exchange);
            after_judge(p);
        }
    });
}

// The verdict of a case's assertions on a call's answer. Thread-safe (reads only the case, the
// suite, the answer and its judge replies): run on a worker thread when the case has script
// assertions.
CaseVerdict Run::judge(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                       const provider::CallOutcome& o, const judge::Exchange* exchange,
                       bool output_json) const {
    const std::string text = prompt_text(messages);
    AssertionContext context = answer_context(*item.test, m_suite, text, o);
    context.output_json = output_json;
    context.judge = exchange;
    context.node = m_plan->matrix.node();
    return run_assertions(item.test->asserts, context, item.test->threshold);
}

void Run::on_outcome(const WorkItem& item, const std::vector<provider::ChatMessage>& messages,
                     Expected<provider::CallOutcome> outcome, const CaseVerdict* judged,
                     const judge::Exchange* exchange) {
    if (!outcome && outcome.error().code() == ErrorCode::interrupted) {
        return; // never started: nothing was computed, --resume will run it
    }
    store::ResultRecord r = result_record(item, messages);
    Answer answer = Answer::called;
    std::vector<AssertionResult> assertions;
    if (!outcome) {
        r.status = "error";
        r.reason = outcome.error().message();
    } else {
        CaseVerdict verdict =
            judged != nullptr ? *judged : judge(item, messages, *outcome, exchange);
        answer = outcome->replayed ? Answer::replayed : Answer::called;
        add_answer(r, std::move(*outcome), verdict, exchange);
        assertions = std::move(verdict.results);
    }
    m_summary.variants[static_cast<size_t>(item.variant)].add(r, answer, assertions);
    check_limits(outcome);
    store_result(std::move(r));
}

// --max-cost, --max-errors and --max-connection-failures: past one, nothing more is scheduled.
void Run::check_limits(const Expected<provider::CallOutcome>& outcome) {
    if (m_options.max_cost) {
        double spent = 0;
        for (const auto& s : m_summary.variants) {
            spent += s.spent_usd + s.judge_spent_usd;
        }
        if (spent >= *m_options.max_cost) {
            m_summary.stopped_by_cost = true;
            m_scheduler->stop();
        }
    }
    if (m_options.max_errors && m_summary.total(&VariantSummary::errors) > *m_options.max_errors) {
        m_summary.stopped_by_errors = true;
        m_scheduler->stop();
    }
    // A provider that is down fails every call, slowly (timeouts, then retries): past a run of
    // calls in a row that could not reach it, stop rather than wait minutes per case.
    const bool unreachable = !outcome && (outcome.error().code() == ErrorCode::network ||
                                          outcome.error().code() == ErrorCode::timeout);
    m_connection_failures = unreachable ? m_connection_failures + 1 : 0;
    if (m_options.max_connection_failures > 0 &&
        m_connection_failures >= m_options.max_connection_failures) {
        m_summary.stopped_by_connection = true;
        m_scheduler->stop();
    }
}

void Run::store_result(store::ResultRecord record) {
    // The engine redacted the answer; what the run added may still hold a key: an error, the
    // reason of a python or exec assertion, or another provider's key an exec: program printed.
    if (!m_error_redactor.empty()) {
        const util::Redactor& reasons = record.status == "error" ? m_error_redactor : m_redactor;
        record.reason = reasons.redact(record.reason);
        if (record.output) {
            *record.output = m_redactor.redact(*record.output);
        }
        record.prompt = m_redactor.redact(record.prompt);
        record.description = m_redactor.redact(record.description);
        m_redactor.redact_json(record.assertions);
        m_redactor.redact_json(record.vars);
    }
    // The time listeners see is the one stored: an OTLP export of the run built from the store
    // later gives the spans the live export sent.
    record.created_at = util::now_iso8601();
    if (m_on_result) {
        m_on_result(record, m_summary);
    }
    m_session->add(std::move(record));
}

Expected<RunSummary> Run::execute(const std::function<bool()>& should_stop) {
    m_should_stop = should_stop;
    LLMOPS_TRY(prepare());
    m_session.emplace(LLMOPS_TRY(RunSession::open(
        m_db, m_project.dir,
        {m_options.concurrency, m_options.cache_mode, m_options.record, &m_plan->prices})));
    LLMOPS_TRY(start_run_record());
    const size_t session_warnings = m_session->warnings().size();
    m_summary.warnings.insert(m_summary.warnings.end(), m_session->warnings().begin(),
                              m_session->warnings().end());
    Scheduler::Walk walk;
    walk.next_case = [this] { return next_case(); };
    walk.send = [this](const WorkItem& item) { return send(item); };
    // A case with select-best is scheduled whole: its answers wait for each other.
    walk.whole = [](const TestCase& c) { return judge::Planner::grouped(c); };
    walk.allowed = [this](const TestCase& c, int v) { return m_plan->matrix.allows(v, c); };
    walk.interrupted = [this] {
        const bool stop = m_should_stop && m_should_stop();
        m_summary.interrupted = m_summary.interrupted || stop;
        return stop;
    };
    m_scheduler.emplace(static_cast<int64_t>(m_options.concurrency) * k_window_factor,
                        static_cast<int>(m_plan->matrix.size()), m_plan->repeat, std::move(walk));
    m_session->drive(
        [this](provider::CallEngine& engine) {
            m_engine = &engine;
            m_scheduler->pump();
        },
        [this] {
            if (m_should_stop && m_should_stop()) {
                m_summary.interrupted = true;
                m_scheduler->stop();
            }
            return m_scheduler->stopped();
        });
    m_engine = nullptr;
    m_summary.warnings.insert(m_summary.warnings.end(),
                              m_session->warnings().begin() + static_cast<long>(session_warnings),
                              m_session->warnings().end());
    return finish();
}

Expected<RunSummary> Run::finish() {
    // Answers still waiting for the rest of their select-best group (the run stopped before
    // every variant answered) are kept: their select-best assertions are errors, so --resume
    // judges them again.
    for (auto& [key, group] : m_groups) {
        for (const auto& p : group.waiting) {
            on_outcome(p->item, p->messages, std::move(p->outcome), nullptr, &p->exchange);
        }
    }
    m_groups.clear();
    // A lost lease is a write failure: nothing below writes, and finish() reports it.
    m_session->commit();
    if (m_options.resume_run && !m_session->failed()) {
        // A resumed run is judged on all its results, not only the ones computed now.
        if (auto whole = summarize_run(m_db, m_summary.run_id)) {
            m_summary.variants = std::move(whole->variants);
        }
    }
    const bool walk_failed = m_plan->feed.error().has_value();
    const bool stopped = m_summary.interrupted || m_summary.stopped_by_cost ||
                         m_summary.stopped_by_errors || m_summary.stopped_by_connection;
    m_summary.status = (m_session->failed() || walk_failed) ? "failed"
                       : stopped                            ? "interrupted"
                                                            : "complete";
    LLMOPS_TRY(m_session->finish(m_summary.status, m_summary.to_json()));
    if (walk_failed) {
        return fail(m_plan->feed.error()->code(),
                    "run {} stopped (the results so far are kept): {}", m_summary.run_id,
                    m_plan->feed.error()->message());
    }
    return std::move(m_summary);
}

} // namespace

Expected<RunSummary> run_suite(store::Database& db, const store::Project& project,
                               const Suite& suite, const RunOptions& options,
                               const ResultListener& on_result,
                               const std::function<bool()>& should_stop) {
    Run run(db, project, suite, options, on_result);
    return run.execute(should_stop);
}

} // namespace llmops::eval
