#!/usr/bin/env python3
"""Subscription figures (Scripts/bench subscriptions [N]): what a webhook subscription adds to `lander deploy`,
and how long an event takes from being recorded to reaching a real HTTP receiver, from the deploying command
and from `lander server`. Prints medians; never passes or fails."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

lander, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
scratch = tempfile.mkdtemp(prefix="lander-bench-subs-")
secret = "bench-secret"
env = dict(os.environ, HOOK_SECRET=secret, BILLING_API_KEY="k")


def workspace(name, settings):
    root = os.path.join(scratch, name)
    shutil.copytree(os.path.join(repo, "Tests/Fixtures/subscriptions"), root)
    path = os.path.join(root, "lander-workspace.yml")
    text = open(path).read().replace("@SETTINGS@", settings)
    open(path, "w").write(text)
    return root


def deploy_times(root, count):
    times = []
    for i in range(count):
        start = time.monotonic()
        subprocess.run([lander, "deploy", "-f", "checkout/lander.yml", "-e", "test", "--version", f"1.{i}", "--plain"],
                       cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.monotonic() - start) * 1000)
    return times


def requests(log):
    if not os.path.exists(log):
        return []
    return [json.loads(line) for line in open(log) if line.strip()]


def latencies(log):
    out = []
    for entry in requests(log):
        body = json.loads(entry["body"])
        stamp = time.mktime(time.strptime(body["time"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        stamp += float("0." + body["time"][20:23])
        out.append((entry["received_at"] - stamp) * 1000)
    return out


port_file, log = os.path.join(scratch, "port"), os.path.join(scratch, "log")
listener = subprocess.Popen([sys.executable, os.path.join(repo, "Tests/Helpers/webhook_listener.py"), port_file, log, secret],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while not os.path.exists(port_file):
        time.sleep(0.02)
    url = f"http://127.0.0.1:{open(port_file).read()}/bench"
    hook = f"""subscriptions:
  - name: hook
    events: [deployment_started, deployment_succeeded]
    webhook: {{ url: "{url}", secret: {{ secret: HOOK_SECRET }} }}
"""
    plain = deploy_times(workspace("plain", ""), runs)
    subscribed = deploy_times(workspace("subscribed", hook), runs)
    cli = latencies(log)
    print(f"lander deploy (1 local target), median of {runs}: {statistics.median(plain):.0f} ms without subscriptions, "
          f"{statistics.median(subscribed):.0f} ms with a webhook subscription "
          f"({statistics.median(subscribed) / statistics.median(plain):.2f}×)")
    print(f"event recorded → receiver, sent by the deploying command: median {statistics.median(cli):.0f} ms, "
          f"max {max(cli):.0f} ms over {len(cli)} events")
    os.remove(log)
    root = workspace("served", hook)
    server = subprocess.Popen([lander, "server", "--workspace", root, "--listen", "127.0.0.1:0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    api = line.strip().split(" on ")[-1].split()[0]
    token = subprocess.run([lander, "server", "token", "create", "--workspace", root, "--role", "deployer"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    for i in range(runs):
        request = urllib.request.Request(f"{api}/api/v1/deployments", method="POST",
                                         data=json.dumps({"project": "checkout", "environment": "test", "version": f"2.{i}"}).encode(),
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
        time.sleep(0.3)
    deadline = time.time() + 30
    while len(requests(log)) < 2 * runs and time.time() < deadline:
        time.sleep(0.1)
    served = latencies(log)
    server.terminate()
    server.wait(timeout=60)
    print(f"event recorded → receiver, sent by lander server (woken by its events): median {statistics.median(served):.0f} ms, "
          f"max {max(served):.0f} ms over {len(served)} events")
finally:
    listener.kill()
    shutil.rmtree(scratch, ignore_errors=True)
