#!/bin/sh
# restart.sh NAME PORT VERSION: stops the backend in this directory abruptly (SIGKILL: requests in flight
# are cut, as when a process is replaced without care), starts VERSION in the background, and waits until
# it answers its status path. Only draining first keeps clients from noticing.
name=$1 port=$2 version=$3
here=$(dirname "$0")
if [ -f backend.pid ]; then
  pid=$(cat backend.pid)
  kill -9 "$pid" 2>/dev/null
  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
fi
APP_VERSION=$version setsid python3 "$here/backend.py" "$name" "$port" </dev/null >>backend.log 2>&1 &
echo $! > backend.pid
i=0
while [ $i -lt 200 ]; do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/_status', timeout=1)" 2>/dev/null && exit 0
  sleep 0.05; i=$((i + 1))
done
echo "backend $name did not answer on port $port" >&2
exit 1
