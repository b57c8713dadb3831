#!/bin/sh
# An exec assertion that answers with a JSON verdict on stdout.
case "$(cat)" in
*Paris*) echo '{"pass": true, "score": 0.8, "reason": "mentions Paris"}' ;;
*) echo '{"pass": false, "score": 0.1, "reason": "no Paris"}' ;;
esac
