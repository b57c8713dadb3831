#!/bin/sh
# An exec assertion that breaks: exit status 3 is neither a pass (0) nor a fail (1).
echo "boom" >&2
exit 3
