#!/usr/bin/env python3
"""Loopback peers for the all-sinks test: an HTTP server and a syslog UDP listener that record what they receive.

Usage: peers.py OUTDIR. Prints "HTTP_PORT UDP_PORT" on its first line; appends each HTTP body as one line to
OUTDIR/http.jsonl and each datagram as one line to OUTDIR/syslog.log. Exits after 120 seconds.
"""
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = sys.argv[1]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock, open(os.path.join(out, "http.jsonl"), "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))


def receive():
    while True:
        data, _ = udp.recvfrom(65535)
        with lock, open(os.path.join(out, "syslog.log"), "ab") as f:
            f.write(data.replace(b"\n", b" ") + b"\n")


threading.Thread(target=receive, daemon=True).start()
threading.Thread(target=http.serve_forever, daemon=True).start()
print(http.server_address[1], udp.getsockname()[1], flush=True)
threading.Event().wait(120)
