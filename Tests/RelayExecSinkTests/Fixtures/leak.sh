#!/bin/sh
# Prints $LEAK (and the same value without a `whsec_` prefix) on both streams, then exits with $EXIT_WITH (default 1).
printf 'stdout: the value is %s.\n' "$LEAK"
printf 'stderr: the value is %s, or %s.\n' "$LEAK" "${LEAK#whsec_}" >&2
exit "${EXIT_WITH:-1}"
