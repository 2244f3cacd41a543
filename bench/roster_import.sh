#!/usr/bin/env bash
# Benchmark: importing a roster of N members (default 1,000,000) into SQLite with
# `minzheng import assistance-roster`, side by side with sqlite3's `.import` of the same
# CSV into a bare table (no checks, no encryption, no indexes): the floor a user would
# otherwise get. Prints wall time, rows/s, the ratio and minzheng's peak memory; then the
# same file imported a second time (every person looked up, every household's members
# replaced, nothing new), and, for scale, sqlite3 copying the members table minzheng wrote
# into an empty table with the same schema and indexes.
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS="${MEMBERS:-1000000}"
DATA=bench/data
mkdir -p "$DATA"
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }

# BIN=path runs a binary built before (e.g. a copy, so the tree can change meanwhile).
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/minzheng
fi
# The generator is deterministic: a file made for the same size is reused.
if [ "$(cat "$DATA/roster.members" 2>/dev/null)" != "$MEMBERS" ] || [ ! -f "$DATA/roster.csv" ]; then
  python3 bench/gen_roster.py --members "$MEMBERS" --regions "$DATA/regions.csv" --out "$DATA/roster.csv"
  echo "$MEMBERS" > "$DATA/roster.members"
fi

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

rm -f "$DATA"/bare.db "$DATA"/members.db "$DATA"/mz.db* "$DATA"/mz.key
start=$(now)
sqlite3 "$DATA/bare.db" ".mode csv" ".import $DATA/roster.csv roster"
bare=$(since "$start")

URL="sqlite://$DATA/mz.db"
$BIN --database-url "$URL" --key-file "$DATA/mz.key" regions import "$DATA/regions.csv" >/dev/null
sync
start=$(now)
/usr/bin/time -f "%M" -o "$DATA/peak_kb" $BIN --database-url "$URL" --key-file "$DATA/mz.key" \
  import assistance-roster "$DATA/roster.csv"
mz=$(since "$start")
peak_mb=$(( $(cat "$DATA/peak_kb") / 1024 ))

sync
start=$(now)
/usr/bin/time -f "%M" -o "$DATA/peak_kb" $BIN --database-url "$URL" --key-file "$DATA/mz.key" \
  import assistance-roster "$DATA/roster.csv"
again=$(since "$start")
again_mb=$(( $(cat "$DATA/peak_kb") / 1024 ))

# The members table as minzheng stored it, copied by sqlite3 in one statement into an
# empty table with the same columns, constraints and indexes, in WAL mode with
# synchronous=FULL and the same page cache as the import (foreign keys off: there are no
# households to point to): what SQLite alone needs to write these rows. (`WHERE 1` turns
# off SQLite's transfer optimisation, which would copy the index entries already sorted.)
sqlite3 "$DATA/members.db" "PRAGMA journal_mode=WAL;" "$(sqlite3 "$DATA/mz.db" '.schema members')" >/dev/null
sync
start=$(now)
sqlite3 "$DATA/members.db" "PRAGMA synchronous=FULL;" "PRAGMA cache_size=-262144;" \
  "ATTACH '$DATA/mz.db' AS src;" "INSERT INTO members SELECT * FROM src.members WHERE 1;"
members=$(since "$start")

printf '\nroster import, %s members, SQLite\n' "$MEMBERS"
printf '  sqlite3 .import (bare table):   %6.2f s  %8.0f rows/s\n' "$bare" "$(echo "$MEMBERS / $bare" | bc -l)"
printf '  minzheng import:                %6.2f s  %8.0f rows/s  peak %s MB\n' "$mz" "$(echo "$MEMBERS / $mz" | bc -l)" "$peak_mb"
printf '  ratio minzheng / sqlite3:       %6.2f x\n' "$(echo "$mz / $bare" | bc -l)"
printf '  minzheng import, same file again: %4.2f s  %8.0f rows/s  peak %s MB\n' "$again" "$(echo "$MEMBERS / $again" | bc -l)" "$again_mb"
printf '  sqlite3 copying the members table minzheng wrote (same schema and indexes): %.2f s\n' "$members"
