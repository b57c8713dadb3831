#include <llmops/report/man_page.hpp>

#include <cctype>
#include <span>

#include <fmt/format.h>

#include <llmops/util/strings.hpp>

namespace llmops::report {

namespace {

struct Item {
    const char* name;
    const char* meaning;
};

// SPEC §12; cmd/cli.hpp's k_exit_* constants.
constexpr Item k_exit_statuses[] = {
    {"0", "Success."},
    {"1", "A gate failed: an eval case failed or a pass-rate gate was missed, a diff gate failed "
          "(--fail-on-regression, --max-cost-increase, --max-latency-increase, --min-pass-rate), "
          "or fsck found a fault."},
    {"2", "Usage or configuration error: bad arguments, a malformed file, an unknown ref, a "
          "missing variable, no project."},
    {"3", "Runtime failure: I/O, provider errors (in eval: past --max-errors), --max-cost "
          "reached."},
    {"130", "Interrupted (Ctrl-C); finished eval results are kept in the store."},
};

// The variables the library reads (lib/llmops/provider/provider.cpp, util/identity.cpp,
// util/term.cpp, eval/assertions/script.cpp); tests/cli/test_completion_cli.cpp checks that
// every provider variable in provider.cpp is here.
constexpr Item k_environment[] = {
    {"LLMOPS_DIR", "The project root or its .llmops folder, as --dir gives it."},
    {"LLMOPS_AUTHOR", "The author recorded by prompt commit and label changes (default: git's "
                      "user.name, then the login name)."},
    {"LLMOPS_PYTHON", "The Python interpreter of python assertions (default: python3)."},
    {"NO_COLOR", "When set and not empty, no colour (colour is only used on a terminal)."},
    {"OPENAI_API_KEY", "The key of openai: providers."},
    {"OPENAI_BASE_URL", "The base URL of openai: providers (an OpenAI-compatible server)."},
    {"AZURE_OPENAI_API_KEY", "The key of azure: providers."},
    {"AZURE_OPENAI_ENDPOINT", "The endpoint of azure: providers (https://NAME.openai.azure.com)."},
    {"AZURE_OPENAI_API_VERSION", "The API version of azure: providers."},
    {"ANTHROPIC_API_KEY", "The key of anthropic: providers."},
    {"ANTHROPIC_BASE_URL", "The base URL of anthropic: providers."},
    {"GEMINI_API_KEY", "The key of google: providers (GOOGLE_API_KEY when it is not set)."},
    {"GOOGLE_API_KEY", "The key of google: providers when GEMINI_API_KEY is not set."},
    {"GEMINI_BASE_URL", "The base URL of google: providers."},
    {"OLLAMA_BASE_URL", "The server of ollama: providers (default: http://localhost:11434)."},
};

constexpr Item k_files[] = {
    {".llmops/", "The project's store folder, found like .git by walking up from the working "
                 "directory (or named by --dir)."},
    {".llmops/llmops.db", "The store (SQLite): prompt versions, labels and their history, eval "
                          "runs and their results."},
    {".llmops/cache.db", "The response cache (safe to delete)."},
    {".llmops/prices.yaml", "Price overrides and additions for the built-in price table."},
    {"prompts/", "Prompt files (YAML or Markdown with front matter) that prompt commit versions."},
    {"llmops.yaml, promptfooconfig.yaml", "The suite eval runs when it is given none."},
};

constexpr std::string_view k_description =
    "llmops takes LLM applications from \"the demo looked good\" to \"every change is measured "
    "before it ships\": prompts versioned like code in a git-like store (commits, refs, labels "
    "such as production, rollbacks), evals of golden datasets against LLM providers in a suite "
    "format close to promptfoo's, and diffs of cost and quality between model and prompt "
    "versions with an exit code that CI can gate on.";

std::string bold(std::string_view s) {
    return "\\fB" + roff_text(s) + "\\fR";
}
std::string italic(std::string_view s) {
    return "\\fI" + roff_text(s) + "\\fR";
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

bool is_help(const ArgumentInfo& option) {
    return option.name == "--help";
}

// "REF", "[NAME]", "RUNS..."
std::string positional_synopsis(const ArgumentInfo& arg) {
    std::string word = italic(upper(arg.name)) + (arg.repeatable ? "..." : "");
    return arg.required ? word : "[" + word + "]";
}

// "\fB\-o\fR, \fB\-\-output\fR \fIFILE\fR"
std::string option_tag(const ArgumentInfo& option) {
    std::vector<std::string> names;
    for (const auto& name : option.short_names) {
        names.push_back(bold(name));
    }
    for (const auto& name : option.long_names) {
        names.push_back(bold(name));
    }
    std::string tag = util::join(names, ", ");
    if (option.takes_value()) {
        tag += " " + italic(option.value_name);
    }
    return tag;
}

// The description, then what --help shows as type and flags: "Output (one of: text, json;
// repeatable)".
std::string option_text(const ArgumentInfo& option) {
    std::vector<std::string> notes;
    if (option.kind == ValueKind::choice) {
        notes.push_back("one of: " + util::join(option.choices, ", "));
    }
    if (option.required && !option.positional()) {
        notes.push_back("required");
    }
    if (option.repeatable && !option.positional()) { // a positional's synopsis says "..."
        notes.push_back("repeatable");
    }
    std::string text = option.description;
    if (!notes.empty()) {
        text += " (" + util::join(notes, "; ") + ")";
    }
    return roff_text(text);
}

std::string items_section(std::string_view title, std::span<const Item> items, bool bold_names) {
    std::string s = fmt::format(".SH {}\n", title);
    for (const auto& item : items) {
        s += fmt::format(".TP\n{}\n{}\n", bold_names ? bold(item.name) : roff_text(item.name),
                         roff_text(item.meaning));
    }
    return s;
}

// The section of `command` (its words: `path`) and of every command under it.
void command_section(const CommandInfo& command, const std::string& path, std::string& s) {
    const std::string& words = path;
    std::string synopsis = bold(words);
    bool has_options = false;
    for (const auto& option : command.options) {
        has_options = has_options || !is_help(option);
    }
    if (!command.subcommands.empty()) {
        synopsis += " " + italic("COMMAND");
    } else {
        if (has_options) {
            synopsis += " [" + italic("OPTIONS") + "]";
        }
        for (const auto& arg : command.positionals) {
            synopsis += " " + positional_synopsis(arg);
        }
    }
    s += fmt::format(".SS \"{}\"\n{}\n.br\n{}\n", roff_text(words), synopsis,
                     roff_text(command.description));
    if (!command.subcommands.empty()) {
        std::vector<std::string> names;
        for (const auto& sub : command.subcommands) {
            names.push_back(bold(sub.name));
        }
        s += ".PP\nCommands: " + util::join(names, ", ") + ".\n";
    }
    for (const auto& arg : command.positionals) {
        s += fmt::format(".TP\n{}\n{}\n", italic(upper(arg.name)), option_text(arg));
    }
    for (const auto& option : command.options) {
        if (!is_help(option)) {
            s += fmt::format(".TP\n{}\n{}\n", option_tag(option), option_text(option));
        }
    }
    for (const auto& sub : command.subcommands) {
        command_section(sub, path + " " + sub.name, s);
    }
}

} // namespace

std::string roff_text(std::string_view s) {
    std::string out;
    bool line_start = true;
    for (char c : s) {
        if (line_start && (c == '.' || c == '\'')) {
            out += "\\&";
        }
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
        line_start = c == '\n';
    }
    return out;
}

std::string man_page(const CommandInfo& root, std::string_view version) {
    std::string summary = root.description;
    if (const std::string prefix = root.name + ": "; summary.starts_with(prefix)) {
        summary = summary.substr(prefix.size());
    }
    std::string s = fmt::format(
        ".\\\" Generated by `{0} man` from the command tree of the binary; do not edit.\n"
        ".TH {1} 1 \"\" \"{0} {2}\" \"User Commands\"\n"
        // No hyphenation (option names and URLs would break at their hyphens), ragged right.
        ".nh\n.ad l\n"
        ".SH NAME\n{0} \\- {3}\n",
        root.name, upper(root.name), roff_text(version), roff_text(summary));

    s += ".SH SYNOPSIS\n" + bold(root.name) + " [" + bold("--dir") + " " + italic("DIR") + "] " +
         italic("COMMAND") + " [" + italic("OPTIONS") + "] [" + italic("ARGUMENTS") + "]\n.br\n" +
         bold(root.name) + " " + bold("--version") + "\n.br\n" + bold(root.name) + " [" +
         italic("COMMAND") + "] " + bold("--help") + "\n";

    s += ".SH DESCRIPTION\n" + roff_text(k_description) + "\n.PP\n" +
         roff_text("Every command takes -h, --help. Data goes to standard output, diagnostics "
                   "and progress to standard error; errors are one line, "
                   "\"llmops: error: ...\". A prompt REF is name, name@3, name@v3, "
                   "name@<hash> or name@<label>; a RUN is a run number, latest, latest~N or a "
                   "tag.") +
         "\n";

    s += ".SH OPTIONS\n";
    for (const auto& option : root.options) {
        s += fmt::format(".TP\n{}\n{}\n", option_tag(option), option_text(option));
    }

    s += ".SH COMMANDS\n";
    for (const auto& sub : root.subcommands) {
        command_section(sub, root.name + " " + sub.name, s);
    }

    s += items_section("EXIT STATUS", k_exit_statuses, false);
    s += items_section("ENVIRONMENT", k_environment, true);
    s += ".PP\n" +
         roff_text("A suite's provider config (apiKeyEnvar) or ask --api-key-env can name "
                   "another variable for a key. Keys never reach the store, cache keys, logs or "
                   "reports.") +
         "\n";
    s += items_section("FILES", k_files, true);
    s += ".SH SEE ALSO\n" +
         roff_text("The docs/ folder of the llmops source tree (the suite format, the assertions, "
                   "the JSON shapes). Shell completions: llmops completion bash|zsh|fish.") +
         "\n";
    return s;
}

} // namespace llmops::report
