#!/bin/sh
# Writes its whole environment into $OUT_DIR/env-all, one NAME=VALUE per line, then exits 0.
env > "$OUT_DIR/env-all"
