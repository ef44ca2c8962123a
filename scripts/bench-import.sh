#!/usr/bin/env bash
# Imports N generated subscribers (default 1,000,000) into a fresh SQLite
# database with the release binary and reports rows/s and peak RSS.
#   scripts/bench-import.sh [ROWS]
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
rows=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build -q --release --manifest-path "$root/Cargo.toml"
bin="$root/target/release/postbode"

# Rows like a real list: a name, a language, two lists for some, two attributes.
awk -v n="$rows" 'BEGIN {
  print "email,name,language,lists,city,member_since";
  split("Utrecht Zwolle Rotterdam Groningen Arnhem Gent Leiden Delft", c, " ");
  for (i = 1; i <= n; i++) {
    lists = (i % 7 == 0) ? "default;events" : "default";
    printf "lezer%d@voorbeeld%d.nl,Lezer %d,nl,%s,%s,20%02d\n", i, i % 97, i, lists, c[i % 8 + 1], i % 25;
  }
}' > "$work/subscribers.csv"
printf 'file: %s rows, %s bytes\n' "$rows" "$(stat -c %s "$work/subscribers.csv")"

printf '[database]\nurl = "sqlite://%s/bench.db"\n\n[secrets]\nsuppression_key = "%s"\n' \
  "$work" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$work/postbode.toml"
run() {
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$bin" --config "$work/postbode.toml" \
    subscribers import "$work/subscribers.csv" --active > "$work/out" 2>&1
  read -r secs kib usr sys < "$work/time"
  printf '%-10s %8.2f s  %10.0f rows/s  peak RSS %6.1f MB  cpu %ss user %ss sys  (%s)\n' "$1" "$secs" \
    "$(echo "$rows / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)" "$usr" "$sys" "$(tail -n 1 "$work/out")"
}
run "first"
run "re-import"
