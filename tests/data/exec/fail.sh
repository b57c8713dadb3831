#!/bin/sh
# An exec: provider failing as a Python program does: a traceback on stderr and status 2.
cat > /dev/null
echo "Traceback (most recent call last):" >&2
echo "  File \"app.py\", line 3, in <module>" >&2
echo "ValueError: model file missing" >&2
exit 2
