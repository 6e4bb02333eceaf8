#!/usr/bin/env python3
"""Deployments completed per minute by one and by three `lander server`s sharing one PostgreSQL store.

Usage: bench-servers.py LANDER POSTGRES_URL [DEPLOYMENTS]

The same workload each time: DEPLOYMENTS requests queued at once over ten projects (one local target,
two steps of 0.2 s), each server running at most 4 at a time. Prints the median of three runs per count.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

LANDER, URL = sys.argv[1], sys.argv[2]
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 60
PROJECTS = 10
PARTS = urllib.parse.urlparse(URL)
ENV = dict(os.environ, PGPASSWORD=PARTS.password or "")


def store(database):
    return f"postgres://{PARTS.username}@{PARTS.hostname}:{PARTS.port}/{database}"


def workspace(root):
    members = [f"p{n}" for n in range(PROJECTS)]
    with open(os.path.join(root, "lander-workspace.yml"), "w") as f:
        f.write(f"workspace: bench\nmembers: [{', '.join(members)}]\n")
    for name in members:
        os.makedirs(os.path.join(root, name))
        with open(os.path.join(root, name, "lander.yml"), "w") as f:
            f.write(
                f"project: {name}\nenvironments:\n  test:\n    targets:\n"
                "      t-1: { root: .lander/targets/test/t-1, roles: [app] }\n"
                "steps:\n  - { name: one, on: app, run: [sleep, '0.2'] }\n"
                "  - { name: two, on: app, run: [sleep, '0.2'] }\n")


def request(base, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as answer:
        return json.loads(answer.read())


def run(servers, round_):
    root = tempfile.mkdtemp(prefix="lander-bench-servers-")
    database = f"bench_{servers}_{round_}_{os.getpid()}"
    subprocess.run(["psql", "-q", URL, "-c", f"CREATE DATABASE {database}"], check=True, env=ENV)
    processes = []
    try:
        workspace(root)
        common = ["--workspace", root, "--store", store(database)]
        token = subprocess.run(
            [LANDER, "server", "token", "create", "--role", "deployer", "--name", "bench"] + common,
            check=True, capture_output=True, text=True, env=ENV).stdout.strip()
        bases = []
        for _ in range(servers):
            process = subprocess.Popen(
                [LANDER, "server", "--listen", "127.0.0.1:0", "--max-running", "4"] + common,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
            processes.append(process)
            line = process.stdout.readline()
            bases.append("http://" + re.search(r"127\.0\.0\.1:\d+", line).group(0))
        start = time.monotonic()
        ids = []
        for index in range(COUNT):
            body = {"project": f"p{index % PROJECTS}", "environment": "test", "version": f"v{index}"}
            ids.append(request(bases[index % servers], "POST", "/api/v1/deployments", token, body)["id"])
        waiting = set(ids)
        while waiting:
            for id_ in list(waiting):
                state = request(bases[0], "GET", f"/api/v1/deployments/{id_}", token)["state"]
                if state in ("succeeded", "failed", "cancelled", "refused"):
                    if state != "succeeded":
                        raise SystemExit(f"deployment {id_} {state}")
                    waiting.discard(id_)
            time.sleep(0.2)
        return time.monotonic() - start
    finally:
        for process in processes:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


print(f"servers: {COUNT} deployments over {PROJECTS} projects (2 steps of 0.2 s each), --max-running 4 per server")
results = {}
for servers in (1, 3):
    times = [run(servers, round_) for round_ in range(3)]
    results[servers] = statistics.median(times)
    print(f"  {servers} server(s): median {results[servers]:.1f} s, {COUNT / results[servers] * 60:.0f} deployments/min")
print(f"  three servers / one: {results[1] / results[3]:.2f}x the deployments per minute")
