// Two or three examples at the end of every command's --help (`llmops help COMMAND`), kept in
// one table so that a new command without examples fails cli::help's test.

#include <algorithm>
#include <array>
#include <iterator>
#include <string>
#include <string_view>

#include "cli.hpp"

namespace llmops::cmd {

namespace {

// A command's examples: two or three lines (an unused third is empty).
struct Examples {
    std::string_view path; // the command without "llmops": "prompt log"
    std::array<std::string_view, 3> lines;
};

// By command path. (A table, not code: kept in one place for the test.) constexpr: nothing is
// built at start-up.
constexpr Examples k_examples[] = {
    {"init",
     {"llmops init", "llmops init --template eval       # a starter eval that runs offline",
      "llmops init --template list       # the templates"}},
    {"prompt commit",
     {"llmops prompt commit -m \"Shorter replies\"",
      "llmops prompt commit prompts/support/reply.yaml -m \"Fix the greeting\""}},
    {"prompt status", {"llmops prompt status", "llmops prompt status --json"}},
    {"prompt log", {"llmops prompt log support/reply", "llmops prompt log -n 5 --json"}},
    {"prompt show",
     {"llmops prompt show support/reply@production", "llmops prompt show summarize@3 --json"}},
    {"prompt diff",
     {"llmops prompt diff support/reply@2 support/reply@3",
      "llmops prompt diff support/reply@production"}},
    {"prompt label set",
     {"llmops prompt label set support/reply@3 production -m \"Ship v3\"",
      "llmops prompt label set support/reply@2 production -m \"Roll back\"",
      "llmops prompt label set support/reply@4 production --weight 10  # A/B: 10% to v4"}},
    {"prompt label rm",
     {"llmops prompt label rm support/reply canary -m \"A/B test over\"",
      "llmops prompt label history support/reply   # the removal is kept"}},
    {"prompt label history",
     {"llmops prompt label history support/reply", "llmops prompt label history --json"}},
    {"prompt checkout",
     {"llmops prompt checkout support/reply@2",
      "llmops prompt checkout summarize@production -o -"}},
    {"prompt label list",
     {"llmops prompt label list", "llmops prompt label list support/reply --json"}},
    {"prompt render",
     {"llmops prompt render support/reply@production --var name=Ada",
      "llmops prompt render prompts/summarize.yaml --vars vars.yaml --format openai",
      "llmops prompt render support/reply@production --unit user-17 --format json"}},
    {"prompt list", {"llmops prompt list", "llmops prompt list --json"}},
    {"prompt export",
     {"llmops prompt export --label production -o prompts.json",
      "llmops prompt export --label production | jq ."}},
    {"prompt bundle",
     {"llmops prompt bundle -o prompts.bundle.json",
      "llmops prompt bundle support/reply -o reply.json"}},
    {"prompt import",
     {"llmops prompt import prompts.bundle.json --dry-run",
      "llmops prompt import prompts.bundle.json"}},
    {"fsck", {"llmops fsck", "llmops fsck --json"}},
    {"prices list", {"llmops prices list", "llmops prices list gpt-4o --json"}},
    {"ask",
     {"llmops ask openai:gpt-4o-mini \"What is 2+2?\"",
      "echo \"Summarize: ...\" | llmops ask -m claude-sonnet-4-5",
      "llmops ask gpt-4o-mini --prompt support/reply@production --var name=Ada"}},
    {"cache stats", {"llmops cache stats", "llmops cache stats --json"}},
    {"cache clear", {"llmops cache clear", "llmops cache clear --json"}},
    {"cache prune",
     {"llmops cache prune --older-than 30d", "llmops cache prune --older-than 1d12h --json"}},
    {"eval",
     {"llmops eval                                   # llmops.yaml or promptfooconfig.yaml",
      "llmops eval evals/qa.yaml -j 16 -o results.json -o report.html",
      "llmops eval --validate evals/qa.yaml          # everything but the calls"}},
    {"runs list", {"llmops runs list -n 10", "llmops runs list --json"}},
    {"traces import",
     {"llmops traces import otel-traces.jsonl      # the collector's file exporter",
      "llmops traces import calls-2026-11-*.jsonl  # llmops's JSONL form"}},
    {"traces list",
     {"llmops traces list --since 24h",
      "llmops traces list --prompt support/triage --version 3 --model gpt-4o-mini --json"}},
    {"traces show", {"llmops traces show eee19b7ec3c1b174", "llmops traces show eee19b --json"}},
    {"traces stats",
     {"llmops traces stats --since 7d", "llmops traces stats --prompt support/triage --json"}},
    {"advise",
     {"llmops advise latest                          # the cheapest variant at 90% or more",
      "llmops advise 12 --min-pass-rate 0.95 --traffic 2000000 --json"}},
    {"drift",
     {"llmops drift support/triage --reference 2026-11-01..2026-11-07 --current 24h",
      "llmops drift support/triage --reference 14d..7d --current 7d --thresholds drift.yaml",
      "llmops drift support/triage --reference 7d..24h --embedding-provider echo -o drift.md"}},
    {"ab",
     {"llmops ab support/triage@production --since 7d",
      "llmops ab support/triage@production --json -o ab.md -o ab.html"}},
    {"traces serve",
     {"llmops traces serve                          # OTLP/HTTP JSON on 127.0.0.1:4318",
      "llmops traces serve --listen 0.0.0.0:4318 --verbose"}},
    {"metrics",
     {"llmops metrics", "llmops metrics -o /var/lib/node_exporter/textfile_collector/llmops.prom"}},
    {"metrics serve",
     {"llmops metrics serve                         # GET /metrics on 127.0.0.1:9464",
      "llmops metrics serve --listen 0.0.0.0:9464 --max-series 200 --verbose"}},
    {"remote add",
     {"llmops remote add origin postgresql://ci@db.internal:5432/llmops",
      "llmops remote add origin 'postgresql://ci@db/llmops?password_env=LLMOPS_DB_PASSWORD'"}},
    {"remote",
     {"llmops remote add origin postgresql://ci@db.internal:5432/llmops",
      "llmops remote list --json"}},
    {"remote init",
     {"llmops remote init origin      # once: creates the llmops schema",
      "llmops remote init origin      # after an upgrade: migrates it"}},
    {"remote list", {"llmops remote list", "llmops remote list --json"}},
    {"remote rm", {"llmops remote rm backup", "llmops remote rm origin   # the database is kept"}},
    {"push", {"llmops push", "llmops push backup --json"}},
    {"pull", {"llmops pull", "llmops prompt render support/triage@production --remote origin"}},
    {"usage",
     {"llmops usage --since 7d",
      "llmops usage --by model,day --since 2026-11-01 --until 2026-12-01 --json"}},
    {"runs show", {"llmops runs show latest --failures", "llmops runs show 12 --grid --format md"}},
    {"runs tag",
     {"llmops runs tag latest baseline",
      "llmops diff baseline latest            # tags name runs anywhere"}},
    {"runs rm", {"llmops runs rm 3", "llmops runs rm latest"}},
    {"runs merge",
     {"llmops eval evals/qa.yaml --shard 1/2 &   # two jobs on one store, then",
      "llmops runs merge 4 5                      # one run of both shards"}},
    {"runs export",
     {"llmops runs export latest -o baseline.json", "llmops runs export 12 -o - --format csv",
      "llmops runs export 12 --format otlp -o spans.jsonl  # OpenTelemetry spans"}},
    {"diff",
     {"llmops diff latest                    # each variant against the first",
      "llmops diff baseline latest --fail-on-regression -o diff.md",
      "llmops diff baseline.json latest --max-cost-increase 20"}},
    {"stats power",
     {"llmops stats power --baseline 0.85 --delta 0.05",
      "llmops stats power --baseline 0.9 --delta 0.03 --repeats 3 --icc 0.4"}},
    {"judge calibrate",
     {"llmops judge calibrate evals/judge.yaml --labels human.jsonl",
      "llmops judge calibrate evals/judge.yaml --labels human.jsonl --min-kappa 0.6"}},
    {"schema",
     {"llmops schema suite > .llmops-suite.schema.json   # for editors (yaml-language-server)",
      "llmops schema suite | jq '.\"$defs\".assertion.properties.type.enum'   # assertion "
      "types"}},
    {"completion",
     {"source <(llmops completion bash)", "llmops completion zsh > ~/.zfunc/_llmops"}},
    {"man", {"llmops man | man -l -", "llmops man > /usr/local/share/man/man1/llmops.1"}},
};

void add_examples(CLI::App& command, const std::string& path) {
    const auto subs =
        command.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); });
    if (!subs.empty()) {
        for (CLI::App* sub : subs) {
            add_examples(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name());
        }
        return;
    }
    const auto* found = std::find_if(std::begin(k_examples), std::end(k_examples),
                                     [&](const Examples& e) { return e.path == path; });
    if (found == std::end(k_examples)) {
        return; // cli::help's test names the command
    }
    std::string footer = "Examples:";
    for (const std::string_view line : found->lines) {
        if (!line.empty()) {
            footer += "\n  ";
            footer += line;
        }
    }
    command.footer(footer);
}

} // namespace

void add_help_examples(CLI::App& app) {
    add_examples(app, "");
}

} // namespace llmops::cmd
