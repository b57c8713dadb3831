#!/usr/bin/env bash
# Checks that no function in lib/ and cmd/ is longer than STYLE.md §8 allows ("past about 60
# lines, split by meaning"): at most 60 lines.
#
# What is counted: the lines of a function's body, from the line of its opening brace to the line
# of its closing brace, both included: a body whose `{` is on line 10 and `}` on line 70 is 61
# lines, one too many. Blank lines and comments inside count too; the signature above the `{`
# does not. A lambda, a local class or a nested block counts toward the
# function it is written in; a lambda stored in a variable at namespace or class scope counts as a
# function of the variable's name. Functions are found in *.cpp and *.hpp under lib/ and cmd/ by
# matching braces outside comments, string and character literals (raw strings R"x(...)x"
# included) and preprocessor lines. Names are as written, with the class prepended for a member
# defined inside its class: `CallEngine::run`, `detail::walk`, `operator()`.
#
# The exceptions are scripts/long-functions.txt, one per line: `path  function-name  reason`
# (the reason is required; `#` starts a comment). An entry covers every function of that name in
# that file. The check fails (exit 1, one line per problem) when a function over the limit is not
# listed, when a listed function no longer exists, and when a listed function is now within the
# limit: the list only shrinks.
#
# Usage: scripts/check-function-length.sh [--update] [--root DIR] [--list FILE] [--limit N]
#   --update  rewrite the list: the functions over the limit now, keeping the reasons already
#             written and giving new ones "TODO(issue 14): split"
#   --root    the tree to check (default: this repository); --list defaults to
#             DIR/scripts/long-functions.txt
set -euo pipefail
LLMOPS_ROOT="$(cd "$(dirname "$0")/.." && pwd)" exec python3 - "$@" <<'PYTHON'
import argparse
import os
import re
import sys

parser = argparse.ArgumentParser(prog="check-function-length.sh")
parser.add_argument("--update", action="store_true")
parser.add_argument("--root")
parser.add_argument("--list")
parser.add_argument("--limit", type=int, default=60)
args = parser.parse_args()
root = os.path.abspath(args.root or os.environ["LLMOPS_ROOT"])
list_path = args.list or os.path.join(root, "scripts", "long-functions.txt")
TODO = "TODO(issue 14): split"

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STRING_PREFIXES = {"R", "u8R", "uR", "UR", "LR", "u8", "u", "U", "L"}
PUNCT3 = {"<=>", "->*", "<<=", ">>=", "..."}
PUNCT2 = {"::", "->", "++", "--", "<<", "&&", "||", "==", "!=", "<=", ">=", "+=", "-=", "*=",
          "/=", "%=", "&=", "|=", "^=", ".*"}


def tokenize(text):
    """Tokens as (text, line). Comments and preprocessor lines are dropped; string literals
    become "STR", character literals "CHR", numbers "NUM"."""
    tokens = []
    i, n, line = 0, len(text), 1
    at_line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "#" and at_line_start:  # a directive, with its continuation lines
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    line += 1
                    i += 1
                elif text.startswith("/*", i):  # a block comment may span lines
                    end = text.find("*/", i + 2)
                    end = n if end < 0 else end + 2
                    line += text.count("\n", i, end)
                    i = end
                    continue
                i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
            continue
        m = IDENT.match(text, i)
        if m:
            word = m.group(0)
            j = m.end()
            if j < n and text[j] in "\"'" and word in STRING_PREFIXES:
                i = j
                if word.endswith("R") and text[j] == '"':  # raw string
                    open_paren = text.find("(", j)
                    delim = text[j + 1:open_paren]
                    end = text.find(")" + delim + '"', open_paren)
                    end = n if end < 0 else end + len(delim) + 2
                    tokens.append(("STR", line))
                    line += text.count("\n", i, end)
                    i = end
                continue  # an ordinary literal with a prefix: read below
            tokens.append((word, line))
            i = j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._'" or
                             (text[j] in "+-" and text[j - 1] in "eEpP")):
                j += 1
            tokens.append(("NUM", line))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":  # unterminated: stop at the end of the line
                    break
                j += 1
            tokens.append(("STR" if c == '"' else "CHR", line))
            i = j + 1
            continue
        if text[i:i + 3] in PUNCT3:
            tokens.append((text[i:i + 3], line))
            i += 3
        elif text[i:i + 2] in PUNCT2:
            tokens.append((text[i:i + 2], line))
            i += 2
        else:
            tokens.append((c, line))
            i += 1
    return tokens


