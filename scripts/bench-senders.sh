#!/usr/bin/env bash
# Throughput of several senders sharing one database: 1 sender on SQLite,
# then 1, 2 and 3 senders on PostgreSQL, each sending the longest sample
# issue to N generated subscribers (default 50,000) with DKIM rsa-2048
# and the rate limit off, into postfix's smtp-sink on loopback.
#   POSTBODE_BENCH_POSTGRES_URL=postgres://USER:PASS@127.0.0.1/postgres \
#     scripts/bench-senders.sh [SUBSCRIBERS]
# The URL names a server and a database to connect to for CREATE
# DATABASE; each run gets a fresh database of its own.
# Needs: postfix (smtp-sink), a running PostgreSQL, psql, /usr/bin/time.
set -euo pipefail
rows=${1:-50000}
admin_url=${POSTBODE_BENCH_POSTGRES_URL:?set POSTBODE_BENCH_POSTGRES_URL to a PostgreSQL server}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
sink_pid=
cleanup() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
build_postbode
start_smtp_sink
prepare_send "$rows"
issue=emails/issues/2026-09-luisteren-naar-klachten

# One measured send: $1 = database URL, $2 = number of senders.
run() {
  local url=$1 senders=$2
  export POSTBODE_DATABASE__URL=$url
  "$bin" --config postbode.toml subscribers import leden.csv --active > /dev/null
  queue_issue "$issue"
  local start end pids=()
  start=$(date +%s.%N)
  for i in $(seq 1 "$senders"); do
    /usr/bin/time -f '%M' -o "rss.$i" "$bin" --config postbode.toml send > "send.$i.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  end=$(date +%s.%N)
  local sent rss
  sent=$("$bin" --config postbode.toml issue status --format json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["counts"]["sent"])')
  fail_if_nothing_sent "$sent" send.1.out
  rss=$(cat rss.* | sort -n | tail -n 1)
  printf '%-10s %d sender(s): %d sent in %.2f s = %.0f msg/s (largest RSS %.1f MB)\n' \
    "${url%%:*}" "$senders" "$sent" "$(echo "$end - $start" | bc -l)" \
    "$(echo "$sent / ($end - $start)" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  rm -f rss.*
  unset POSTBODE_DATABASE__URL
}

run "sqlite://$work/bench.db" 1
base=${admin_url%/*}
for senders in 1 2 3; do
  db="postbode_bench_$$_$senders"
  psql -q "$admin_url" -c "CREATE DATABASE $db"
  run "$base/$db" "$senders"
  psql -q "$admin_url" -c "DROP DATABASE $db WITH (FORCE)"
done
