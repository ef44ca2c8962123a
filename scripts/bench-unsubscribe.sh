#!/usr/bin/env bash
# One-click unsubscribes per second and latency against `postbode serve` on
# SQLite, with wrk (Debian package wrk): RFC 8058 POSTs to /u/TOKEN with
# genuine tokens for N subscribers (default 10,000), 32 connections, 15 s.
#   scripts/bench-unsubscribe.sh [SUBSCRIBERS] [SECONDS] [CONNECTIONS] [MODE]
# MODE:
#   mixed (default): both wrk threads walk the same token sequence, so each
#     token is POSTed at least twice (a first-time unsubscribe, then a
#     repeat, as providers retry), and again when the sequence wraps;
#   first: every request uses a token not used before (the threads take
#     alternate tokens), so every request is a first-time unsubscribe as
#     long as SUBSCRIBERS exceeds the requests made.
# BIN=path/to/postbode uses that binary instead of building this tree.
set -euo pipefail
rows=${1:-10000}
secs=${2:-15}
conns=${3:-32}
mode=${4:-mixed}
case "$mode" in
  mixed) first=0 ;;
  first) first=1 ;;
  *) echo "MODE must be mixed or first" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "${BIN:-}" ]; then
  cargo build -q --release --manifest-path "$root/Cargo.toml"
  bin="$root/target/release/postbode"
else
  bin=$(realpath "$BIN")
fi
port=$(( 20000 + RANDOM % 20000 ))
cd "$work"
"$bin" --config postbode.toml init > /dev/null
sed -i "s/^bind = .*/bind = \"127.0.0.1:$port\"/; s/^filter = .*/filter = \"warn\"/" postbode.toml
awk -v n="$rows" 'BEGIN { print "email"; for (i = 1; i <= n; i++) printf "lezer%d@voorbeeld.nl\n", i }' > leden.csv
"$bin" --config postbode.toml subscribers import leden.csv --active | tail -n 1

# Genuine tokens, computed as src/mail/token.rs does: base64url(id_be8 ||
# HMAC-SHA256(key, "unsubscribe" || id_be8 || link_salt)[:16]), with each
# subscriber's link salt read from the database.
python3 - "$rows" > tokens.lua <<'PY'
import base64, hashlib, hmac, re, sqlite3, struct, sys
key = re.search(r'^token_key = "(.*)"', open('postbode.toml').read(), re.M).group(1).encode()
n = int(sys.argv[1])
salts = dict(sqlite3.connect('postbode.db').execute('SELECT id, link_salt FROM subscribers'))
print("tokens = {")
for i in range(1, n + 1):
    idb = struct.pack('>q', i)
    tag = hmac.new(key, b'unsubscribe' + idb + (salts.get(i) or b''), hashlib.sha256).digest()[:16]
    print('"' + base64.urlsafe_b64encode(idb + tag).rstrip(b'=').decode() + '",')
print("}")
PY
cat >> tokens.lua <<LUA
local first = $first
LUA
cat >> tokens.lua <<'LUA'
-- Each thread gets a number; in "first" mode thread n takes tokens n+1,
-- n+3, ... (wrk runs 2 threads), so no token is used twice.
local threads = 0
function setup(thread)
  thread:set("offset", first == 1 and threads or 0)
  threads = threads + 1
end
local step = first == 1 and 2 or 1
local i
request = function()
  i = i or offset
  local t = tokens[(i % #tokens) + 1]
  i = i + step
  return wrk.format("POST", "/u/" .. t,
    { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "List-Unsubscribe=One-Click")
end
LUA
# Every request comes from 127.0.0.1: lift the per-IP limit on link POSTs
# (it stays in the measured path).
POSTBODE_SERVER__LINK_POSTS_PER_MINUTE=4000000000 \
  "$bin" --config postbode.toml serve > serve.log 2>&1 &
server_pid=$!
sleep 1
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null
wrk -t2 -c"$conns" -d"${secs}s" --latency -s tokens.lua "http://127.0.0.1:$port" | tee wrk.out
unsubscribed=$("$bin" --config postbode.toml subscribers list --status unsubscribed --format csv | tail -n +2 | wc -l)
echo "subscribers unsubscribed: $unsubscribed of $rows (mode $mode)"
grep -E " ERROR | WARN " serve.log | head -n 5 || true
