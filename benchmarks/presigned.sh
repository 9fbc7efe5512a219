# Closed-loop load from wrk with pre-signed unique requests (benchmarks/presign.py writes them, benchmarks/presigned.lua
# sends them), so that signing costs the load generator nothing during the run. Sourced by benchmarks/run and
# benchmarks/slow-disk, which set `work` (a scratch folder), `secret` and `connections`.
#
#   PRESIGN_RATE (default 30000): requests written per second of load; a thread that runs out starts over and sends
#   duplicates, which the JSON line reports as `wrapped` (so a rate near this ceiling shows, never flatters).
#   WRK_THREADS (default 2), WARMUP_SECONDS (default 1).

wrk_threads=${WRK_THREADS:-2}
presign_rate=${PRESIGN_RATE:-30000}
warmup_seconds=${WARMUP_SECONDS:-1}

presign() {  # name url count [hmac-secret]: writes $work/presigned/name.0 .. name.T-1
    local name=$1 url=$2 count=$3 hmac=${4:-}
    mkdir -p "$work/presigned"
    rm -f "$work/presigned/$name".*
    python3 benchmarks/presign.py --url "$url" --count "$count" --threads "$wrk_threads" --secret "$secret" \
        --out "$work/presigned/$name" ${hmac:+--hmac-secret "$hmac"}
}

wrk_presigned() {  # name label url seconds: sends what presign wrote for name; prints the JSON line
    local name=$1 label=$2 url=$3 seconds=$4 out
    # GNU time's maximum RSS: what holding every pre-signed request costs wrk.
    local timer=()
    [ ! -x /usr/bin/time ] || timer=(/usr/bin/time -f %M -o "$work/presigned/$name.rss")
    out=$(PRESIGNED="$work/presigned/$name" PRESIGNED_THREADS=$wrk_threads PRESIGNED_LABEL=$label \
        "${timer[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 30s \
        -s benchmarks/presigned.lua "$url")
    local line rss
    line=$(grep '^{' <<<"$out" | tail -1)
    rss=$(tail -1 "$work/presigned/$name.rss" 2>/dev/null || echo 0)
    rm -f "$work/presigned/$name".*
    [ -n "$line" ] || { echo "wrk printed no result for $label:" >&2; echo "$out" >&2; return 1; }
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
r.update(connections=int(sys.argv[2]), threads=int(sys.argv[3]), wrk_peak_kib=int(sys.argv[4]))
print(json.dumps(r))' "$line" "$connections" "$wrk_threads" "$rss"
}

presigned_started() {  # name: returns once every wrk thread has loaded its requests (the clock starts then)
    local i
    for i in $(seq 0 $((wrk_threads - 1))); do
        while [ ! -e "$work/presigned/$1.ready.$i" ]; do sleep 0.02; done
    done
}

presigned_count() {  # seconds [rate]: requests to write for that long at that rate
    python3 -c 'import math, sys; print(math.ceil(float(sys.argv[1]) * float(sys.argv[2])))' "$1" "${2:-$presign_rate}"
}

wrk_warmup() {  # url [rate ceiling] [hmac-secret]: WARMUP_SECONDS of load whose result is dropped
    local url=$1 rate=${2:-$presign_rate} hmac=${3:-}
    [ "$warmup_seconds" != 0 ] || return 0
    presign warmup "$url" "$(presigned_count "$warmup_seconds" "$rate")" "$hmac"
    wrk_presigned warmup warmup "$url" "$warmup_seconds" >/dev/null
}

wrk_row() {  # label url seconds [rate ceiling] [hmac-secret]: the row itself; prints its JSON line
    local label=$1 url=$2 seconds=$3 rate=${4:-$presign_rate} hmac=${5:-}
    # Written right before the row: the receiver refuses timestamps older than its tolerance (5 minutes).
    presign row "$url" "$(presigned_count "$seconds" "$rate")" "$hmac"
    wrk_presigned row "$label" "$url" "$seconds"
}

wrk_load() {  # label url seconds [rate ceiling] [hmac-secret]: a warm-up, then the row; prints the row's JSON line
    wrk_warmup "$2" "${4:-}" "${5:-}"
    wrk_row "$@"
}
