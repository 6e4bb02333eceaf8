#!/usr/bin/env python3
"""Agent figures (Scripts/bench agent [TARGETS] [IDLE]): W2 (5 steps of `true`) on TARGETS agent targets beside the
same on TARGETS SSH targets (real sshd on loopback), both deployed by one `lander server` in one run; one command's
round trip through an agent and through an SSH runner session; the server's CPU and RSS with IDLE connected idle
agents, and how their reconnects spread after the server restarts. Prints medians; never passes or fails."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

lander = sys.argv[1]
targets = int(sys.argv[2]) if len(sys.argv) > 2 else 100
idle = int(sys.argv[3]) if len(sys.argv) > 3 else 500
runs = int(os.environ.get("RUNS", "3"))
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
scratch = tempfile.mkdtemp(prefix="lander-bench-agent-")
ws = os.path.join(scratch, "ws")
sshdir = os.path.join(scratch, "ssh")
agents = []


def run(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


REPEAT = ('return lander.template { params = { count = { type = "string" } },\n'
          '  run = function(ctx, p) for _ = 1, tonumber(p.count) do ctx.target:run { "true" } end end }\n')


def project(name, target_lines, steps, variables=""):
    os.makedirs(os.path.join(ws, name, "plugins", "repeat"), exist_ok=True)
    open(os.path.join(ws, name, "plugins", "repeat", "init.lua"), "w").write(REPEAT)
    text = (f"project: {name}\nplugins: [plugins]\n{variables}environments:\n  bench:\n    targets:\n"
            + target_lines + "steps:\n" + steps)
    open(os.path.join(ws, name, "lander.yml"), "w").write(text)


def write_workspace(ssh_config):
    w2 = "".join(f"  - {{ name: step{i}, on: all, run: [\"true\"] }}\n" for i in range(1, 6))
    ssh = lambda host: f"{{ ssh: {{ host: \"{host}\", config: \"{ssh_config}\" }}, roles: [all] }}"
    project("w2-agent", f"      \"a[1:{targets}]\": {{ agent: \"a{{n}}\", roles: [all] }}\n", w2)
    project("w2-ssh", f"      \"t[1:{targets}]\": {ssh('t{n}')}\n", w2)
    repeat = "  - { name: repeat, on: all, template: repeat, with: { count: \"{{count}}\" } }\n"
    project("rt-agent", "      a1: { agent: a1, roles: [all] }\n", repeat, 'variables: { count: "0" }\n')
    project("rt-ssh", f"      t1: {ssh('t1')}\n", repeat, 'variables: { count: "0" }\n')
    open(os.path.join(ws, "lander-workspace.yml"), "w").write(
        "workspace: bench\nmembers: [w2-agent, w2-ssh, rt-agent, rt-ssh]\n")


def set_count(name, count):
    path = os.path.join(ws, name, "lander.yml")
    lines = [f'variables: {{ count: "{count}" }}' if line.startswith("variables:") else line
             for line in open(path).read().split("\n")]
    open(path, "w").write("\n".join(lines))


def start_server(port=0):
    server = subprocess.Popen([lander, "server", "--workspace", ws, "--listen", f"127.0.0.1:{port}", "--max-running", "4"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    return server, int(line.rsplit(":", 1)[1].split()[0])


def api(port, token, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read() or b"null")


def connected(port, token):
    return sum(1 for agent in api(port, token, "GET", "/agents") if agent.get("connected_since"))


def start_agents(port, count, first=1):
    for i in range(first, first + count):
        token = run([lander, "server", "agent", "enroll", "--workspace", ws, "--environment", "bench",
                     "--roles", "all"]).stdout.strip()
        agents.append(subprocess.Popen(
            [lander, "agent", "--server", f"http://127.0.0.1:{port}", "--name", f"a{i}", "--work-dir",
             os.path.join(scratch, "agents", f"a{i}"), "--enroll", token],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def wait_connected(port, token, count, limit=300):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and connected(port, token) < count:
        time.sleep(0.5)
    return connected(port, token)


def deploy(port, token, name, count=None):
    env = dict(os.environ, LANDER_SERVER=f"http://127.0.0.1:{port}", LANDER_TOKEN=token)
    if count is not None:
        set_count(name, count)
    start = time.monotonic()
    subprocess.run([lander, "deploy", "-p", name, "-e", "bench", "--version", str(time.time_ns()), "--plain"],
                   cwd=ws, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return (time.monotonic() - start) * 1000


def usage(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    rss = int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0])
    return ticks / os.sysconf("SC_CLK_TCK"), rss


def main():
    subprocess.run([os.path.join(repo, "Scripts/sshd-targets"), "start", sshdir, str(targets)], check=True,
                   stdout=subprocess.DEVNULL)
    write_workspace(os.path.join(sshdir, "ssh_config"))
    server, port = start_server()
    token = run([lander, "server", "token", "create", "--workspace", ws, "--role", "admin", "--name", "bench"]).stdout.strip()
    try:
        start_agents(port, targets)
        print(f"agents connected: {wait_connected(port, token, targets)} of {targets}")
        w2 = {"agent": [], "ssh": []}
        for _ in range(runs + 1):
            for kind in ["agent", "ssh"]:
                w2[kind].append(deploy(port, token, f"w2-{kind}"))
        for kind in ["agent", "ssh"]:
            times = w2[kind][1:]
            print(f"W2 {targets} {kind} targets: median {statistics.median(times):.0f} ms over {len(times)} runs "
                  f"({', '.join(f'{t:.0f}' for t in times)})")
        ratio = statistics.median(w2["agent"][1:]) / statistics.median(w2["ssh"][1:])
        print(f"W2 agent / ssh: {ratio:.2f}")
        count = 200
        for kind in ["agent", "ssh"]:
            deploy(port, token, f"rt-{kind}", 1)
            empty = [deploy(port, token, f"rt-{kind}", 0) for _ in range(runs)]
            full = [deploy(port, token, f"rt-{kind}", count) for _ in range(runs)]
            per = (statistics.median(full) - statistics.median(empty)) / count
            print(f"one command's round trip through {'an agent' if kind == 'agent' else 'an SSH runner session'}: "
                  f"{per:.2f} ms ({count} commands in one template, median of {runs}, less an empty run)")
        cpu0, _ = usage(server.pid)
        start_agents(port, idle - targets, first=targets + 1)
        print(f"agents connected: {wait_connected(port, token, idle, limit=600)} of {idle}")
        time.sleep(5)
        cpu1, rss = usage(server.pid)
        time.sleep(30)
        cpu2, rss2 = usage(server.pid)
        print(f"server with {idle} idle agents: {100 * (cpu2 - cpu1) / 30:.1f}% of one core over 30 s, "
              f"RSS {rss2 / 1024:.0f} MiB")
        server.kill()
        server.wait()
        restarted = time.monotonic()
        server, port = start_server(port)
        seen, marks = 0, []
        while seen < idle and time.monotonic() - restarted < 120:
            now = connected(port, token)
            if now > seen:
                marks.append((time.monotonic() - restarted, now))
                seen = now
            time.sleep(0.25)
        firsts = [t for t, n in marks]
        half = next((t for t, n in marks if n >= idle / 2), None)
        print(f"after a restart: first agent back at {firsts[0]:.1f} s, half at {half or float('nan'):.1f} s, "
              f"{seen} of {idle} by {marks[-1][0]:.1f} s")
    finally:
        for agent in agents:
            agent.kill()
        server.kill()
        subprocess.run([os.path.join(repo, "Scripts/sshd-targets"), "stop", sshdir])
        shutil.rmtree(scratch, ignore_errors=True)


main()
