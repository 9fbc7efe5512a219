#!/bin/sh
# Records what the exec sink hands a command, then exits with $EXIT_WITH (default 0).
# Writes into $OUT_DIR: `stdin` (the exact bytes), `args` (each argument NUL-terminated), `env` (the ENGAGE_* and
# EXTRA_* variables, sorted), `cwd`, and appends $ENGAGE_MESSAGE_ID to `messages`.
set -eu
cat > "$OUT_DIR/stdin"
printf '%s\0' "$@" > "$OUT_DIR/args"
env | grep -E '^(ENGAGE_|EXTRA_)' | sort > "$OUT_DIR/env" || true
pwd > "$OUT_DIR/cwd"
printf '%s\n' "$ENGAGE_MESSAGE_ID" >> "$OUT_DIR/messages"
echo "recorded $ENGAGE_EVENT_ID" >&2
exit "${EXIT_WITH:-0}"
