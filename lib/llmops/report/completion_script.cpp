#include <llmops/report/completion_script.hpp>

#include <fmt/format.h>

#include <llmops/util/strings.hpp>

namespace llmops::report {

namespace {

// A command with its path ("" for the program, "prompt label" for `llmops prompt label`).
struct Entry {
    std::string path;
    const CommandInfo* command;
};

void collect(const CommandInfo& command, const std::string& path, std::vector<Entry>& out) {
    out.push_back({path, &command});
    for (const auto& sub : command.subcommands) {
        collect(sub, path.empty() ? sub.name : path + " " + sub.name, out);
    }
}

// Every command, parents before children.
std::vector<Entry> commands_of(const CommandInfo& root) {
    std::vector<Entry> out;
    collect(root, "", out);
    return out;
}

std::vector<std::string> names_of(const ArgumentInfo& option) {
    std::vector<std::string> names = option.short_names;
    names.insert(names.end(), option.long_names.begin(), option.long_names.end());
    return names;
}

std::vector<std::string> subcommand_names(const CommandInfo& command) {
    std::vector<std::string> names;
    for (const auto& sub : command.subcommands) {
        names.push_back(sub.name);
    }
    return names;
}

// `s` in single quotes for sh: 'it'\''s'.
std::string sh_quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// `s` in single quotes for fish, where \ and ' are escaped with a backslash.
std::string fish_quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') {
            out += '\\';
        }
        out += c;
    }
    return out + "'";
}

// A name as part of a shell function name: letters, digits and underscores.
std::string identifier(std::string_view s) {
    std::string out;
    for (char c : s) {
        const bool plain =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        out += plain ? c : '_';
    }
    return out;
}

// ---- bash ---------------------------------------------------------------------------------

// What _llmops_kind prints for a value.
std::string bash_kind(const ArgumentInfo& arg) {
    switch (arg.kind) {
    case ValueKind::text: return "text";
    case ValueKind::number: return "none";
    case ValueKind::choice: return "choice " + util::join(arg.choices, " ");
    case ValueKind::dir: return "dir";
    default: return std::string(store_kind_word(arg.kind));
    }
}

std::string bash_spec_function(const std::vector<Entry>& entries) {
    std::string s = "_llmops_spec() {\n"
                    "    # Sets subs (commands), opts (options) and vals (the options that take a\n"
                    "    # value) of the command path $1.\n"
                    "    case $1 in\n";
    for (const auto& [path, command] : entries) {
        std::vector<std::string> opts;
        std::vector<std::string> vals;
        for (const auto& option : command->options) {
            for (const auto& name : names_of(option)) {
                opts.push_back(name);
                if (option.takes_value()) {
                    vals.push_back(name);
                }
            }
        }
        s += fmt::format("    {})\n        subs={}\n        opts={}\n        vals={}\n        ;;\n",
                         sh_quote(path), sh_quote(util::join(subcommand_names(*command), " ")),
                         sh_quote(util::join(opts, " ")), sh_quote(util::join(vals, " ")));
    }
    return s + "    esac\n}\n";
}

std::string bash_kind_function(const std::vector<Entry>& entries) {
    std::string s =
        "_llmops_kind() {\n"
        "    # Prints what the value of option $2, or of argument #N, of the command path\n"
        "    # $1 completes to.\n"
        "    case \"$1 $2\" in\n";
    std::string global; // the program's own options apply under every command
    for (const auto& [path, command] : entries) {
        for (const auto& option : command->options) {
            if (!option.takes_value()) {
                continue;
            }
            std::vector<std::string> patterns;
            for (const auto& name : names_of(option)) {
                patterns.push_back(path.empty() ? "*" + sh_quote(" " + name)
                                                : sh_quote(path + " " + name));
            }
            (path.empty() ? global : s) += fmt::format(
                "    {}) echo {} ;;\n", util::join(patterns, " | "), sh_quote(bash_kind(option)));
        }
        const auto& positionals = command->positionals;
        for (size_t i = 0; i < positionals.size(); ++i) {
            const bool rest = positionals[i].repeatable && i + 1 == positionals.size();
            const std::string pattern = rest ? sh_quote(fmt::format("{} #", path)) + "*"
                                             : sh_quote(fmt::format("{} #{}", path, i));
            s += fmt::format("    {}) echo {} ;;\n", pattern, sh_quote(bash_kind(positionals[i])));
        }
    }
    return s + global + "    *' #'*) echo none ;;\n    *) echo text ;;\n    esac\n}\n";
}

