#!/usr/bin/env bash
# Phone home's added latency, from a local and from an SSH caller (Scripts/bench phone-home [CALLS]): the
# median round trip of (1) `GET /v1/calls/none` with the caller's token (answered 404 at once: curl, HTTP,
# over SSH the forwarded socket: the way home alone) and (2) `lander-call ping`, a job running `true` on
# one local cluster-B target (the way home, the client, and the job's own deployment: plan, record,
# events). B is the same local target for both callers, so the difference is the caller's way home.
# Release build; figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-30}
type release_build >/dev/null 2>&1 || release_build() { swift build -c release --product "$1"; }
release_build lander
lander=$PWD/.build/release/lander
work=$(mktemp -d /tmp/lander-bench-phone-XXXXXX)
sshd_dir=$work/sshd
trap 'Scripts/sshd-targets stop "$sshd_dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
Scripts/sshd-targets start "$sshd_dir" 1 >/dev/null
read -r _ _ root1 < <(sed -n 1p "$sshd_dir/targets")

caller='
url=$LANDER_CALLBACK_URL; set --; base=$url
case $url in unix:*) set -- --unix-socket "${url#unix:}"; base=http://lander ;; esac
ns() { date +%s%N; }
for i in $(seq 1 '"$calls"'); do
  s=$(ns); printf x | curl -s -K - -o /dev/null file:///dev/null; e=$(ns); echo "curl $(( (e - s) / 1000 ))"
done > times.txt
for i in $(seq 1 '"$calls"'); do
  s=$(ns); printf '"'"'header = "Authorization: Bearer %s"\n'"'"' "$LANDER_CALLBACK_TOKEN" |
    curl -s -K - -o /dev/null "$@" "$base/v1/calls/none"; e=$(ns); echo "refused $(( (e - s) / 1000 ))"
done >> times.txt
for i in $(seq 1 '"$calls"'); do
  s=$(ns); lander-call ping > /dev/null; e=$(ns); echo "call $(( (e - s) / 1000 ))"
done >> times.txt'

project() { # NAME TARGETS-YAML
    mkdir -p "$work/$1"
    printf '%s\n' "$caller" >"$work/$1/caller.sh"
    cat >"$work/$1/lander.yml" <<YAML
project: bench-$1
environments:
  bench:
$2
jobs:
  ping:
    callers: [a]
    per_call: true
    steps:
      - { name: ping, on: b, run: ["true"] }
steps:
  - { name: x, on: a, run: [sh, $work/$1/caller.sh] }
YAML
}
project local "    targets:
      a1: { root: $work/local/a1, roles: [a] }
      b1: { root: $work/local/b1, roles: [b] }"
project ssh "    ssh: { config: $sshd_dir/ssh_config }
    targets:
      t1: { ssh: t1, root: $root1, roles: [a] }
      b1: { transport: local, root: $work/ssh/b1, roles: [b] }"

"$lander" deploy -f "$work/local/lander.yml" -e bench --version 1 --plain >/dev/null
"$lander" deploy -f "$work/ssh/lander.yml" -e bench --version 1 --plain >/dev/null
python3 - "$work/local/a1/times.txt" "$root1/times.txt" "$calls" <<'PY'
import statistics, sys
def medians(path):
    rows = [line.split() for line in open(path)]
    return {kind: statistics.median(int(v) for k, v in rows if k == kind) / 1000 for kind in ("curl", "refused", "call")}
local, ssh = medians(sys.argv[1]), medians(sys.argv[2])
print(f"phone home, median of {sys.argv[3]} calls each (ms)   local   ssh")
print(f"  curl alone (file:///dev/null, no network) {local['curl']:6.2f} {ssh['curl']:6.2f}")
print(f"  the way home (GET, answered 404)        {local['refused']:6.2f} {ssh['refused']:6.2f}")
print(f"  lander-call ping (job: true on 1 target) {local['call']:6.2f} {ssh['call']:6.2f}")
print(f"  the way home beyond curl itself           {local['refused'] - local['curl']:6.2f} {ssh['refused'] - ssh['curl']:6.2f}")
print(f"  ssh over local: way home {ssh['refused'] - local['refused']:+.2f} ms, whole call {ssh['call'] - local['call']:+.2f} ms")
PY
