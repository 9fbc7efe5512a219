"""A scripted HTTP peer for the http sink's tests: answers by path and records every request.

Usage: python3 http_peer.py LOG_FILE
Prints the port it listens on (127.0.0.1) as its first line, then serves until its standard input closes.
Each request is appended to LOG_FILE as one JSON line: method, path, headers ([name, value] pairs, in order) and the
body as base64. The answer depends on the path:

  /ok...            204
  /flaky/KEY        503 the first time for KEY, then 200
  /alone/...        204, held 50 ms; 503 if another request to /alone is open meanwhile
  /together/N/...   204 once N requests to /together/N are open at once; 503 if they are not within 5 s
  /bad              400 with a 1000-byte text body
  /hang             no answer for 30 s
  /throttle         429 with Retry-After: 7
  /throttle-date    503 with Retry-After: an HTTP-date 120 s ahead
  /unavailable-now  503 with Retry-After: 0
  /redirect         302 with Location: /ok/after-redirect
  anything else     404
"""

import base64
import email.utils
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_PATH = sys.argv[1]
LOCK = threading.Lock()
SEEN = set()
BARRIERS = {}
OPEN_ALONE = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def record(self, body):
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers.items()],
            "body": base64.b64encode(body).decode("ascii"),
        }
        with LOCK:
            with open(LOG_PATH, "a") as log:
                log.write(json.dumps(entry) + "\n")

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def handle_any(self):
        self.record(self.read_body())
        path = self.path
        if path.startswith("/ok"):
            self.answer(204)
        elif path.startswith("/flaky/"):
            with LOCK:
                first = path not in SEEN
                SEEN.add(path)
            if first:
                self.answer(503, b"try later")
            else:
                self.answer(200, b"{}")
        elif path.startswith("/alone/"):
            global OPEN_ALONE
            with LOCK:
                overlapped = OPEN_ALONE > 0
                OPEN_ALONE += 1
            time.sleep(0.05)
            with LOCK:
                OPEN_ALONE -= 1
            self.answer(503 if overlapped else 204, b"not alone" if overlapped else b"")
        elif path.startswith("/together/"):
            count = int(path.split("/")[2])
            with LOCK:
                barrier = BARRIERS.setdefault(count, threading.Barrier(count, timeout=5))
            try:
                barrier.wait()
                self.answer(204)
            except threading.BrokenBarrierError:
                self.answer(503, b"not together")
        elif path == "/bad":
            self.answer(400, b"bad request: " + b"x" * 987)
        elif path == "/hang":
            time.sleep(30)
            self.answer(204)
        elif path == "/throttle":
            self.answer(429, b"slow down", [("Retry-After", "7")])
        elif path == "/throttle-date":
            self.answer(503, b"", [("Retry-After", email.utils.formatdate(time.time() + 120, usegmt=True))])
        elif path == "/unavailable-now":
            self.answer(503, b"busy", [("Retry-After", "0")])
        elif path == "/redirect":
            self.answer(302, b"", [("Location", "/ok/after-redirect")])
        else:
            self.answer(404, b"no such path")

    do_POST = do_PUT = do_PATCH = do_GET = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Serve until the test closes our standard input (or exits).
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
