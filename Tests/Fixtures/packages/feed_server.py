#!/usr/bin/env python3
"""A package feed over HTTP for the tests: feed_server.py DIRECTORY PORTFILE (binds 127.0.0.1, port chosen
by the kernel and written to PORTFILE). Serves DIRECTORY's files; GET /_stats answers a JSON object
{path: {"requests": n, "bytes": n}} of what it served, so a test can count bytes that left the feed."""
import json
import os
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

root, port_file = sys.argv[1], sys.argv[2]
stats, lock = {}, threading.Lock()


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                body = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def copyfile(self, source, destination):
        sent = 0
        while chunk := source.read(65536):
            destination.write(chunk)
            sent += len(chunk)
        with lock:
            entry = stats.setdefault(self.path, {"requests": 0, "bytes": 0})
            entry["requests"] += 1
            entry["bytes"] += sent

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
