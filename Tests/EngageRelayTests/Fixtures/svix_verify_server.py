#!/usr/bin/env python3
"""A loopback HTTP server that verifies every POST with the official `svix` library.

Usage: svix_verify_server.py SECRET. Prints the bound port on its first line, then one line per request:
"valid <svix-id or webhook-id>" or "invalid <reason>". Answers 204 when valid, 401 otherwise. Exits after
one request or 30 seconds, whichever comes first.
"""
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from svix.webhooks import Webhook, WebhookVerificationError

secret = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k: v for k, v in self.headers.items()}
        try:
            Webhook(secret).verify(body, headers)
            lowered = {k.lower(): v for k, v in headers.items()}
            print("valid", lowered.get("svix-id") or lowered.get("webhook-id"), flush=True)
            self.send_response(204)
        except WebhookVerificationError as error:
            print("invalid", error, flush=True)
            self.send_response(401)
        self.end_headers()
        threading.Thread(target=self.server.shutdown).start()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Timer(30, server.shutdown).start()
server.serve_forever()
