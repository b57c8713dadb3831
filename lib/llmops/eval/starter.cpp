// The starter projects of `llmops init --template NAME` (starter.hpp): their files as text, so
// the binary carries them. Each runs offline with no API key; a test runs the printed commands.

#include <llmops/eval/starter.hpp>

#include <system_error>

#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::eval {

namespace {

namespace fs = std::filesystem;

// ---- eval: a golden dataset on the echo provider ----------------------------------------------

constexpr std::string_view k_eval_prompt =
    R"(# A prompt file: commit it with `llmops prompt commit`, label versions, diff them.
description: Answers a customer's question about Acme Cloud in one short paragraph
config: {temperature: 0}
variables:
  question:
    description: The customer's question
messages:
  - role: system
    content: You answer questions about Acme Cloud in one short paragraph. Say so when you do not know.
  - role: user
    content: "{{question}}"
)";

constexpr std::string_view k_eval_suite =
    R"(# A golden dataset (golden.csv): each row is a question and what the answer must hold, in
# promptfoo's CSV conventions (`__expected` is an assertion, `__description` names the case).
# It runs on the offline `echo` provider, whose answer is the prompt itself, so it passes with
# no API key. To measure a real model, replace `echo` with one, e.g. `openai:gpt-4o-mini` (with
# OPENAI_API_KEY set), and write the `__expected` column for its answers.
# Editor completion: `llmops schema suite > .llmops-suite.schema.json` in the project root, then
# put `# yaml-language-server: $schema=../../.llmops-suite.schema.json` on this file's first line.
description: Starter eval (golden dataset, offline echo provider)

prompts:
  - file://../../prompts/starter/answer.yaml

providers:
  - id: echo
    label: echo (offline)

# Checked on every case, beside the row's own `__expected`.
defaultTest:
  assert:
    - type: not-icontains
      value: as an AI language model

tests: file://golden.csv

# The least pass rate: below it `llmops eval` exits 1 (a gate for CI).
threshold: 0.8
)";

constexpr std::string_view k_eval_dataset = R"(question,__expected,__description
How long are backups kept?,icontains: backups,backup retention
How do I restore a backup?,icontains: restore,restore
How much does the Pro plan cost?,contains: Pro plan,pro price
Which regions can I deploy to?,icontains: regions,regions
Can I get an invoice every month?,icontains: invoice,invoices
)";

// ---- rag: the RAG triad through an exec: app and an exec: judge -------------------------------

constexpr std::string_view k_rag_prompt =
    R"(# The RAG app (evals/rag/app.py) gets the question as it is.
description: A user's question for the RAG app
variables:
  question:
    description: The user's question
template: "{{question}}"
)";

constexpr std::string_view k_rag_suite =
    R"(# A RAG app judged with the RAG triad: is the answer backed by what was retrieved
# (context-faithfulness), is what was retrieved about the question (context-relevance), does it
# hold the reference answer (context-recall)? app.py is a tiny retrieve-then-answer program run
# through `exec:` (its answers carry the retrieved paragraphs as "context"); judge.py stands in
# for a judge model so that this runs offline (python3 needed, no API key). Point the provider
# at your app, and the judge at a real model, e.g. `judge: {provider: openai:gpt-4o-mini}` with
# OPENAI_API_KEY set (or `llmops eval --judge openai:gpt-4o-mini`).
# Editor completion: `llmops schema suite > .llmops-suite.schema.json` in the project root, then
# put `# yaml-language-server: $schema=../../.llmops-suite.schema.json` on this file's first line.
description: Starter RAG eval (offline app and judge)

prompts:
  - file://../../prompts/rag/question.yaml

providers:
  - id: exec:./app.py                # a relative program path runs from this folder
    label: rag-app

judge:
  provider: exec:./judge.py          # offline stand-in; a real judge: openai:gpt-4o-mini

defaultTest:
  assert:
    - type: context-faithfulness
      threshold: 0.8
    - type: context-relevance
      threshold: 0.3
    - type: context-recall
      value: "{{reference}}"
      threshold: 0.6

tests: file://questions.yaml
)";

constexpr std::string_view k_rag_dataset =
    R"(# The questions, each with the reference answer context-recall looks for in the context.
- description: backup retention
  vars:
    question: How long are backups kept?
    reference: Backups are kept for 30 days.
  assert: [{type: icontains, value: 30 days}]
