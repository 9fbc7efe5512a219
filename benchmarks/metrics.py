#!/usr/bin/env python3
"""Reads a receiver's /metrics for benchmarks/run.

    benchmarks/metrics.py scrape http://127.0.0.1:19192/metrics
        one JSON line: t (Unix time of the scrape), requests (engage_relay_requests_total by outcome), delivered,
        retried and dead (engage_relay_deliveries_total by sink), spool (the engage_relay_spool_deliveries gauges by
        sink and state)
    benchmarks/metrics.py delta BEFORE AFTER
        the requests by outcome between two scrapes (JSON lines), as one JSON object
    benchmarks/metrics.py wait URL out,db [--timeout 300]
        waits until every listed sink has delivered (or given up on) as many events as were stored (each stored
        event is routed to every listed sink), then prints the seconds it waited; exit 1 on timeout

The counters are what rates and backlogs are computed from: the spool gauges are refreshed every 5 s, not per
scrape, so they lag by up to that much.
"""
import argparse
import json
import re
import sys
import time
import urllib.request

LINE = re.compile(r'^(engage_relay_\w+)\{([^}]*)\} (\S+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')


def scrape(url):
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    out = {"t": time.time(), "requests": {}, "delivered": {}, "retried": {}, "dead": {}, "spool": {}}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, labels, value = m[1], dict(LABEL.findall(m[2])), float(m[3])
        if name == "engage_relay_requests_total":
            out["requests"][labels.get("outcome", "")] = int(value)
        elif name == "engage_relay_deliveries_total":
            key = {"delivered": "delivered", "retried": "retried", "dead_lettered": "dead"}.get(labels.get("outcome"))
            if key:
                out[key][labels["sink"]] = int(value)
        elif name == "engage_relay_spool_deliveries":
            out["spool"].setdefault(labels["sink"], {})[labels["state"]] = int(value)
    return out


def backlog(sample, sink):
    """Stored events not yet delivered (nor given up on) to sink."""
    stored = sample["requests"].get("stored", 0)
    return stored - sample["delivered"].get(sink, 0) - sample["dead"].get(sink, 0)


def wait(url, sinks, timeout):
    start = time.time()
    while True:
        sample = scrape(url)
        if all(backlog(sample, s) <= 0 for s in sinks):
            print(f"{sample['t'] - start:.2f}")
            return
        if time.time() - start > timeout:
            sys.exit(1)
        time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("scrape").add_argument("url")
    delta = commands.add_parser("delta")
    delta.add_argument("before")
    delta.add_argument("after")
    waiting = commands.add_parser("wait")
    waiting.add_argument("url")
    waiting.add_argument("sinks")
    waiting.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    if args.command == "scrape":
        print(json.dumps(scrape(args.url)))
    elif args.command == "delta":
        before, after = json.loads(args.before)["requests"], json.loads(args.after)["requests"]
        print(json.dumps({k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}))
    else:
        wait(args.url, args.sinks.split(","), args.timeout)


if __name__ == "__main__":
    main()
