#!/usr/bin/env bash
# Soak test: the real qunzhu binary at a steady load through HTTP for a
# while (30 minutes by default), its resident memory, heap and goroutines
# sampled from /metrics every 10 s into a CSV, then drawn into an SVG
# (bench/soak: a small Go program, no plotting tools needed). It fails when
# an acknowledged event was not stored, or stored twice.
#
#   scripts/soak.sh [DURATION] [RATE]        # defaults: 30m, 500 events/s
#   SOAK_OUT=docs/soak.svg SOAK_DB=postgres://… scripts/soak.sh 30m 500
#
# SOAK_DIR keeps the data, the CSV and the log (a new temporary directory
# otherwise); SOAK_DB runs qunzhu on that PostgreSQL database instead of
# SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30m}
rate=${2:-500}
dir=${SOAK_DIR:-$(mktemp -d /tmp/qunzhu-soak.XXXXXX)}
out=${SOAK_OUT:-$dir/soak.svg}
mkdir -p "$dir"

go build -o "$dir/qunzhu" ./cmd/qunzhu
(cd bench && go build -o "$dir/soak" ./soak)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18790)
token=soak-token-$(date +%s)-0123456789
cat >"$dir/qunzhu.toml" <<EOF
[server]
addr = "127.0.0.1:$port"

[data]
dir = "$dir/data"

[log]
level = "warn"

[[connections]]
name = "soak"
platform = "webhook"
token = "$token"
EOF
if [ -n "${SOAK_DB:-}" ]; then
  printf '\n[database]\nurl = "%s"\n' "$SOAK_DB" >>"$dir/qunzhu.toml"
fi

"$dir/qunzhu" serve --config "$dir/qunzhu.toml" --migrate >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "soak: qunzhu pid $pid on port $port, $duration at $rate events/s; samples in $dir/soak.csv; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$dir/soak" -url "http://127.0.0.1:$port" -token "$token" -rate "$rate" -duration "$duration" \
  -csv "$dir/soak.csv" -svg "$out" -title "qunzhu soak: $duration at $rate events/s ($(date -u +%Y-%m-%d))"
echo "soak: plot in $out; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
