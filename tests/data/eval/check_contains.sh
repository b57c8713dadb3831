#!/bin/sh
# An exec assertion: passes (exit 0) when the output on stdin contains "$1", fails (exit 1)
# otherwise.
if grep -q -- "$1"; then
    echo "found $1"
    exit 0
fi
echo "missing $1" >&2
exit 1
