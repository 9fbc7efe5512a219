#!/bin/sh
# Starts a sleeping child, notes both pids in $OUT_DIR, and sleeps itself: only a kill of the whole process group
# ends both.
sleep 300 &
echo $! > "$OUT_DIR/child.pid.tmp" && mv "$OUT_DIR/child.pid.tmp" "$OUT_DIR/child.pid"
echo $$ > "$OUT_DIR/parent.pid"
sleep 300
