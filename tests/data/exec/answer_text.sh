#!/bin/sh
# An exec: provider answering in plain text, which never reads its request (llmops must not
# get SIGPIPE for it), and logs to stderr (which is not part of the answer).
echo "warming up" >&2
echo "The capital of France is Paris."