// The part of the bash script that does not depend on the tree.
constexpr std::string_view k_bash_main = R"SH(_llmops() {
    # Words are taken from the line as typed (split at white space only): bash's COMP_WORDS
    # also splits at @, : and =, which refs (name@production) and diffs (12:1) contain.
    local line=${COMP_LINE-} point=${COMP_POINT-}
    if [[ -z $line ]]; then # called by hand: rebuild the line from COMP_WORDS
        line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
        point=${#line}
    fi
    line=${line:0:point}
    local -a words=() dir=()
    read -ra words <<<"$line"
    local cur=''
    if [[ -n $line && $line != *[[:space:]] ]]; then
        cur=${words[${#words[@]}-1]}
        unset "words[${#words[@]}-1]"
    fi

    # Walk the words: descend into commands, count arguments, skip option values.
    local path='' npos=0 want='' i w subs opts vals rootvals
    _llmops_spec ''
    rootvals=$vals
    for ((i = 1; i < ${#words[@]}; i++)); do
        w=${words[i]}
        case $w in
        --dir) dir=(--dir "${words[i+1]/#\~/$HOME}") ;;
        --dir=*) dir=(--dir "${w#--dir=}") ;;
        esac
        case $w in
        --*=*) ;;
        -*)
            if [[ " $vals $rootvals " == *" $w "* ]]; then
                ((i + 1 < ${#words[@]})) || want=$w
                i=$((i + 1))
            fi
            ;;
        *)
            if ((npos == 0)) && [[ " $subs " == *" $w "* ]]; then
                path=${path:+$path }$w
                _llmops_spec "$path"
            else
                npos=$((npos + 1))
            fi
            ;;
        esac
    done

    local kind prefix=''
    if [[ -n $want ]]; then
        kind=$(_llmops_kind "$path" "$want")
    elif [[ $cur == --*=* ]]; then
        prefix=${cur%%=*}=
        kind=$(_llmops_kind "$path" "${cur%%=*}")
        cur=${cur#*=}
    elif [[ $cur == -* ]]; then
        kind="choice $opts"
    elif ((npos == 0)) && [[ -n $subs ]]; then
        kind="choice $subs"
    else
        kind=$(_llmops_kind "$path" "#$npos")
    fi

    local -a found=()
    case $kind in
    choice\ *) mapfile -t found < <(compgen -W "${kind#choice }" -- "$cur") ;;
    prompts | refs | runs | labels)
        mapfile -t found < <(compgen -W "$("${words[0]/#\~/$HOME}" "${dir[@]}" __complete "$kind" 2>/dev/null)" -- "$cur")
        ;;
    dir)
        compopt -o filenames 2>/dev/null
        mapfile -t found < <(compgen -d -- "$cur")
        ;;
    none) ;;
    *)
        compopt -o filenames 2>/dev/null
        mapfile -t found < <(compgen -f -- "$cur")
        ;;
    esac

    # Readline replaces only the text after the last COMP_WORDBREAKS character: drop what
    # comes before it from each candidate.
    local typed=$prefix$cur strip='' k c
    for ((k = ${#typed} - 1; k >= 0; k--)); do
        if [[ $COMP_WORDBREAKS == *"${typed:k:1}"* ]]; then
            strip=${typed:0:k+1}
            break
        fi
    done
    COMPREPLY=()
    for c in "${found[@]}"; do
        c=$prefix$c
        COMPREPLY+=("${c#"$strip"}")
    done
}
)SH";

// ---- zsh ----------------------------------------------------------------------------------

// Text inside an _arguments description: ] and \ escaped.
std::string zsh_description(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == ']' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

// The message and action of a value in an _arguments spec: "ref:__llmops_store_refs".
std::string zsh_value(const ArgumentInfo& arg) {
    std::string message = arg.positional()         ? arg.name
                          : arg.long_names.empty() ? arg.value_name
                                                   : arg.long_names.front().substr(2);
    message = identifier(message);
    std::string action;
    switch (arg.kind) {
    case ValueKind::text: action = "_files"; break;
    case ValueKind::number: action = " "; break;
    case ValueKind::choice: action = "(" + util::join(arg.choices, " ") + ")"; break;
    case ValueKind::dir: action = "_directories"; break;
    default: action = "__llmops_store_" + std::string(store_kind_word(arg.kind)); break;
    }
    return message + ":" + action;
}

// One option's spec(s) for _arguments, as shell words.
std::string zsh_option(const ArgumentInfo& option) {
    const auto names = names_of(option);
    std::string prefix;
    if (option.repeatable) {
        prefix = "*";
    } else if (names.size() > 1 || option.name == "--help") {
        prefix = option.name == "--help" ? "(- *)" : "(" + util::join(names, " ") + ")";
    }
    std::vector<std::string> spelled;
    for (const auto& name : names) {
        const bool is_long = name.starts_with("--");
        spelled.push_back(option.takes_value() ? name + (is_long ? "=" : "+") : name);
    }
    std::string tail = "[" + zsh_description(option.description) + "]";
    if (option.takes_value()) {
        tail += ":" + zsh_value(option);
    }
    const std::string names_word =
        spelled.size() == 1 ? sh_quote(spelled.front()) : "{" + util::join(spelled, ",") + "}";
    return (prefix.empty() ? "" : sh_quote(prefix)) + names_word + sh_quote(tail);
}

std::string zsh_positional(const ArgumentInfo& arg) {
    const std::string lead = arg.repeatable ? "*:" : arg.required ? ":" : "::";
    return sh_quote(lead + zsh_value(arg));
}

std::string zsh_function(const std::string& path, const CommandInfo& command, bool root) {
    const std::string name = "_llmops" + (path.empty() ? "" : "_" + identifier(path));
    std::vector<std::string> specs;
    for (const auto& option : command.options) {
        specs.push_back(zsh_option(option));
    }
    std::string s = fmt::format("{}() {{\n", name);
    if (root) {
        // Dynamic scope: __llmops_store sees these, after _arguments has narrowed `words`.
        s += "    local -a llmops_words\n    llmops_words=(\"${words[@]}\")\n";
    }
    if (command.subcommands.empty()) {
        for (const auto& arg : command.positionals) {
            specs.push_back(zsh_positional(arg));
        }
        return s + "    _arguments \\\n        " + util::join(specs, " \\\n        ") + "\n}\n";
    }
    specs.push_back("': :->command'");
    specs.push_back("'*:: :->args'");
    s += "    local curcontext=$curcontext state state_descr line ret=1\n"
         "    typeset -A opt_args\n"
         "    _arguments -C \\\n        " +
         util::join(specs, " \\\n        ") + " && ret=0\n";
    s += "    case $state in\n    command)\n        local -a commands\n        commands=(\n";
    for (const auto& sub : command.subcommands) {
        s += "            " + sh_quote(sub.name + ":" + sub.description) + "\n";
    }
    const std::string words = path.empty() ? "llmops" : "llmops " + path;
    s += fmt::format("        )\n        _describe -t commands {} commands && ret=0\n        ;;\n",
                     sh_quote(words + " command"));
    s += fmt::format("    args)\n        curcontext=${{curcontext%:*:*}}:{}-$words[1]:\n"
                     "        case $words[1] in\n",
                     identifier(words));
    for (const auto& sub : command.subcommands) {
        s += fmt::format("        {}) {}_{} && ret=0 ;;\n", sh_quote(sub.name), name,
                         identifier(sub.name));
    }
    return s + "        esac\n        ;;\n    esac\n    return ret\n}\n";
}

constexpr std::string_view k_zsh_store = R"SH(__llmops_store() {
    # $1: prompts, refs, runs or labels, read from the store (honouring --dir); the other
    # arguments are compadd's, from _arguments.
    local kind=$1
    shift
    local -a items dir
    local i
    for ((i = 2; i < ${#llmops_words}; i++)); do
        case ${llmops_words[i]} in
        --dir) dir=(--dir ${~llmops_words[i+1]}) ;;
        --dir=*) dir=(${~llmops_words[i]}) ;;
        esac
    done
    items=(${(f)"$(${~llmops_words[1]} $dir __complete $kind 2>/dev/null)"})
    compadd "$@" -a items
}

__llmops_store_prompts() { __llmops_store prompts "$@" }
__llmops_store_refs() { __llmops_store refs "$@" }
__llmops_store_runs() { __llmops_store runs "$@" }
__llmops_store_labels() { __llmops_store labels "$@" }
)SH";

// ---- fish ---------------------------------------------------------------------------------

std::string fish_switch_function(const std::vector<Entry>& entries, std::string_view name,
                                 std::string_view description, bool values) {
    std::string s = fmt::format("function {} --argument-names path --description {}\n"
                                "    switch $path\n",
                                name, fish_quote(description));
    for (const auto& [path, command] : entries) {
        std::vector<std::string> words;
        if (values) {
            for (const auto& option : command->options) {
                if (option.takes_value()) {
                    const auto names = names_of(option);
                    words.insert(words.end(), names.begin(), names.end());
                }
            }
        } else {
            words = subcommand_names(*command);
        }
        if (words.empty()) {
            continue;
        }
        s += fmt::format("        case {}\n            printf '%s\\n' {}\n", fish_quote(path),
                         util::join(words, " "));
    }
    return s + "    end\nend\n";
}

constexpr std::string_view k_fish_helpers =
    R"SH(function __llmops_state --description 'Prints the command path typed and how many arguments follow it (-1: an option waits for its value)'
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path
    set -l npos 0
    set -l skip 0
    set -l rootvals (__llmops_vals '')
    set -l vals $rootvals
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*'
                continue
            case '-*'
                if contains -- $t $vals $rootvals
                    set skip 1
                end
                continue
        end
        if test $npos = 0; and contains -- $t (__llmops_subs "$path")
            set path $path $t
            set vals (__llmops_vals "$path")
        else
            set npos (math $npos + 1)
        end
    end
    if test $skip = 1
        set npos -1
    end
    echo "$path"
    echo $npos
end

function __llmops_at --description 'True when the command path typed is $argv[1] (and $argv[2] arguments follow it: N, or N+ for N or more)'
    set -l state (__llmops_state)
    test "$state[1]" = "$argv[1]"; or return 1
    set -q argv[2]; or return 0
    switch $argv[2]
        case '*+'
            test $state[2] -ge (string trim -r -c + -- $argv[2])
        case '*'
            test $state[2] -eq $argv[2]
    end
end

function __llmops_store --argument-names kind --description 'Values read from the store: prompts, refs, runs or labels'
    set -l tokens (commandline -opc)
    set -l dir
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --dir
                if test $i -lt (count $tokens)
                    set dir --dir $tokens[(math $i + 1)]
                end
            case '--dir=*'
                set dir $tokens[$i]
        end
    end
    command $tokens[1] $dir __complete $kind 2>/dev/null
end
)SH";

// The value part of a `complete` line: what follows an option or fills an argument.
std::string fish_value(const ArgumentInfo& arg) {
    switch (arg.kind) {
    case ValueKind::text: return "-F";
    case ValueKind::number: return "-f";
    case ValueKind::choice: return "-f -a " + fish_quote(util::join(arg.choices, " "));
    case ValueKind::dir: return "-f -a '(__fish_complete_directories (commandline -ct))'";
    default: return fmt::format("-f -a '(__llmops_store {})'", store_kind_word(arg.kind));
    }
}

std::string fish_option(const std::string& path, const ArgumentInfo& option) {
    std::string s =
        fmt::format("complete -c llmops -n {}", fish_quote("__llmops_at \"" + path + "\""));
    for (const auto& name : option.short_names) {
        s += " -s " + name.substr(1);
    }
    for (const auto& name : option.long_names) {
        s += " -l " + name.substr(2);
    }
    if (option.takes_value()) {
        // -r: the option takes a value; fish then completes only that value.
        s += " -r " + fish_value(option);
    }
    return s + " -d " + fish_quote(option.description) + "\n";
}

} // namespace

std::string_view store_kind_word(ValueKind kind) {
    switch (kind) {
    case ValueKind::prompt: return "prompts";
    case ValueKind::ref: return "refs";
    case ValueKind::run: return "runs";
    case ValueKind::label: return "labels";
    default: return "";
    }
}

std::string bash_completion(const CommandInfo& root) {
    const auto entries = commands_of(root);
    return fmt::format(
        "# bash completion for {0}: generated by `{0} completion bash` from its command\n"
        "# tree; do not edit (see completions/README.md). Needs bash 4.2 or newer.\n"
        "\n{1}\n{2}\n{3}\ncomplete -F _llmops {0}\n",
        root.name, bash_spec_function(entries), bash_kind_function(entries), k_bash_main);
}

std::string zsh_completion(const CommandInfo& root) {
    std::string s = fmt::format(
        "#compdef {0}\n"
        "# zsh completion for {0}: generated by `{0} completion zsh` from its command tree; do\n"
        "# not edit (see completions/README.md). Put it in a folder of $fpath as _{0}, or source\n"
        "# it after compinit.\n\n",
        root.name);
    s += k_zsh_store;
    for (const auto& [path, command] : commands_of(root)) {
        s += "\n" + zsh_function(path, *command, path.empty());
    }
    s += fmt::format("\nif [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
                     "    _{0} \"$@\"\nelse\n    compdef _{0} {0}\nfi\n",
                     root.name);
    return s;
}

std::string fish_completion(const CommandInfo& root) {
    const auto entries = commands_of(root);
    std::string s = fmt::format(
        "# fish completion for {0}: generated by `{0} completion fish` from its command tree; do\n"
        "# not edit (see completions/README.md).\n\n",
        root.name);
    s += fish_switch_function(entries, "__llmops_subs", "The commands under a command path", false);
    s += "\n" + fish_switch_function(entries, "__llmops_vals",
                                     "The options of a command path that take a value", true);
    s += "\n" + std::string(k_fish_helpers) + "\n";
    s += "# No file names unless an argument or option takes one.\ncomplete -c llmops -f\n";
    for (const auto& [path, command] : entries) {
        s += fmt::format("\n# {}\n", path.empty() ? root.name : root.name + " " + path);
        const std::string at = "__llmops_at \"" + path + "\"";
        for (const auto& sub : command->subcommands) {
            s += fmt::format("complete -c llmops -n {} -a {} -d {}\n", fish_quote(at + " 0"),
                             sub.name, fish_quote(sub.description));
        }
        for (const auto& option : command->options) {
            s += fish_option(path, option);
        }
        const auto& positionals = command->positionals;
        for (size_t i = 0; i < positionals.size(); ++i) {
            const bool rest = positionals[i].repeatable && i + 1 == positionals.size();
            s += fmt::format("complete -c llmops -n {} {}\n",
                             fish_quote(fmt::format("{} {}{}", at, i, rest ? "+" : "")),
                             fish_value(positionals[i]));
        }
    }
    return s;
}

std::string completion_script(std::string_view shell, const CommandInfo& root) {
    if (shell == "bash") {
        return bash_completion(root);
    }
    if (shell == "zsh") {
        return zsh_completion(root);
    }
    if (shell == "fish") {
        return fish_completion(root);
    }
    return "";
}

} // namespace llmops::report
