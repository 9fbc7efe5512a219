#!/bin/sh
# An exec command that misbehaves: writes its environment into $OUT_DIR/env, prints $LEAK (a secret it was given)
# with and without its `whsec_` prefix on both streams, and exits 1.
env > "$OUT_DIR/env"
printf 'got %s\n' "$LEAK"
printf 'failed with %s (%s)\n' "$LEAK" "${LEAK#whsec_}" >&2
exit 1
