#!/usr/bin/env python3
"""Prints benchmarks/run's Markdown tables from its results (one JSON object a line, by `kind`).

    benchmarks/report.py results.jsonl micro.md slow-disk.md
"""
import json
import sys


def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def num(value, digits=0):
    return f"{value:,.{digits}f}"


def drain_time(r):
    return "not drained in time" if r["drain_seconds"] is None else f"{r['drain_seconds']:.1f} s"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def errors(row):
    """wrk's or relay-load's errors, and a wrk thread that ran out of pre-signed requests."""
    parts = [f"{k}: {v}" for k, v in (row.get("errors") or {}).items() if v]
    if row.get("wrapped"):
        parts.append(f"**WRAPPED {row['wrapped']}x: duplicates sent**")
    return ", ".join(parts) or "none"


def outcomes(row):
    got = row.get("outcomes")
    if not got:
        return "-"
    return ", ".join(f"{k} {num(v)}" for k, v in sorted(got.items(), key=lambda kv: -kv[1]))


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


class Targets:
    def __init__(self):
        self.rows = []

    def add(self, name, value, shown, met):
        verdict = "-" if value is None else ("met" if met(value) else "**missed**")
        self.rows.append((name, "not measured" if value is None else shown, verdict))

    def print(self):
        print("\n### Targets\n")
        print("| target | result | |")
        print("|---|---|---|")
        for name, shown, verdict in self.rows:
            print(f"| {name} | {shown} | {verdict} |")


def ingest_table(rows, by_key):
    base = by_key.get("a", {}).get("rate")
    first = next((r for r in rows if r.get("generator") == "wrk"), {})
    print(f"\n### Ingest, closed loop: wrk, {first.get('connections', '?')} connections, {first.get('threads', '?')} "
          f"threads, pre-signed unique requests, {first.get('seconds', 0):.0f} s per row after a warm-up\n")
    print("| row | requests/s (2xx) | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | receiver's outcomes "
          "| ratio to (a) |")
    print("|---|---:|---:|---:|---:|---:|---|---|---:|")
    for r in rows:
        if r.get("kind") == "skipped":
            print(f"| {r['label']} | - | - | - | - | - | - | - | - |")
            continue
        print(f"| {r['label']} | {num(r['rate'])} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} "
              f"| {r['p999_ms']:.2f} | {errors(r)} | {outcomes(r)} | {fmt_ratio(ratio(r['rate'], base))} |")
    rate = lambda k: by_key.get(k, {}).get("rate")
    print(f"\n(c)/(a) = {fmt_ratio(ratio(rate('c'), rate('a')))}, (c)/(e) = {fmt_ratio(ratio(rate('c'), rate('e')))}, "
          f"(c)/(d) = {fmt_ratio(ratio(rate('c'), rate('d')))}, (c-pg)/(c) = "
          f"{fmt_ratio(ratio(rate('c-pg'), rate('c')))}. Receiver's outcomes: `engage_relay_requests_total` over "
          "the row (requests still in flight when wrk stops are stored but not counted by wrk); wrk counts answers "
          "above 399 as errors, and its percentiles include its own correction for a closed loop.")
    peaks = [r["wrk_peak_kib"] for r in rows if r.get("wrk_peak_kib")]
    if peaks:
        print(f"\nwrk holds every pre-signed request in memory: its peak RSS was {mib(min(peaks))} to "
              f"{mib(max(peaks))} over these rows.")


