#!/usr/bin/env bash
# Benchmark: the month's payroll for HOUSEHOLDS one-person households in force (default
# 1,000,000, each 本人 with a bank account, spread over five districts), on SQLite and on
# PostgreSQL: `minzheng payroll generate --month 2026-12` (every district: the lines, 补发
# and re-issue checks, the five supervision checks, the audit record) and, once approved,
# `minzheng payroll export --month 2026-12 --format csv` (every district's bank file,
# account numbers decrypted, written in batches). Each RUNS times (default 3) from an
# empty payroll; median wall time and the largest peak memory (max RSS) are printed.
# Side by side, in the same run: the database's own client doing the by-hand equivalent —
# one INSERT … SELECT of the payable cases with their amount and payee, and a CSV export
# of it (no decryption: the client cannot open the accounts).
set -euo pipefail
cd "$(dirname "$0")/.."
HOUSEHOLDS="${HOUSEHOLDS:-1000000}"
RUNS="${RUNS:-3}"
# sqlite, postgres or both
BACKENDS="${BACKENDS:-both}"
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_DB=minzheng_bench_payroll
DATA=bench/data
OUT="$DATA/payroll-out"
mkdir -p "$DATA" "$OUT"
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql-client)"; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/minzheng
fi
ROSTER="$DATA/roster-single-$HOUSEHOLDS.csv"
[ -f "$ROSTER" ] || python3 bench/gen_roster.py --members "$HOUSEHOLDS" --single --regions "$DATA/regions.csv" --out "$ROSTER"

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f s (%.2f–%.2f)", m, a[1], a[NR]}'; }
# Runs a command under /usr/bin/time; appends "seconds kilobytes" to the file named first.
timed() { local log=$1; shift; /usr/bin/time -f "%e %M" -o "$log.one" "$@" >/dev/null; cat "$log.one" >> "$log"; }

BY_HAND_SELECT="SELECT c.id, c.region_code, m.name, m.bank_sealed, COALESCE(
    (SELECT r.new_amount FROM case_reviews r WHERE r.case_id = c.id AND r.reviewed_on < '2026-12-01' ORDER BY r.reviewed_on DESC LIMIT 1),
    c.monthly_amount) AS amount
  FROM cases c JOIN members m ON m.household_id = c.household_id AND m.relation = '本人'
  WHERE c.program = 'dibao' AND c.status IN ('active', 'exited') AND c.approved_on < '2026-12-01'
  AND (c.exited_on IS NULL OR c.exited_on >= '2026-12-01')"

run_backend() { # name url client-kind
  local name=$1 url=$2 kind=$3
  local gen="$DATA/payroll-gen-$name" exp="$DATA/payroll-exp-$name" hand="$DATA/payroll-hand-$name"
  rm -f "$gen" "$exp" "$hand"
  for _ in $(seq "$RUNS"); do
    sql "$kind" "$url" "DELETE FROM payment_anomalies; DELETE FROM payroll_lines; DELETE FROM payrolls;"
    timed "$gen" $BIN --database-url "$url" --key-file "$DATA/payroll.key" payroll generate --month 2026-12
    sql "$kind" "$url" "UPDATE payrolls SET status = 'approved', approved_by = 'bench', version = version + 1;"
    rm -f "$OUT"/*
    timed "$exp" $BIN --database-url "$url" --key-file "$DATA/payroll.key" payroll export --month 2026-12 --output-dir "$OUT"
    local s; s=$(date +%s.%N)
    if [ "$kind" = sqlite ]; then
      sqlite3 "${url#sqlite://}" "DROP TABLE IF EXISTS hand; CREATE TABLE hand AS $BY_HAND_SELECT;" \
        ".headers on" ".mode csv" ".once $OUT/hand.csv" "SELECT * FROM hand;" "DROP TABLE hand;"
    else
      psql -q "$url" -c "DROP TABLE IF EXISTS hand; CREATE TABLE hand AS $BY_HAND_SELECT;" \
        -c "\\copy hand TO '$OUT/hand.csv' CSV HEADER" -c "DROP TABLE hand;"
    fi
    echo "$(date +%s.%N) - $s" | bc >> "$hand"
  done
  local lines; lines=$(cat "$OUT"/payroll-*.csv | grep -c '^[0-9]' || true)
  printf '\n%s, %s households, %s bank-file lines\n' "$name" "$HOUSEHOLDS" "$lines"
  printf '  minzheng payroll generate: %s, peak %s MB\n' "$(cut -d' ' -f1 "$gen" | median)" "$(cut -d' ' -f2 "$gen" | sort -n | tail -1 | awk '{printf "%d", $1/1024}')"
  printf '  minzheng payroll export:   %s, peak %s MB\n' "$(cut -d' ' -f1 "$exp" | median)" "$(cut -d' ' -f2 "$exp" | sort -n | tail -1 | awk '{printf "%d", $1/1024}')"
  printf '  %s by hand (select + csv): %s\n' "$kind" "$(median < "$hand")"
}

sql() { # kind url statements
  if [ "$1" = sqlite ]; then sqlite3 "${2#sqlite://}" "$3"; else psql -q "$2" -c "$3" >/dev/null; fi
}

if [ "$BACKENDS" != postgres ]; then
echo "loading $HOUSEHOLDS households into SQLite…"
rm -f "$DATA"/payroll.db* "$DATA"/payroll.key
SQ="sqlite://$DATA/payroll.db"
$BIN --database-url "$SQ" --key-file "$DATA/payroll.key" regions import "$DATA/regions.csv" >/dev/null
$BIN --database-url "$SQ" --key-file "$DATA/payroll.key" import assistance-roster "$ROSTER" >/dev/null
run_backend SQLite "$SQ" sqlite
fi
[ "$BACKENDS" = sqlite ] && exit 0

echo "loading $HOUSEHOLDS households into PostgreSQL…"
psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
PG="${PG_ADMIN%/*}/$PG_DB"
$BIN --database-url "$PG" --key-file "$DATA/payroll.key" regions import "$DATA/regions.csv" >/dev/null
$BIN --database-url "$PG" --key-file "$DATA/payroll.key" import assistance-roster "$ROSTER" >/dev/null
# Statistics after the bulk load, as autovacuum would gather them shortly after.
psql -q "$PG" -c "ANALYZE"
run_backend PostgreSQL "$PG" postgres
psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB"
