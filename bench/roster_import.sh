#!/usr/bin/env bash
# Benchmark: importing a roster of N members (default 1,000,000) into SQLite with
# `minzheng import assistance-roster`, side by side with sqlite3's `.import` of the same
# CSV into a bare table (no checks, no encryption, no indexes): the floor a user would
# otherwise get. Prints wall time, rows/s, the ratio and minzheng's peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS="${MEMBERS:-1000000}"
DATA=bench/data
mkdir -p "$DATA"
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }

cargo build --release --quiet
BIN=target/release/minzheng
python3 bench/gen_roster.py --members "$MEMBERS" --regions "$DATA/regions.csv" --out "$DATA/roster.csv"

rm -f "$DATA"/bare.db "$DATA"/mz.db* "$DATA"/mz.key
start=$(date +%s.%N)
sqlite3 "$DATA/bare.db" ".mode csv" ".import $DATA/roster.csv roster"
bare=$(echo "$(date +%s.%N) - $start" | bc)

URL="sqlite://$DATA/mz.db"
$BIN --database-url "$URL" --key-file "$DATA/mz.key" regions import "$DATA/regions.csv" >/dev/null
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$DATA/peak_kb" $BIN --database-url "$URL" --key-file "$DATA/mz.key" \
  import assistance-roster "$DATA/roster.csv"
mz=$(echo "$(date +%s.%N) - $start" | bc)
peak_mb=$(( $(cat "$DATA/peak_kb") / 1024 ))

printf '\nroster import, %s members, SQLite\n' "$MEMBERS"
printf '  sqlite3 .import (bare table): %6.2f s  %8.0f rows/s\n' "$bare" "$(echo "$MEMBERS / $bare" | bc -l)"
printf '  minzheng import:              %6.2f s  %8.0f rows/s  peak %s MB\n' "$mz" "$(echo "$MEMBERS / $mz" | bc -l)" "$peak_mb"
printf '  ratio minzheng / sqlite3:     %6.2f x\n' "$(echo "$mz / $bare" | bc -l)"