def cpu_table(rows, by_key):
    print(f"\n### Server CPU per request, open loop (relay-load --presign, in its own process)\n")
    print("| row | target/s | achieved 2xx/s | p99 ms | server CPU s | µs CPU per 2xx request "
          "| µs incl. waited-for children | ratio to (a) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base = None
    per = {}
    for r in rows:
        if r.get("kind") == "skipped":
            print(f"| {r['label']} | - | - | - | - | - | - | - |")
            continue
        tck = r["clk_tck"]
        own = (r["ticks_after"][0] - r["ticks_before"][0]) / tck
        children = (r["ticks_after"][1] - r["ticks_before"][1]) / tck
        us = own * 1e6 / r["ok"] if r["ok"] else None
        us_all = (own + children) * 1e6 / r["ok"] if r["ok"] else None
        per[r["key"]] = us
        if r["key"] == "a":
            base = us
        achieved = num(r["rate"]) + (" (**saturated**)" if r["rate"] < 0.95 * r["target_rate"] else "")
        print(f"| {r['label']} | {num(r['target_rate'])} | {achieved} | {r['p99_ms']:.2f} | {own:.2f} "
              f"| {fmt_ratio(us, 1)} | {fmt_ratio(us_all, 1)} | {fmt_ratio(ratio(us, base))} |")
    seconds = rows[0].get("seconds", 0) if rows else 0
    print(f"\nutime + stime of the server process (fields 14 and 15 of `/proc/PID/stat`, every thread, in clock ticks) "
          f"over about {seconds:.0f} s of load; a process's children are not in those fields: the last column adds "
          "cutime + cstime (fields 16 and 17: children it has waited for), which for (e) is the `/bin/true` it forks "
          "per request; for (c-pg), the PostgreSQL server's own processes are not counted either.")
    return per


def open_table(rows):
    print("\n### Latency at half of (c)'s maximum rate, open loop (relay-load; latency from each request's "
          "scheduled time)\n")
    print("`--presign` signs every request before the clock starts and sends them over plain NIO connections; the "
          "second row is the same load through AsyncHTTPClient (the previous harness); the floor row sends it to "
          "an nginx that answers 204 to everything: what the generator and these shared cores cost at that rate.\n")
    print("| row | target/s | achieved 2xx/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        achieved = num(r["rate"]) + (" (**not reached**)" if r["rate"] < 0.95 * r["target_rate"] else "")
        print(f"| {r['label']} | {num(r['target_rate'])} | {achieved} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} "
              f"| {r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {errors(r)} |")


def backlog(sample, sink):
    return sample["requests"].get("stored", 0) - sample["delivered"].get(sink, 0) - sample["dead"].get(sink, 0)


def drain_table(r):
    up, end, done = r["nginx_up"], r["load_end"], r["drained_at"]
    window = end["t"] - up["t"]
    ingest = (end["requests"].get("stored", 0) - up["requests"].get("stored", 0)) / window
    delivered = (end["delivered"].get("out", 0) - up["delivered"].get("out", 0)) / window
    load = r["load"]
    print(f"\n### HTTP sink into nginx on loopback: nginx down for {r['fill_seconds']} s of closed-loop load (wrk), "
          f"then up while the load goes on for {r['window_seconds']} s\n")
    print("| ingest req/s, nginx up | delivered/s, nginx up | delivered / ingest | backlog at nginx start "
          "| backlog at end of load | drain after load | failed attempts | nginx log | ingest req/s, whole load "
          "| peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    print(f"| {num(ingest)} | {num(delivered)} | {ratio(delivered, ingest):.2f} | {num(backlog(up, 'out'))} "
          f"| {num(backlog(end, 'out'))} | {drain_time(r)} | {num(done['retried'].get('out', 0))} "
          f"| {num(r['nginx_lines'])} requests ({num(r['nginx_2xx'])} 2xx, {num(r['nginx_distinct'])} message ids) "
          f"| {num(load['rate'])} | {mib(r['peak_kib'])} |")
    print(f"\nRates over the same window ({window:.1f} s, from nginx's start to the end of the load), from the "
          "receiver's counters (`engage_relay_requests_total{outcome=\"stored\"}`, "
          "`engage_relay_deliveries_total{sink=\"out\",outcome=\"delivered\"}`); backlog = stored − delivered. "
          f"Delivered in all: {num(done['delivered'].get('out', 0))} of {num(done['requests'].get('stored', 0))} "
          f"stored; wrk errors: {errors(load)}. Retry policy: the default (attempts=30 backoff=1s..10m).")
    return ratio(delivered, ingest)


def fanout_table(r):
    load = r["load"]
    print(f"\n### Fan-out: file + SQLite sinks for every event, {load['seconds']:.0f} s closed loop (wrk, pre-signed)\n")
    print("| ingest req/s | delivered/s file | delivered/s sqlite | backlog file/sqlite over time (s: n) "
          "| backlog at end of load | drain after load | idle RSS | peak RSS | errors |")
    print("|---:|---:|---:|---|---|---:|---:|---:|---|")
    seconds = load["seconds"]
    end = r["at_end"]
    series = " ".join(f"{s['t'] - r['began']:.0f}: {backlog(s, 'file')}/{backlog(s, 'db')}" for s in r["samples"])
    print(f"| {num(load['rate'])} | {num(end['delivered'].get('file', 0) / seconds)} "
          f"| {num(end['delivered'].get('db', 0) / seconds)} | {series} "
          f"| {backlog(end, 'file')}/{backlog(end, 'db')} | {drain_time(r)} | {mib(r['idle_kib'])} "
          f"| {mib(r['peak_kib'])} | {errors(load)} |")
    return max(backlog(end, "file"), backlog(end, "db")), load["rate"]


def rss_table(rows):
    print("\n### Peak RSS of the full receiver (`VmHWM` from `/proc/PID/status`)\n")
    print("| after | idle RSS | peak RSS |")
    print("|---|---:|---:|")
    for r in rows:
        print(f"| {r['label']} | {mib(r['idle_kib'])} | {mib(r['peak_kib'])} |")


def main():
    results, micro, slow_disk = sys.argv[1:4]
    rows = load(results)
    kinds = lambda k: [r for r in rows if r.get("kind") == k]
    ingest = [r for r in kinds("ingest")] + [r for r in kinds("skipped")]
    by_key = {r["key"]: r for r in kinds("ingest")}
    cpu_rows = kinds("cpu") + [r for r in kinds("skipped")]

    machine = kinds("machine")
    if machine:
        m = machine[0]
        print(f"Machine: {m['cores']} cores shared by the load generators and the servers; load average "
              f"(1, 5, 15 min) {m['load_before']} before the run and {m['load_after']} after it.\n")
    print("### Micro-benchmarks (relay-bench, release, one core)\n")
    print(open(micro).read().rstrip())
    order = ["a", "b", "c", "d", "e", "c-pg", "c-relay-load"]
    ingest.sort(key=lambda r: order.index(r["key"]) if r.get("key") in order else len(order))
    ingest_table(ingest, by_key)
    cpu = cpu_table(cpu_rows, by_key)
    open_table(kinds("open"))
    drain = kinds("drain")
    drain_ratio = drain_table(drain[0]) if drain else None
    slow = kinds("slowdisk")
    if slow:
        print("\n### Group commit on a slow disk (benchmarks/slow-disk)\n")
        print(open(slow_disk).read().rstrip())
    fan = kinds("fanout")
    fan_backlog = fanout_table(fan[0]) if fan else None
    rss_table(kinds("rss"))

    targets = Targets()
    rate = lambda k: by_key.get(k, {}).get("rate")
    c_a = ratio(rate("c"), rate("a"))
    targets.add("(c) ≥ 0.45 × (a), wrk closed loop", c_a, f"{c_a or 0:.2f}", lambda v: v >= 0.45)
    c_e = ratio(rate("c"), rate("e"))
    targets.add("(c) ≥ 1.5 × (e), wrk closed loop", c_e, f"{c_e or 0:.2f}×", lambda v: v >= 1.5)
    cpu_ratio = ratio(cpu.get("c"), cpu.get("a"))
    targets.add("server CPU per request (c) ≤ 2.0 × (a), open loop", cpu_ratio,
                f"{cpu_ratio or 0:.2f}× ({cpu.get('c') or 0:.0f} against {cpu.get('a') or 0:.0f} µs)",
                lambda v: v <= 2.0)
    for r in [r for r in kinds("open") if r["key"] == "c"]:
        reached = r["rate"] >= 0.95 * r["target_rate"]
        shown = f"{r['p99_ms']:.2f} ms at {num(r['rate'])}/s of {num(r['target_rate'])}/s"
        if not reached:
            shown += " (**target rate not reached**)"
        floor = next((f for f in kinds("open") if f["key"] == "floor"), None)
        if floor:
            shown += f"; floor (nginx 204, same rate) {floor['p99_ms']:.2f} ms"
        targets.add("(c) p99 ≤ 10 ms at half its maximum rate, open loop", r["p99_ms"], shown, lambda v: v <= 10)
    targets.add("HTTP sink: delivered ≥ 1.0 × ingest while both run", drain_ratio, f"{drain_ratio or 0:.2f}",
                lambda v: v >= 1.0)
    if slow:
        s = slow[0]
        per_event = s["grouped"]["fsyncs"] / s["grouped"]["stored"] if s["grouped"]["stored"] else None
        targets.add(f"slow disk ({s['delay_us'] / 1000:g} ms fsync): grouped fsyncs per event ≤ 0.05", per_event,
                    f"{per_event or 0:.3f}", lambda v: v <= 0.05)
        g_s = ratio(s["grouped"]["rate"], s["per_request"]["rate"])
        targets.add("slow disk: grouped ≥ 10 × per-request", g_s, f"{g_s or 0:.1f}×", lambda v: v >= 10)
    if fan_backlog:
        left, ingest_rate = fan_backlog
        targets.add("fan-out keeps up at maximum ingest (backlog at end of load < 1 s of ingest)", left,
                    f"{left} left at the end, {num(ingest_rate)} req/s", lambda v: v < ingest_rate)
    for r in kinds("rss"):
        targets.add(f"peak RSS ≤ 64 MiB: {r['label']}", r["peak_kib"], mib(r["peak_kib"]),
                    lambda v: v <= 64 * 1024)
    targets.print()


if __name__ == "__main__":
    main()
