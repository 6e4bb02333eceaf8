#!/usr/bin/env python3
"""A webhook receiver for Lander's tests: checks each POST's HMAC-SHA256 signature and records it.

usage: webhook_listener.py PORT_FILE LOG_FILE SECRET [--fail N] [--hold FILE]

Listens on 127.0.0.1 (a port the system picks, written to PORT_FILE). Every request is appended to LOG_FILE
as one JSON line (headers, body, whether the signature is right, the status answered). The first N requests
are answered 500; while FILE exists, a request is recorded and then held unanswered until FILE is removed.
"""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, log_file, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
fail = int(sys.argv[sys.argv.index("--fail") + 1]) if "--fail" in sys.argv else 0
hold = sys.argv[sys.argv.index("--hold") + 1] if "--hold" in sys.argv else None
lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        with lock:
            count += 1
            number = count
        held = hold is not None and os.path.exists(hold)
        status = 500 if number <= fail else 200
        entry = {
            "number": number,
            "received_at": time.time(),
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "signature_ok": hmac.compare_digest(expected, self.headers.get("X-Lander-Signature-256", "")),
            "status": status,
            "held": held,
        }
        with lock, open(log_file, "a") as log:
            log.write(json.dumps(entry) + "\n")
        while held and os.path.exists(hold):
            time.sleep(0.05)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
