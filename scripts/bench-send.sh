#!/usr/bin/env bash
# Sends the longest sample issue to N generated subscribers (default
# 100,000) with DKIM rsa-2048 and the rate limit off, into postfix's
# smtp-sink on loopback. Reports messages/s and peak RSS, and, in the same
# run, the ceiling of this machine: postfix's smtp-source sending
# same-size messages into the same sink.
#   scripts/bench-send.sh [SUBSCRIBERS] [SECONDS]
# With SECONDS, the send is stopped (SIGTERM) after that long: for the
# memory check at 1,000,000 subscribers without waiting for all of them.
# Needs: postfix (smtp-sink, smtp-source), /usr/bin/time.
set -euo pipefail
rows=${1:-100000}
limit=${2:-}
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
"$bin" --config postbode.toml subscribers import leden.csv --active | tail -n 1
issue=emails/issues/2026-09-luisteren-naar-klachten
queue_issue "$issue"
# The real size of one message (headers, both parts, DKIM), from a test
# send into the outbox folder.
POSTBODE_SMTP__URL= "$bin" --config postbode.toml issue test "$issue" --to lezer@voorbeeld.nl > /dev/null
size=$(stat -c %s outbox/test-*.eml | head -n 1)

run_send() {
  if [ -n "$limit" ]; then
    /usr/bin/time -f '%e %M %U %S' -o time.txt timeout -s TERM "$limit" "$bin" --config postbode.toml send > send.out 2>&1 || true
  else
    /usr/bin/time -f '%e %M %U %S' -o time.txt "$bin" --config postbode.toml send > send.out 2>&1 ||
      { echo "FAILED: postbode send exited non-zero:" >&2; tail -n 20 send.out >&2; exit 1; }
  fi
}
run_send
read -r secs kib usr sys < <(tail -n 1 time.txt)
sent=$("$bin" --config postbode.toml issue status --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["counts"]["sent"])')
fail_if_nothing_sent "$sent" send.out
printf 'postbode send: %d subscribers, %d sent in %.2f s = %.0f msg/s, peak RSS %.1f MB (messages of %d bytes, DKIM rsa-2048, concurrency %d)\n' \
  "$rows" "$sent" "$secs" "$(echo "$sent / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)" "$size" "${CONCURRENCY:-16}"
printf 'postbode CPU: %.2f s user + %.2f s system = %.0f µs a message\n' \
  "$usr" "$sys" "$(echo "($usr + $sys) * 1000000 / $sent" | bc -l)"

# The ceiling: same-size messages, same sink, 16 parallel sessions.
msgsize=$size
count=$(( sent < 20000 ? sent : 20000 ))
start=$(date +%s.%N)
smtp-source -s 16 -m "$count" -l "$msgsize" -f redactie@example.org -t lezer@voorbeeld.nl "127.0.0.1:$port"
end=$(date +%s.%N)
printf 'smtp-source ceiling: %d messages of %d bytes in %.2f s = %.0f msg/s\n' \
  "$count" "$msgsize" "$(echo "$end - $start" | bc -l)" "$(echo "$count / ($end - $start)" | bc -l)"
