#!/usr/bin/env python3
"""Pre-signed Svix requests for wrk (benchmarks/presigned.lua), so that signing costs the load generator nothing
while it runs.

    benchmarks/presign.py --url http://127.0.0.1:8080/webhooks/engage --count 330000 --threads 2 --out /tmp/w/req \
        [--hmac-secret bench-secret]

writes /tmp/w/req.0 .. req.N-1: complete HTTP/1.1 requests, each followed by a NUL byte (which no request holds),
so that wrk's threads only split the file instead of formatting every request before the run. Headers `svix-id`,
`svix-timestamp`, `svix-signature` (`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body` with the secret's
base64-decoded key) and `content-type: application/json`; with --hmac-secret also `X-Hub-Signature-256:
sha256=HEX` of the body alone. Every message id is unique; the timestamp is the time of writing, so the files must
be used within the receiver's tolerance (5 minutes by default). The bodies are examples/events/*.json (not
INDEX.json) with their newlines replaced by spaces (a JSON text has no raw newline inside a string).
"""
import argparse
import base64
import hashlib
import hmac
import os
import secrets
import sys
import time
import urllib.parse


def bodies(folder):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json") and n != "INDEX.json")
    out = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            text = f.read().replace(b"\r", b" ").replace(b"\n", b" ").strip()
        if b"\0" in text:
            sys.exit(f"{name}: a NUL byte in the body would break the file format")
        out.append(text)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="where the requests go (its host and path are written)")
    parser.add_argument("--count", type=int, required=True, help="requests in all, split evenly over the threads")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", required=True, help="path prefix; .0, .1, ... are appended")
    parser.add_argument("--secret", default="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    parser.add_argument("--hmac-secret", help="also sign the body alone as X-Hub-Signature-256 (row e)")
    parser.add_argument("--bodies", default="examples/events")
    args = parser.parse_args()

    secret = args.secret[len("whsec_"):] if args.secret.startswith("whsec_") else args.secret
    key = base64.b64decode(secret)
    hub_key = args.hmac_secret.encode() if args.hmac_secret else None
    samples = bodies(args.bodies)
    url = urllib.parse.urlsplit(args.url)
    head = f"POST {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\ncontent-type: application/json\r\n".encode()
    run = secrets.token_hex(4)
    timestamp = str(int(time.time())).encode()
    per_thread = -(-args.count // args.threads)
    n = 0
    for thread in range(args.threads):
        requests = []
        for _ in range(per_thread):
            body = samples[n % len(samples)]
            message_id = f"msg_{run}_{n}".encode()
            mac = hmac.new(key, message_id + b"." + timestamp + b"." + body, hashlib.sha256).digest()
            headers = [head, b"svix-id: ", message_id, b"\r\nsvix-timestamp: ", timestamp,
                       b"\r\nsvix-signature: v1,", base64.b64encode(mac), b"\r\n"]
            if hub_key:
                hub = hmac.new(hub_key, body, hashlib.sha256).hexdigest().encode()
                headers += [b"X-Hub-Signature-256: sha256=", hub, b"\r\n"]
            headers += [b"Content-Length: ", str(len(body)).encode(), b"\r\n\r\n", body, b"\0"]
            requests.append(b"".join(headers))
            n += 1
        with open(f"{args.out}.{thread}", "wb") as f:
            f.write(b"".join(requests))


if __name__ == "__main__":
    main()
