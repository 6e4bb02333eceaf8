#!/usr/bin/env python3
"""A small HTTP backend for the rolling tests: backend.py NAME PORT (binds 127.0.0.1 only).

GET /_status  -> 200 "OK NAME VERSION"   (HAProxy's health check, http-status)
GET /_version -> 200 "VERSION"           (version-check)
GET /slow?s=N -> 200 "slow NAME VERSION" after N seconds (default 1.5): a request in flight during a drain
GET /*        -> 200 "hello from NAME VERSION" after 20 ms of "work"
VERSION is $APP_VERSION. SIGTERM: stop accepting, finish what is in flight, exit.
A file named `unhealthy` in the working directory turns /_status into 503 (a sick machine). A VERSION
starting with `crash` is a bad release: it answers for a second after starting, then dies.
"""
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

name, port = sys.argv[1], int(sys.argv[2])
version = os.environ.get("APP_VERSION", "v1")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        code = 200
        if self.path == "/_status":
            if os.path.exists("unhealthy"):
                code, body = 503, f"SICK {name} {version}\n"
            else:
                body = f"OK {name} {version}\n"
        elif self.path == "/_version":
            body = f"{version}\n"
        elif self.path.startswith("/slow"):
            time.sleep(float(self.path.partition("s=")[2] or 1.5))
            body = f"slow {name} {version}\n"
        else:
            time.sleep(0.02)
            body = f"hello from {name} {version}\n"
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    request_queue_size = 128


time.sleep(0.3)  # start-up work before the port opens
server = Server(("127.0.0.1", port), Handler)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
if version.startswith("crash"):
    threading.Timer(1.0, lambda: os._exit(1)).start()
server.serve_forever()
server.server_close()
