#!/usr/bin/env python3
"""A rolling deployment behind a real HAProxy under load, end to end, with its figures.

Scripts/e2e rolling [--targets N] [--batch B] [--settle S] [--runs R] [--lander PATH]

Starts N backends (Tests/Fixtures/rolling/backend.py) and HAProxy in front of them on 127.0.0.1 with
ports chosen at run time, runs 8 client loops through HAProxy for the whole of R rollouts (each to a new
version, restarting every backend), and prints requests served and failed, and per batch the wall time,
the time in the step's tasks, the configured waits (settle) and the drain wait, and what is left: the time
Lander adds. Everything started is stopped at the end. Figures only; never pass/fail on a time.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "rolling")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runtime_api(path, command):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode()


def up_servers(sock):
    try:
        reply = runtime_api(sock, "show stat")
    except OSError:
        return 0
    header, count = [], 0
    for line in reply.splitlines():
        if line.startswith("# "):
            header = line[2:].split(",")
        elif line.startswith("be,") and not line.startswith("be,BACKEND") and header:
            if line.split(",")[header.index("status")].startswith("UP"):
                count += 1
    return count


class Load:
    """Client loops through the load balancer, each request on a new connection."""

    def __init__(self, port, loops=8):
        self.port, self.running = port, True
        self.ok = self.failed = 0
        self.failures = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(loops)]
        for thread in self.threads:
            thread.start()

    def loop(self):
        while self.running:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                connection.request("GET", "/", headers={"Connection": "close"})
                status = connection.getresponse().status
                connection.close()
                error = None if status == 200 else f"HTTP {status}"
            except OSError as e:
                error = str(e)
            with self.lock:
                if error is None:
                    self.ok += 1
                else:
                    self.failed += 1
                    if len(self.failures) < 5:
                        self.failures.append(error)

    def counts(self):
        with self.lock:
            return self.ok, self.failed

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join()


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def batch_figures(events, settle):
    """Per batch: wall, longest task, drain wait, settle, and the rest (what Lander adds)."""
    batches, current = [], None
    for event in events:
        t = parse_time(event["time"])
        if event["event"] == "log" and event.get("message", "").startswith("batch "):
            current = {"start": t, "end": t, "task": 0.0, "drain": {}, "drain_wait": 0.0, "settled": False}
            batches.append(current)
        elif current is None:
            continue
        elif event["event"] == "target_finished":
            current["task"] = max(current["task"], event.get("duration_seconds", 0.0))
        elif event["event"] == "target_state":
            state, target = event["state"], event["target"]
            current["end"] = t
            if state == "draining":
                current["drain"][target] = t
            elif state == "deploying" and target in current["drain"]:
                current["drain_wait"] = max(current["drain_wait"], t - current["drain"][target])
            elif state == "settling":
                current["settled"] = True
    rows = []
    for batch in batches:
        wall = batch["end"] - batch["start"]
        waits = batch["drain_wait"] + (settle if batch["settled"] else 0.0)
        rows.append((wall, batch["task"], batch["drain_wait"], settle if batch["settled"] else 0.0,
                     wall - batch["task"] - waits))
    return rows


def seconds(text):
    text = text.strip()
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=4)
    parser.add_argument("--batch", default="1")
    parser.add_argument("--settle", default="1s")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lander", default=os.path.join(ROOT, ".build", "debug", "lander"))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="lander-e2e-rolling-")
    frontend, ports = free_port(), [free_port() for _ in range(args.targets)]
    sock = os.path.join(work, "haproxy.sock")
    haproxy, load = None, None
    try:
        for i, port in enumerate(ports):
            os.makedirs(os.path.join(work, f"t{i + 1}"))
            subprocess.run([os.path.join(FIXTURES, "restart.sh"), f"s{i + 1}", str(port), "v1"],
                           cwd=os.path.join(work, f"t{i + 1}"), check=True)
        servers = "\n".join(f"    server s{i + 1} 127.0.0.1:{port} check" for i, port in enumerate(ports))
        config = os.path.join(work, "haproxy.cfg")
        with open(config, "w") as f:
            with open(os.path.join(FIXTURES, "haproxy.cfg")) as template:
                f.write(template.read().replace("@SOCKET@", sock).replace("@ADMIN_PORT@", str(free_port()))
                        .replace("@FRONTEND_PORT@", str(frontend)).replace("@SERVERS@", servers))
        haproxy = subprocess.Popen(["haproxy", "-db", "-f", config], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while up_servers(sock) < args.targets and time.time() < deadline:
            time.sleep(0.05)
        if up_servers(sock) < args.targets:
            sys.exit("e2e rolling: HAProxy did not see every backend UP")

        targets = "".join(
            f"""      t{i + 1}:
        root: {os.path.join(work, f"t{i + 1}")}
        roles: [app]
        variables: {{ server: s{i + 1}, port: "{port}", base_url: "http://127.0.0.1:{port}", status_url: "http://127.0.0.1:{port}/_status" }}
