#!/usr/bin/env bash
# Formats the project's C++ sources with clang-format and the checked-in .clang-format.
# Usage: scripts/format.sh            rewrite every file in place
#        scripts/format.sh --check    change nothing; print one line per file that differs
#                                     ("path: N lines differ, first at line L") and exit 1 if any
#        scripts/format.sh [--check] FILE...   only these files
# The files: *.cpp and *.hpp tracked by git under lib/, cmd/ and tests/, except the test data and
# fuzz corpora (tests/data/, tests/fuzz/corpus/), which are inputs, not code. Generated sources
# live in the build directory and are never formatted.
# clang-format 14 (Debian 12's `clang-format` package; scripts/setup.sh --tests installs it) is
# the reference: other versions format some constructs differently. CLANG_FORMAT overrides it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi

clang_format="${CLANG_FORMAT:-}"
if [ -z "$clang_format" ]; then
  if command -v clang-format-14 >/dev/null; then
    clang_format=clang-format-14
  elif command -v clang-format >/dev/null; then
    clang_format=clang-format
  else
    echo "format: clang-format not found (scripts/setup.sh --tests installs it)" >&2
    exit 2
  fi
fi
version=$("$clang_format" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$version" != "14" ]; then
  echo "format: warning: $clang_format is version ${version:-unknown}, the reference is 14" >&2
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- 'lib/*.cpp' 'lib/*.hpp' 'cmd/*.cpp' 'cmd/*.hpp' \
    'tests/*.cpp' 'tests/*.hpp' ':!:tests/data/*' ':!:tests/fuzz/corpus/*')
fi
if [ ${#files[@]} -eq 0 ]; then
  exit 0
fi

if [ "$check" -eq 0 ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 16 -P "$(nproc)" "$clang_format" -i --style=file
  exit 0
fi

# One line per file that differs: how many of its lines clang-format would change, and the first.
check_one() {
  local f=$1
  if [ ! -r "$f" ]; then
    echo "$f: cannot be read"
    return 0
  fi
  diff "$f" <("$clang_format" --style=file "$f") | awk -v f="$f" '
    /^[0-9]/ { if (first == "") { first = $0; sub(/[^0-9].*/, "", first) } }
    /^</ { removed++ }
    /^>/ { added++ }
    END {
      n = removed > added ? removed : added
      if (n == 1) printf "%s: 1 line differs, at line %s\n", f, first
      else if (n > 1) printf "%s: %d lines differ, first at line %s\n", f, n, first
    }'
}
export -f check_one
export clang_format
out=$(printf '%s\0' "${files[@]}" | xargs -0 -n 16 -P "$(nproc)" bash -c 'for f; do check_one "$f"; done' bash | sort)
if [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "format: $(printf '%s\n' "$out" | wc -l) files differ from .clang-format (scripts/format.sh fixes them)" >&2
  exit 1
fi