def strip_prefix(head):
    """Drops leading `template <...>`, attributes and specifiers that do not name anything."""
    h = list(head)
    changed = True
    while changed and h:
        changed = False
        if h[0] == "template" and len(h) > 1 and h[1] == "<":
            depth, k = 0, 1
            while k < len(h):
                if h[k] == "<":
                    depth += 1
                elif h[k] == ">":
                    depth -= 1
                elif h[k] == ">>":
                    depth -= 2
                k += 1
                if depth <= 0:
                    break
            h = h[k:]
            changed = True
        elif len(h) > 1 and h[0] == "[" and h[1] == "[":
            k = 2
            while k + 1 < len(h) and not (h[k] == "]" and h[k + 1] == "]"):
                k += 1
            h = h[k + 2:]
            changed = True
        elif h[0] in ("typedef", "export", "inline", "static", "constexpr", "extern") and \
                not (h[0] == "extern" and len(h) > 1 and h[1] == "STR"):
            h = h[1:]
            changed = True
    return h


def top_level(head):
    """(index, token) of the tokens of `head` outside parentheses and brackets."""
    depth = 0
    for k, t in enumerate(head):
        if t in ("(", "["):
            if depth == 0:
                yield k, t
            depth += 1
        elif t in (")", "]"):
            depth -= 1
            if depth == 0:
                yield k, t
        elif depth == 0:
            yield k, t


def qualified_name(head, k):
    """The name ending at head[k] (an identifier), with its `A::B::` qualification."""
    parts = [head[k]]
    while k >= 2 and head[k - 1] == "::" and IDENT.fullmatch(head[k - 2]):
        parts.insert(0, head[k - 2])
        k -= 2
    if k >= 1 and head[k - 1] == "~":
        parts[-1] = "~" + parts[-1]
    return "::".join(parts)


def function_name(head):
    top = list(top_level(head))
    # A lambda stored in a variable: the variable's name.
    for idx, (k, t) in enumerate(top):
        if t == "=" and (k == 0 or head[k - 1] != "operator"):
            names = [head[j] for j, u in top[:idx] if IDENT.fullmatch(u)]
            return names[-1] if names else "<lambda>"
    for k, t in enumerate(head):
        if t == "operator":
            if head[k + 1:k + 3] == ["(", ")"]:
                op = "()"
            else:
                op = ""
                for u in head[k + 1:]:
                    if u == "(":
                        break
                    op += (" " if IDENT.fullmatch(u) else "") + u
            return qualified_name(head, k) + op
    for k, t in top:
        if t == "(" and k > 0 and IDENT.fullmatch(head[k - 1]):
            return qualified_name(head, k - 1)
    return "<unnamed>"


def classify(head):
    """What a `{` opens, given the tokens since the last `;`, `{` or `}` at this level:
    "namespace", "class", "function", "member-init" (a brace initializer in a constructor's
    initializer list) or "other" (a variable's initializer, an enum's values...)."""
    h = strip_prefix(head)
    if not h:
        return "other"
    if "namespace" in h or (h[0] == "extern" and len(h) > 1 and h[1] == "STR"):
        return "namespace"
    if h[0] in ("class", "struct", "union", "enum"):
        return "class"
    top = list(top_level(h))
    saw_params = False
    for k, t in top:
        if t == "=" and (k == 0 or h[k - 1] != "operator"):
            # `auto f = [...](...) {`: a lambda stored in a variable counts as a function.
            rest = h[k + 1:]
            return "function" if rest and rest[0] == "[" else "other"
        if t == ")":
            saw_params = True
        if t == ":" and saw_params:  # a constructor's initializer list
            return "function" if h[-1] in (")", "{}") else "member-init"
    if not saw_params:
        return "other"
    last = h[-1]
    if last in (")", "const", "noexcept", "override", "final", "mutable", "volatile", "&", "&&",
                "try") or "->" in h:
        return "function"
    return "other"


