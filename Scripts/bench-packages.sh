#!/usr/bin/env bash
# Scripts/bench packages [N]: a 50 MB package (the harness's W3 blob) to N sshd targets (default 40), with
# the peer harness in ../shared/bench (prepare.sh once). Prints wall times (hyperfine, cold: no ssh master
# survives between runs, targets emptied) for push, for the parallel scp floor, for pull from a mirror and
# for a redeploy of the same release, then the bytes that left the orchestrator for each, and for a
# version that changed 1% of the file. Figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-40}
harness=$(cd "${LANDER_PEER_HARNESS:-../shared/bench}" && pwd)
type release_build >/dev/null 2>&1 || release_build() { swift build -c release --product "$1"; }
release_build lander
lander=$PWD/.build/release/lander
. "$harness/env.sh"
"$H/setup_targets.sh" "$n" >/dev/null
work=$PERF/run/lander_packages_$n
rm -rf "$work"
mkdir -p "$work/feed/app/1.0.0" "$work/feed/app/1.0.1"
cp "$BLOB" "$work/feed/app/1.0.0/app.bin"
cp "$BLOB" "$work/feed/app/1.0.1/app.bin"
# 1.0.1 differs from 1.0.0 in 1% of its bytes (500 kB in the middle).
size=$(stat -c %s "$BLOB")
python3 - "$work/feed/app/1.0.1/app.bin" "$size" <<'PY'
import os, sys
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(size // 2)
    f.write(os.urandom(size // 100))
PY
for v in 1.0.0 1.0.1; do (cd "$work/feed/app/$v" && sha256sum app.bin >SHA256SUMS); done

port_file=$work/mirror.port
python3 Tests/Fixtures/packages/feed_server.py "$work/feed" "$port_file" >/dev/null 2>&1 &
mirror_pid=$!
trap 'kill $mirror_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
mirror=http://127.0.0.1:$(cat "$port_file")

for mode in push pull; do
    {
        echo "project: bench-packages"
        echo "packages:"
        echo "  - { id: app, feed: $work/feed, unpack: file, destination: pkg }"
        echo "environments:"
        echo "  bench:"
        echo "    ssh: { config: $SSH_CFG }"
        [ "$mode" = pull ] && echo "    acquisition: pull" && echo "    mirror: $mirror"
        echo "    targets:"
        for i in $(seq 1 "$n"); do
            name=$(tname "$i")
            echo "      $name: { ssh: $name, root: $TARGETS/$name, roles: [all] }"
        done
        echo "steps:"
        echo "  - { name: check, on: all, run: [test, -s, pkg/app.bin] }"
    } >"$work/$mode.yml"
done

# deploy MODE VERSION [options]: one deployment of the bench project (a script, so hyperfine can run it).
cat >"$work/deploy" <<SH
#!/usr/bin/env bash
exec "$lander" deploy -f "$work/\$1.yml" -e bench --version "\$2" --package "app=\$2" --state "$work/state.db" "\${@:3}"
SH
chmod +x "$work/deploy"
deploy() { "$work/deploy" "$@"; }
cold="$H/close_masters.sh >/dev/null 2>&1; rm -rf $TARGETS/t*/* $TARGETS/t*/.lander"
hyperfine --runs "${RUNS:-3}" --warmup 1 --style basic --export-json "$work/cold.json" --prepare "$cold" \
    -n "lander push $n" "$work/deploy push 1.0.0 --plain" \
    -n "floor scp $n" "$H/floor/w3_scp.sh $n" \
    -n "lander pull (mirror) $n" "$work/deploy pull 1.0.0 --plain"
bash -c "$cold"
deploy push 1.0.0 --plain >/dev/null
hyperfine --runs "${RUNS:-3}" --style basic --export-json "$work/redeploy.json" \
    --prepare "$H/close_masters.sh >/dev/null 2>&1" -n "lander redeploy $n" "$work/deploy push 1.0.0 --plain"

echo
echo "Bytes that left the orchestrator (package bytes, from Lander's summary; the mirror's own count for pull):"
summary() { deploy "$@" --plain | grep -o 'packages: .*' || true; }
bash -c "$cold"
echo "  push 1.0.0 to empty targets:  $(summary push 1.0.0)"
echo "  redeploy 1.0.0:               $(summary push 1.0.0)"
echo "  push 1.0.1 (1% changed):      $(summary push 1.0.1)"
bash -c "$cold"
before=$(curl -fsS "$mirror/_stats")
line=$(summary pull 1.0.0)
after=$(curl -fsS "$mirror/_stats")
served=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); k="/app/1.0.0/app.bin"; print(b.get(k,{}).get("bytes",0)-a.get(k,{}).get("bytes",0))' "$before" "$after")
echo "  pull 1.0.0 from the mirror:   $line; the mirror served $served bytes"
python3 - "$work/cold.json" "$work/redeploy.json" <<'PY'
import json, statistics, sys
rows = []
for path in sys.argv[1:]:
    for result in json.load(open(path))["results"]:
        rows.append((result["command"], statistics.median(result["times"])))
print("\nmedians:")
for name, median in rows:
    print(f"  {name:28} {median:6.2f} s")
times = dict(rows)
push = next(v for k, v in times.items() if k.startswith("lander push"))
floor = next(v for k, v in times.items() if k.startswith("floor"))
print(f"  push ÷ scp floor: {push / floor:.2f}× (aim ≤ 1.1×)")
PY