""" for i, port in enumerate(ports))
        project = os.path.join(work, "lander.yml")
        with open(project, "w") as f:
            f.write(f"""project: shop
plugins: [{os.path.join(ROOT, "Plugins")}]
environments:
  prod:
    targets:
{targets}
steps:
  - name: restart
    on: app
    rolling:
      batch: {args.batch}
      drain: {{ hook: haproxy, with: {{ socket: {sock}, backend: be, server: "{{{{server}}}}" }} }}
      settle: {args.settle}
      verify_fleet: {{ hook: version-check, with: {{ path: /_version }} }}
    run: [{os.path.join(FIXTURES, "restart.sh")}, "{{{{server}}}}", "{{{{port}}}}", "{{{{release.version}}}}"]
""")
        load = Load(frontend)
        time.sleep(0.5)
        settle = seconds(args.settle)
        overheads, whole, total_ok, total_failed = [], [], 0, 0
        print(f"{args.targets} backends behind HAProxy, batch {args.batch}, settle {args.settle}, "
              f"8 client loops through HAProxy; lander {args.lander}")
        for run in range(args.runs):
            version = f"v{run + 2}"
            before = load.counts()
            started = time.time()
            result = subprocess.run([args.lander, "deploy", "-f", project, "-e", "prod", "--version", version,
                                     "--json", "--state", os.path.join(work, "state.db")],
                                    capture_output=True, text=True)
            wall = time.time() - started
            after = load.counts()
            ok, failed = after[0] - before[0], after[1] - before[1]
            total_ok, total_failed = total_ok + ok, total_failed + failed
            events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
            rows = batch_figures(events, settle)
            outcome = next((e["outcome"] for e in events if e["event"] == "deployment_finished"), "?")
            print(f"\nrollout {run + 1} → {version}: {outcome} in {wall:.2f} s; requests served {ok}, failed {failed}")
            if result.returncode != 0:
                errors = [e.get("error") or e.get("message") for e in events if e.get("error") or e.get("level") == "error"]
                print("  " + "\n  ".join(filter(None, errors + [result.stderr.strip()])))
            print("  batch   wall     tasks    drain    settle   Lander adds")
            for number, (batch_wall, task, drain, settled, rest) in enumerate(rows, 1):
                print(f"  {number:>5}   {batch_wall:5.2f} s  {task:5.2f} s  {drain:5.2f} s  {settled:5.2f} s  {rest:5.2f} s")
                overheads.append(rest)
            if rows:
                beyond = wall - sum(task + drain + settled for _, task, drain, settled, _ in rows)
                whole.append(beyond / len(rows))
                print(f"  the whole command beyond tasks, drains and settles (start, plan, store, checks, "
                      f"verify_fleet): {beyond:.2f} s = {beyond / len(rows):.2f} s per batch")
        print(f"\nall rollouts: requests served {total_ok}, failed {total_failed}"
              + (f" (first: {load.failures})" if load.failures else ""))
        if overheads:
            print(f"Lander's time per batch beyond the tasks, the drain and settle: median {statistics.median(overheads):.2f} s, "
                  f"max {max(overheads):.2f} s over {len(overheads)} batches (aim: under 1 s)")
            print(f"the whole command's time beyond tasks, drains and settles, per batch: median "
                  f"{statistics.median(whole):.2f} s over {len(whole)} rollouts")
    finally:
        if load:
            load.stop()
        if haproxy:
            haproxy.send_signal(signal.SIGTERM)
            try:
                haproxy.wait(5)
            except subprocess.TimeoutExpired:
                haproxy.kill()
        for i in range(args.targets):
            try:
                with open(os.path.join(work, f"t{i + 1}", "backend.pid")) as f:
                    os.kill(int(f.read().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