def find_functions(tokens):
    """(name, first line, last line) of every function body at namespace or class scope."""
    match = {}
    stack = []
    for k, (t, _) in enumerate(tokens):
        if t == "{":
            stack.append(k)
        elif t == "}" and stack:
            match[stack.pop()] = k
    found = []

    def walk(i, end, classes):
        head = []
        while i < end:
            t = tokens[i][0]
            if t == ";":
                head = []
                i += 1
            elif t == "}":  # unbalanced (an #if branch): start afresh
                head = []
                i += 1
            elif t == "{":
                close = match.get(i, len(tokens) - 1)
                kind = classify(head)
                if kind == "member-init":
                    head.append("{}")
                    i = close + 1
                    continue
                if kind == "function":
                    name = function_name(strip_prefix(head))
                    if classes and "::" not in name:
                        name = "::".join(classes) + "::" + name
                    found.append((name, tokens[i][1], tokens[close][1]))
                    head = []
                elif kind == "namespace":
                    walk(i + 1, close, classes)
                    head = []
                elif kind == "class":
                    h = strip_prefix(head)
                    names = [u for u in h[1:] if IDENT.fullmatch(u) and u not in
                             ("class", "struct", "final", "alignas")]
                    walk(i + 1, close, classes + [names[0] if names else "<anonymous>"])
                    head = []
                else:
                    head.append("{}")
                i = close + 1
            else:
                head.append(t)
                i += 1

    walk(0, len(tokens), [])
    return found


def scan(root):
    long = {}  # (path, name) -> [(lines, first line)]
    for top in ("lib", "cmd"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in sorted(filenames):
                if not f.endswith((".cpp", ".hpp")):
                    continue
                full = os.path.join(dirpath, f)
                rel = os.path.relpath(full, root)
                with open(full, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                for name, first, last in find_functions(tokenize(text)):
                    lines = last - first + 1
                    if lines > args.limit:
                        long.setdefault((rel, name), []).append((lines, first))
    return long


def read_list(path):
    entries, problems = {}, []
    if not os.path.exists(path):
        return entries, problems
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, 1):
            text = raw.split("#", 1)[0].strip() if raw.lstrip().startswith("#") else raw.strip()
            if not text:
                continue
            parts = text.split(None, 2)
            where = f"{os.path.relpath(path, root)}:{number}"
            if len(parts) < 3:
                problems.append(f"{where}: needs `path  function-name  reason`: {raw.strip()}")
                continue
            if (parts[0], parts[1]) in entries:
                problems.append(f"{where}: {parts[0]} {parts[1]} is listed twice")
            entries[(parts[0], parts[1])] = parts[2]
    return entries, problems


long = scan(root)
entries, problems = read_list(list_path)
list_name = os.path.relpath(list_path, root)

if args.update:
    with open(list_path, "w", encoding="utf-8") as fh:
        fh.write(f"# Functions in lib/ and cmd/ longer than {args.limit} lines (STYLE.md §8), "
                 "each with the reason it may be.\n"
                 "# scripts/check-function-length.sh fails on a function over the limit that is "
                 "not here and\n# on an entry that is no longer over it: this list only "
                 "shrinks. `--update` rewrites it.\n# path  function-name  reason\n")
        for (path, name) in sorted(long):
            fh.write(f"{path}  {name}  {entries.get((path, name), TODO)}\n")
    kept = sum(1 for key in long if key in entries)
    print(f"{list_name}: {len(long)} functions over {args.limit} lines "
          f"({kept} kept, {len(long) - kept} new, "
          f"{sum(1 for key in entries if key not in long)} removed)", file=sys.stderr)
    sys.exit(0)

for (path, name), found in sorted(long.items()):
    if (path, name) not in entries:
        for lines, first in found:
            problems.append(f"{path}:{first}: {name} is {lines} lines (limit {args.limit}): split "
                            f"it, or list it in {list_name} with a reason")
known = {}
for top in ("lib", "cmd"):
    for dirpath, _, filenames in os.walk(os.path.join(root, top)):
        for f in filenames:
            if f.endswith((".cpp", ".hpp")):
                known[os.path.relpath(os.path.join(dirpath, f), root)] = os.path.join(dirpath, f)
for (path, name) in sorted(entries):
    if (path, name) in long:
        continue
    if path not in known:
        problems.append(f"{list_name}: {path} {name}: the file no longer exists; remove the entry")
        continue
    with open(known[path], encoding="utf-8", errors="replace") as fh:
        names = {n for n, _, _ in find_functions(tokenize(fh.read()))}
    if name in names:
        problems.append(f"{list_name}: {path} {name} is now within {args.limit} lines; "
                        "remove the entry")
    else:
        problems.append(f"{list_name}: {path} {name}: no such function any more; remove the entry")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PYTHON