- description: restore
  vars:
    question: How do I restore a backup?
    reference: Open the database page, choose Backups and press Restore.
  assert: [{type: icontains, value: press restore}]
- description: pro price
  vars:
    question: How much does the Pro plan cost?
    reference: The Pro plan costs $49 per month.
  assert: [{type: contains, value: $49}]
- description: regions
  vars:
    question: Which regions can I deploy to?
    reference: You can deploy to eu-west, us-east and ap-south.
  assert: [{type: contains-all, value: [eu-west, us-east, ap-south]}]
)";

constexpr std::string_view k_rag_docs = R"(# Acme Cloud handbook

Every database is backed up once an hour. Backups are kept for 30 days, then deleted.

To restore a backup, open the database page, choose Backups and press Restore. A restore
creates a new database; the old one is left untouched.

The Pro plan costs $49 per month and includes ten projects. The Free plan includes one project.

You can deploy to three regions: eu-west, us-east and ap-south. A project stays in the region
it was created in.
)";

constexpr std::string_view k_rag_app = R"py(#!/usr/bin/env python3
"""A tiny RAG app for llmops' starter: retrieves the paragraphs of docs/*.md that share the most
words with the question and answers with the best-matching sentence. No model, no network.

llmops runs it as an `exec:` provider: the request JSON on stdin (the question is the variable
`question`), and on stdout {"output": answer, "context": [retrieved paragraphs], "cost": 0}.
The context-* assertions read "context". Replace retrieve() and answer() with your own app.
"""
import json
import pathlib
import re
import sys

DOCS = pathlib.Path(__file__).resolve().parent / "docs"
STOP = set("a an and are at be by can do does for from how i in is it its me my of on or the "
           "to we what when where which who why will with you your".split())


def words(text):
    return {w.strip(".-") for w in re.findall(r"[a-z0-9$.%-]+", text.lower())} - STOP - {""}


def paragraphs():
    for path in sorted(DOCS.glob("*.md")):
        for block in path.read_text().split("\n\n"):
            text = " ".join(block.split())
            if text and not text.startswith("#"):
                yield text


def retrieve(question, top_k=2):
    q = words(question)
    scored = sorted(((len(q & words(p)), p) for p in paragraphs()), key=lambda s: -s[0])
    return [p for score, p in scored[:top_k] if score > 0]


def answer(question, context):
    if not context:
        return "I don't know: the docs do not cover that."
    q = words(question)
    sentences = [s for p in context for s in re.split(r"(?<=[.!?])\s+", p) if s]
    return max(sentences, key=lambda s: len(q & words(s)))


def main():
    request = json.load(sys.stdin)
    question = request["vars"].get("question") or request["prompt"]
    context = retrieve(question)
    # cost 0: a local app (without it, llmops reports the cost as unknown)
    print(json.dumps({"output": answer(question, context), "context": context, "cost": 0}))


main()
)py";

constexpr std::string_view k_rag_judge = R"py(#!/usr/bin/env python3
"""An offline stand-in for a judge model, run by llmops as an `exec:` provider.

llmops renders the judge prompt of each RAG assertion (context-faithfulness, context-relevance,
context-recall) and sends it as messages on stdin. A model would read the instructions; this
script recognises the prompt by its system message, reads the <question>, <context>, <answer>
and <reference_answer> sections and scores them by word overlap: crude, deterministic and free.
For judgements worth trusting set `judge: {provider: openai:gpt-4o-mini}` in the suite (and
OPENAI_API_KEY), or pass --judge.
"""
import json
import re
import sys

STOP = set("a an and are at be by can do does for from how i in is it its me my of on or the "
           "to we what when where which who why will with you your".split())


def words(text):
    return {w.strip(".-") for w in re.findall(r"[a-z0-9$.%-]+", text.lower())} - STOP - {""}


def section(text, tag):
    m = re.search(r"<%s>\n?(.*?)\n?</%s>" % (tag, tag), text, re.S)
    return m.group(1).strip() if m else ""


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def covered(part, whole, share):
    w = words(part)
    return len(w & words(whole)) >= share * max(1, len(w))


def faithfulness(s):
    claims = sentences(s("answer"))
    ok = [c for c in claims if covered(c, s("context"), 0.7)]
    score = len(ok) / len(claims) if claims else 1.0
    return score, "%d of %d sentences of the answer are backed by the context" % (len(ok), len(claims))


