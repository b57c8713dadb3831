#!/bin/sh
# An exec: provider that never answers: a child sleeps (its pid written to "$1") and the script
# waits for it. A timeout must kill both.
sleep 30 &
echo $! > "$1"
wait
