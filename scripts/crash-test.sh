#!/usr/bin/env bash
# The crash-safety check: sends the longest sample issue to RECIPIENTS
# generated subscribers (default 50,000) into postfix's smtp-sink on
# loopback, killing `postbode send` with SIGKILL RUNS times (default 20)
# at random moments, then lets a last `postbode send` finish. smtp-sink
# dumps every message it accepts (one file each), and the dumps are
# counted per recipient:
#   - lost: recipients who got nothing (must be none);
#   - duplicated: recipients who got more than one copy. A kill may cost
#     some: what was in flight or accepted but not yet recorded. Each extra
#     copy is put down to the first kill after the earlier copy arrived.
#   - every copy of one recipient's message must carry the same Message-ID.
# Exits non-zero when something was lost, a duplicate had a different
# Message-ID, or the deliveries do not end up all sent.
#   scripts/crash-test.sh [RUNS] [RECIPIENTS]
# Settings: sending.lease_secs = 2, concurrency 8, smtp.pool_size 8,
# batch_size $BATCH_SIZE (default 500), rate_per_second $RATE (default
# off), no DKIM.
# Needs: postfix (smtp-sink), python3.
set -euo pipefail
runs=${1:-20}
rows=${2:-50000}
batch=${BATCH_SIZE:-500}
rate=${RATE:-1000000}   # rate_per_second; the default means off
concurrency=8
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
sink_pid=
send_pid=
cleanup() {
  [ -n "$send_pid" ] && kill -9 "$send_pid" 2>/dev/null
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
build_postbode

# smtp-sink drops its privileges, so the dump folder must be writable by
# that user (and the way to it passable).
chmod 755 "$work"
dump="$work/dump"
mkdir "$dump"
chmod 777 "$dump"
port=$(( 20000 + RANDOM % 20000 ))
user=$(id -un); [ "$user" = root ] && user=nobody
# -d: one file per accepted message, named from the template plus a random
# hex number; a transaction whose DATA never ended leaves no file. The
# file starts with smtp-sink's own headers (X-Mail-Args, X-Rcpt-Args, ...),
# then the message as received.
smtp-sink -u "$user" -d "$dump/%H%M/%S." "127.0.0.1:$port" 256 &
sink_pid=$!
sleep 0.5
kill -0 "$sink_pid"

cd "$work"
cp -r "$root/emails" .
awk -v n="$rows" 'BEGIN { print "email,name"; for (i = 1; i <= n; i++) printf "lezer%d@voorbeeld%d.nl,Lezer %d\n", i, i % 97, i }' > leden.csv
"$bin" --config "$work/postbode.toml" init > /dev/null
python3 - "$port" "$concurrency" "$batch" "$rate" <<'PY'
import re, sys
port, concurrency, batch, rate = sys.argv[1:]
t = open('postbode.toml').read()
t = t.replace('url = ""', f'url = "smtp://127.0.0.1:{port}"', 1)
# The sink is on loopback and base_url stays http://localhost:8080.
t = t.replace('allow_insecure_links = false', 'allow_insecure_links = true', 1)
t = re.sub(r'rate_per_second = .*', f'rate_per_second = {rate}', t)
t = re.sub(r'concurrency = .*', f'concurrency = {concurrency}', t)
t = re.sub(r'pool_size = .*', f'pool_size = {concurrency}', t)
t = re.sub(r'batch_size = .*', f'batch_size = {batch}', t)
t = re.sub(r'lease_secs = .*', 'lease_secs = 2', t)
open('postbode.toml', 'w').write(t)
PY
"$bin" --config postbode.toml subscribers import leden.csv --active | tail -n 1
issue=emails/issues/2026-09-luisteren-naar-klachten
queue_issue "$issue"

started=$(date +%s.%N)
: > kills.txt
killed=0
for run in $(seq 1 "$runs"); do
  "$bin" --config postbode.toml send > "send-$run.out" 2>&1 &
  send_pid=$!
  ms=$(( 500 + RANDOM % 2501 ))
  sleep "$(( ms / 1000 )).$(printf '%03d' $(( ms % 1000 )))"
  # (stderr hidden: bash would report the job as "Killed")
  if { kill -9 "$send_pid" && date +%s.%N >> kills.txt; } 2>/dev/null; then
    killed=$(( killed + 1 ))
    outcome="killed after ${ms} ms"
  else
    outcome="had already exited after ${ms} ms"
  fi
  { wait "$send_pid" || true; } 2>/dev/null
  send_pid=
  printf 'run %d: %s\n' "$run" "$outcome"
  sleep 2.5   # the killed process's leases (2 s) expire
done
set +e
"$bin" --config postbode.toml send > send-final.out 2>&1
final=$?
set -e
ended=$(date +%s.%N)
printf 'final send: exit code %d, %s\n' "$final" "$(tail -n 1 send-final.out)"
printf 'kills: %d of %d runs; total time %.1f s\n' "$killed" "$runs" "$(echo "$ended - $started" | bc -l)"

"$bin" --config postbode.toml issue status --format json > status.json
sent=$(python3 -c 'import json, sys; print(sum(i["counts"]["sent"] for i in json.load(open(sys.argv[1]))))' status.json)
fail_if_nothing_sent "$sent" send-final.out
set +e
python3 - "$dump" "$rows" "$runs" "$killed" kills.txt status.json "$final" "$concurrency" <<'PY'
import json, os, sys
from collections import defaultdict
from bisect import bisect_left

dump, rows, runs, killed, kills_file, status_file, final, concurrency = sys.argv[1:]
rows, runs, killed, final = int(rows), int(runs), int(killed), int(final)
kills = [float(line) for line in open(kills_file) if line.strip()]

def headers(path):
    """The header block of a dump file (smtp-sink's lines, then the
    message's), unfolded, as (name, value) pairs."""
    data = b""
    with open(path, "rb") as f:
        while b"\n\n" not in data:
            chunk = f.read(16384)
            if not chunk:
                break
            data += chunk
    block = data.split(b"\n\n", 1)[0].decode("utf-8", "replace").replace("\r", "")
    fields = []
    for line in block.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + " " + line.strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append((name.strip().lower(), value.strip()))
    return fields

copies = defaultdict(list)   # recipient -> [(mtime, message-id)]
files = 0
for top, _, names in os.walk(dump):
    for name in names:
        path = os.path.join(top, name)
        files += 1
        fields = headers(path)
        rcpts = [v.strip("<>").lower() for n, v in fields if n == "x-rcpt-args"]
        ids = [v for n, v in fields if n == "message-id"]
        mtime = os.stat(path).st_mtime
        for r in rcpts:
            copies[r].append((mtime, ids[0] if ids else None))

expected = {f"lezer{i}@voorbeeld{i % 97}.nl" for i in range(1, rows + 1)}
strangers = set(copies) - expected
delivered = [r for r in expected if copies.get(r)]
lost = sorted(expected - set(delivered), key=lambda r: int(r[5:r.index("@")]))
dup = {r: c for r, c in copies.items() if len(c) > 1}
extra = sum(len(c) - 1 for c in dup.values())
mismatched = {r: c for r, c in dup.items() if len({m for _, m in c}) != 1 or None in {m for _, m in c}}
no_id = sum(1 for c in copies.values() for _, m in c if m is None)
distinct_ids = {m for c in copies.values() for _, m in c if m}

# Each extra copy goes to the first kill after the earlier copy arrived.
per_kill = [0] * (len(kills) + 1)   # last slot: after the last kill
oldest = [None] * (len(kills) + 1)  # ms before its kill of the earliest such copy
for c in dup.values():
    c = sorted(c)
    for mtime, _ in c[:-1]:
        k = bisect_left(kills, mtime)
        per_kill[k] += 1
        if k < len(kills):
            ago = (kills[k] - mtime) * 1000
            oldest[k] = ago if oldest[k] is None else max(oldest[k], ago)

print(f"messages dumped:          {files}")
print(f"recipients:               {rows}")
print(f"delivered at least once:  {len(delivered)}")
print(f"lost (0 messages):        {len(lost)}" + (f"  e.g. {', '.join(lost[:10])}" if lost else ""))
print(f"duplicated recipients:    {len(dup)} ({extra} extra copies"
      + (f", at most {max(len(c) for c in dup.values())} copies of one" if dup else "") + ")")
if strangers:
    print(f"unexpected recipients:    {len(strangers)}  e.g. {', '.join(sorted(strangers)[:5])}")
if killed:
    print(f"extra copies per kill:    {extra / killed:.2f} on average over {killed} kills "
          f"(RUNS {runs}: {extra / runs:.2f}); most for one kill: {max(per_kill[:-1], default=0)} "
          f"(concurrency {concurrency})")
    print(f"  per kill:               {' '.join(str(n) for n in per_kill[:-1])}")
    print(f"  earliest of them, ms before the kill: "
          f"{' '.join('-' if a is None else f'{a:.0f}' for a in oldest[:-1])}")
if per_kill[-1]:
    print(f"  extra copies whose earlier copy came after the last kill: {per_kill[-1]}")
print(f"same Message-ID in every duplicate: {'yes' if not mismatched else 'NO, ' + str(len(mismatched)) + ' recipients differ'}")
for r, c in list(mismatched.items())[:5]:
    print(f"  {r}: {[m for _, m in sorted(c)]}")
if no_id:
    print(f"messages without a Message-ID: {no_id}")
print(f"distinct Message-IDs:     {len(distinct_ids)}")

status = json.load(open(status_file))
ok = True
for issue in status:
    counts = issue.get("counts", {})
    total = sum(v for v in counts.values() if isinstance(v, int))
    shown = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"issue status {issue.get('slug', '?')}: {shown} (total {total})")
    if total != rows or counts.get("sent") != rows:
        print(f"  NOT all {rows} sent")
        ok = False

if lost or mismatched or no_id or strangers or final != 0 or len(distinct_ids) != rows:
    ok = False
print("RESULT: " + ("ok" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
result=$?
set -e
if [ "$result" -ne 0 ]; then
  echo "--- last lines of the final send:"
  tail -n 20 send-final.out
fi
exit "$result"