def relevance(s):
    parts = sentences(s("context"))
    ok = [p for p in parts if words(s("question")) & words(p)]
    score = len(ok) / len(parts) if parts else 0.0
    return score, "%d of %d sentences of the context bear on the question" % (len(ok), len(parts))


def recall(s):
    statements = sentences(s("reference_answer"))
    ok = [t for t in statements if covered(t, s("context"), 0.6)]
    score = len(ok) / len(statements) if statements else 1.0
    return score, "%d of %d statements of the reference are in the context" % (len(ok), len(statements))


JUDGES = [("You check an answer against the context", faithfulness),
          ("You judge retrieved context", relevance),
          ("You judge whether retrieved context holds", recall)]


def main():
    request = json.load(sys.stdin)
    system = request["messages"][0]["content"]
    user = request["messages"][-1]["content"]
    for opening, judge in JUDGES:
        if system.startswith(opening):
            score, reason = judge(lambda tag: section(user, tag))
            verdict = {"reason": reason, "score": round(score, 3)}
            print(json.dumps({"output": json.dumps(verdict), "cost": 0}))
            return
    print(json.dumps({"error": "judge.py does not know this judge prompt: %r" % system[:60]}))


main()
)py";

// The starters, as `--template list` shows them.
const std::vector<Starter> k_starters = {
    {"eval",
     "a golden-dataset suite (CSV) on the offline echo provider",
     "",
     {{"prompts/starter/answer.yaml", k_eval_prompt},
      {"evals/starter/suite.yaml", k_eval_suite},
      {"evals/starter/golden.csv", k_eval_dataset}},
     {"llmops prompt commit -m \"Starter prompt\"", "llmops eval evals/starter/suite.yaml",
      "llmops runs show latest"}},
    {"rag",
     "the RAG triad (context-faithfulness, -relevance, -recall) on an exec: app and judge",
     "python3",
     {{"prompts/rag/question.yaml", k_rag_prompt},
      {"evals/rag/suite.yaml", k_rag_suite},
      {"evals/rag/questions.yaml", k_rag_dataset},
      {"evals/rag/docs/handbook.md", k_rag_docs},
      {"evals/rag/app.py", k_rag_app, FileMode::executable},
      {"evals/rag/judge.py", k_rag_judge, FileMode::executable}},
     {"llmops prompt commit -m \"RAG question prompt\"", "llmops eval evals/rag/suite.yaml",
      "llmops runs show latest"}},
};

} // namespace

std::span<const Starter> starters() {
    return k_starters;
}

std::vector<std::string> starter_names() {
    std::vector<std::string> names;
    for (const auto& s : k_starters) {
        names.emplace_back(s.name);
    }
    return names;
}

Expected<const Starter*> find_starter(std::string_view name) {
    for (const auto& s : k_starters) {
        if (s.name == name) {
            return &s;
        }
    }
    const auto names = starter_names();
    return fail(ErrorCode::invalid_input, "unknown template '{}' (expected {}){}", name,
                util::join(names, ", "), util::did_you_mean(name, names));
}

Expected<void> check_starter_free(const Starter& starter, const fs::path& root) {
    for (const auto& file : starter.files) {
        std::error_code ec;
        const auto status = fs::symlink_status(root / file.path, ec);
        if (status.type() == fs::file_type::not_found) {
            continue;
        }
        if (ec) {
            return fail(ErrorCode::io, "cannot check '{}': {}", file.path, ec.message());
        }
        return fail(ErrorCode::conflict,
                    "'{}' already exists; 'llmops init --template {}' writes nothing over "
                    "existing files (move it away, or init another folder)",
                    file.path, starter.name);
    }
    return {};
}

Expected<void> write_starter(const Starter& starter, const fs::path& root) {
    LLMOPS_TRY(check_starter_free(starter, root));
    for (const auto& file : starter.files) {
        const fs::path path = root / file.path;
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        if (ec) {
            return fail(ErrorCode::io, "cannot create '{}': {}", path.parent_path().string(),
                        ec.message());
        }
        LLMOPS_TRY(util::write_file_atomic(path, file.text));
        if (file.mode == FileMode::executable) {
            fs::permissions(path,
                            fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                            fs::perm_options::add, ec);
            if (ec) {
                return fail(ErrorCode::io, "cannot make '{}' executable: {}", path.string(),
                            ec.message());
            }
        }
    }
    return {};
}

} // namespace llmops::eval
