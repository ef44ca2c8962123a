# Shared by the benchmark scripts: sourced, not run.
# Needs $root (the source tree) and $work (a scratch folder).

# Builds the release binary and sets $bin.
build_postbode() {
  cargo build -q --release --manifest-path "$root/Cargo.toml"
  bin="$root/target/release/postbode"
}

# Starts postfix's smtp-sink on a free loopback port (with $SINK_OPTS);
# sets $port and
# $sink_pid (the caller's cleanup kills it).
start_smtp_sink() {
  port=$(( 20000 + RANDOM % 20000 ))
  local user
  user=$(id -un); [ "$user" = root ] && user=nobody
  # SINK_OPTS: more smtp-sink options, e.g. -p (no PIPELINING offered).
  # shellcheck disable=SC2086
  smtp-sink ${SINK_OPTS:-} -u "$user" "127.0.0.1:$port" 256 &
  sink_pid=$!
  sleep 0.5
}

# In $work: emails/, N generated subscribers in leden.csv, and a
# postbode.toml that sends into the sink with DKIM rsa-2048 and the rate
# limit effectively off (concurrency $CONCURRENCY, default 16, batch 500). The sink is on
# loopback and base_url stays http://localhost:8080, so
# newsletter.allow_insecure_links is on (else queue and send refuse).
prepare_send() {
  local rows=$1
  cd "$work"
  cp -r "$root/emails" .
  awk -v n="$rows" 'BEGIN { print "email,name"; for (i = 1; i <= n; i++) printf "lezer%d@voorbeeld%d.nl,Lezer %d\n", i, i % 97, i }' > leden.csv
  "$bin" --config "$work/postbode.toml" init > /dev/null
  python3 - "$port" "${CONCURRENCY:-16}" <<'PY'
import re, sys
port, concurrency = sys.argv[1], sys.argv[2]
t = open('postbode.toml').read()
t = t.replace('url = ""', f'url = "smtp://127.0.0.1:{port}"', 1)
t = t.replace('allow_insecure_links = false', 'allow_insecure_links = true', 1)
t = re.sub(r'rate_per_second = .*', 'rate_per_second = 1000000', t)
t = re.sub(r'concurrency = .*', f'concurrency = {concurrency}', t)
t = re.sub(r'pool_size = .*', f'pool_size = {concurrency}', t)
t = re.sub(r'batch_size = .*', 'batch_size = 500', t)
t = t.replace('domain = ""', 'domain = "example.org"').replace('selector = ""', 'selector = "bench"').replace('private_key_file = ""', 'private_key_file = "dkim.pem"')
open('postbode.toml', 'w').write(t)
PY
  "$bin" --config postbode.toml dkim keygen --selector bench --domain example.org --out dkim.pem > /dev/null
}

# Queues the issue folder $1 from $work; says why and exits 1 when it is
# refused (with set -e alone the script would end without a word).
queue_issue() {
  local out
  if ! out=$("$bin" --config postbode.toml issue queue "$1" 2>&1); then
    printf 'FAILED: postbode issue queue %s:\n%s\n' "$1" "$out" >&2
    exit 1
  fi
}

# Exits 1 with the send's last output lines when a send sent nothing:
# $1 = messages sent, $2 = the file holding the send's output.
fail_if_nothing_sent() {
  if [ "${1:-0}" -le 0 ]; then
    printf 'FAILED: the send sent nothing. Last lines of %s:\n' "$2" >&2
    tail -n 20 "$2" >&2
    exit 1
  fi
}
