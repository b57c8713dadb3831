#!/bin/sh
# An exec: provider answering in JSON (promptfoo's ProviderResponse names). It saves the request
# it was given where LLMOPS_TEST_REQUEST says, so a test can read what llmops sent.
cat > "$LLMOPS_TEST_REQUEST"
printf '{"output": "Paris", "tokenUsage": {"prompt": 12, "completion": 1, "total": 13}, "cost": 0.0005}\n'
