#!/usr/bin/env python3
"""Figures for `lander server` (Scripts/bench server): never pass/fail.

1. Reads under load: a workspace of 50 projects x 5 environments, each deployed once; GET /api/v1/status and
   GET /api/v1/deployments/ID at a fixed 100 requests/s (half each) for DURATION seconds; p50/p99 latency,
   with the store idle, then while a 100-target deployment writes to it (answers kept between commits
   cannot be served then).
2. Followers: one deployment of 100 local targets x 5 steps followed by 200 SSE clients at once; server CPU
   seconds and peak RSS during it, and whether every client saw every event.
"""
import json, os, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

lander, duration = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 20
work = tempfile.mkdtemp(prefix="lander-bench-server-")
environments = ["dev", "test", "stage", "prod", "dr"]
members = [f"p{i:02d}" for i in range(50)] + ["wide"]
for name in members[:-1]:
    os.makedirs(f"{work}/{name}")
    with open(f"{work}/{name}/lander.yml", "w") as f:
        f.write(f"project: {name}\nenvironments:\n")
        for e in environments:
            f.write(f"  {e}:\n    targets:\n      t: {{ root: .lander/t/{e}, roles: [app] }}\n")
        f.write("steps:\n  - { name: s, on: app, run: [\"true\"] }\n")
os.makedirs(f"{work}/wide")
with open(f"{work}/wide/lander.yml", "w") as f:
    f.write("project: wide\nenvironments:\n  dev:\n    targets:\n")
    f.write('      "t[001:100]": { root: ".lander/t/{n}", roles: [app] }\nsteps:\n')
    for s in range(5):
        f.write(f'  - {{ name: s{s}, on: app, run: [sh, -c, "echo step {s} on $LANDER_TARGET"] }}\n')
with open(f"{work}/lander-workspace.yml", "w") as f:
    f.write("workspace: bench\nmembers: [" + ", ".join(members) + "]\n")

token = subprocess.run([lander, "server", "token", "create", "--workspace", work, "--role", "deployer"],
                       capture_output=True, text=True, check=True).stdout.strip()
server = subprocess.Popen([lander, "server", "--workspace", work, "--listen", "127.0.0.1:0", "--max-running", "8"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
line = server.stdout.readline()
port = int(line.split("127.0.0.1:")[1].split()[0])
base = f"http://127.0.0.1:{port}/api/v1"

def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        sys.exit(f"{method} {path}: HTTP {error.code}: {error.read().decode()[:300]}")

def wait(ids):
    for i in ids:
        while call("GET", f"/deployments/{i}")["state"] in ("queued", "waiting", "running"):
            time.sleep(0.05)

ids = [call("POST", "/deployments", {"project": p, "environment": e, "version": "1.0"})["id"]
       for p in members[:-1] for e in environments]
wait(ids)

lock = threading.Lock()
def reads(seconds, busy=None):
    """GET /status and GET /deployments/ID alternately at 100 requests/s; stops early when `busy` ends."""
    latencies = {"status": [], "deployment": []}
    def one(kind, path):
        start = time.perf_counter()
        call("GET", path)
        with lock:
            latencies[kind].append((time.perf_counter() - start) * 1000)
    threads, start, n = [], time.perf_counter(), 0
    while time.perf_counter() - start < seconds and (busy is None or busy.is_alive()):
        kind, path = ("status", "/status") if n % 2 == 0 else ("deployment", f"/deployments/{ids[n % len(ids)]}")
        t = threading.Thread(target=one, args=(kind, path)); t.start(); threads.append(t)
        n += 1
        time.sleep(max(0, start + n / 100 - time.perf_counter()))
    for t in threads: t.join()
    return latencies

idle = reads(duration)
def write_for(seconds):
    begun, n = time.perf_counter(), 0
    while time.perf_counter() - begun < seconds:
        n += 1
        wait([call("POST", "/deployments", {"project": "wide", "environment": "dev", "version": f"0.{n}"})["id"]])
writer = threading.Thread(target=write_for, args=(duration,))
writer.start()
during = reads(duration, busy=writer)
writer.join()

def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]

def cpu_and_rss(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
    rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
    return cpu, int(hwm) // 1024, int(rss) // 1024

cpu0, _, rss0 = cpu_and_rss(server.pid)
queued = call("POST", "/deployments", {"project": "wide", "environment": "dev", "version": "1.0"})["id"]
counts = []
def follow():
    request = urllib.request.Request(f"{base}/deployments/{queued}/events", headers={"Authorization": f"Bearer {token}"})
    seen, named = set(), False
    with urllib.request.urlopen(request, timeout=600) as response:
        for raw in response:
            text = raw.decode().rstrip("\n")
            if text.startswith("event: "): named = True
            elif text == "": named = False
            elif text.startswith("data: ") and not named: seen.add(json.loads(text[6:])["sequence"])
    with lock:
        counts.append(seen)
clients = [threading.Thread(target=follow) for _ in range(200)]
wall = time.perf_counter()
for c in clients: c.start()
for c in clients: c.join()
wall = time.perf_counter() - wall
cpu1, hwm, rss1 = cpu_and_rss(server.pid)
total = max(max(s) for s in counts if s)
complete = sum(1 for s in counts if s == set(range(1, total + 1)))
server.terminate(); server.wait()

print(f"lander server, workspace of 50 projects x 5 environments (250 deployments recorded), 100 req/s:")
for title, latencies in (("store idle", idle), ("while 100-target deployments write, one after another", during)):
    print(f" {title}:")
    for kind in ("status", "deployment"):
        v = latencies[kind]
        print(f"  GET {'/status' if kind == 'status' else '/deployments/ID':18} {len(v):5d} requests  p50 {pct(v, .5):7.2f} ms  p99 {pct(v, .99):7.2f} ms")
print(f"200 SSE clients following one deployment of 100 targets x 5 steps ({total} events):")
print(f"  {complete}/200 clients saw every event; {wall:.1f} s wall; server CPU {cpu1 - cpu0:.2f} s; RSS {rss0} -> {rss1} MB (peak {hwm} MB)")
