#!/usr/bin/env bash
# Benchmark: `minzheng report quarterly --quarter 2026Q3 --format json` over a register of
# HOUSEHOLDS households (default 1,000,000; one 低保 or 特困 case each, a fifth of them
# exited, approvals spread over 2024-01 to 2026-11) and a fifth as many temporary grants,
# on SQLite and on PostgreSQL. Side by side, in the same run: the database's own client
# (sqlite3, psql) running the report's three counting queries — the floor a user would
# get by querying the tables directly. Each is run RUNS times (default 5); the median and
# the range are printed. The data is made by SQL inside each database (no CSV round trip).
# Then the same for `minzheng report balance --quarter 2026Q3` (the districts' indicators
# on the quarter's last day and the eight-quarter trend), against the client running the
# by-hand equivalent: in force per district on the day, in force at each of the eight
# quarter ends, and the three flows by month over the eight quarters.
set -euo pipefail
cd "$(dirname "$0")/.."
HOUSEHOLDS="${HOUSEHOLDS:-1000000}"
RUNS="${RUNS:-5}"
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_DB=minzheng_bench_report
DATA=bench/data
mkdir -p "$DATA"
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql-client)"; exit 1; }

if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/minzheng
fi
[ -f "$DATA/regions.csv" ] || python3 bench/gen_roster.py --members 3 --regions "$DATA/regions.csv" --out /dev/null

# The same data on both backends: communities numbered in code order, the n-th
# household in community n mod C, its case and dates drawn from a hash of n.
GRANTS=$(( HOUSEHOLDS / 5 ))
SQLITE_GEN="
CREATE TEMP TABLE comm (k INTEGER PRIMARY KEY, code TEXT NOT NULL);
INSERT INTO comm SELECT ROW_NUMBER() OVER (ORDER BY code) - 1, code FROM regions WHERE level = 'community';
CREATE TEMP TABLE n AS WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $HOUSEHOLDS) SELECT i FROM s;
INSERT INTO households (id, number, region_code, created_at)
  SELECT i, printf('B%08d', i), (SELECT code FROM comm WHERE k = i % (SELECT COUNT(*) FROM comm)), '2024-01-01' FROM n;
INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, exited_on, exit_reason,
                   monthly_amount, covered_persons, approved_persons, source)
  SELECT i, CASE WHEN i % 10 = 0 THEN 'tekun' ELSE 'dibao' END,
         CASE WHEN i % 5 = 0 THEN 'exited' ELSE 'active' END,
         region_code, a, a,
         CASE WHEN i % 5 = 0 THEN date(a, '+' || ((i * 7) % 300) || ' days') END,
         CASE WHEN i % 5 = 0 THEN (CASE i % 3 WHEN 0 THEN 'income_above' WHEN 1 THEN 'death' ELSE 'verification' END) END,
         50000 + (i % 7) * 10000, 1 + i % 4, 1 + i % 4, 'import'
  FROM (SELECT h.id AS i, h.region_code, date('2024-01-01', '+' || ((h.id * 2654435761) % 1063) || ' days') AS a
        FROM households h);
INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, amount,
                              household_size, advance, status, created_at)
  SELECT 'x', 'g' || i, '某', (SELECT code FROM comm WHERE k = i % (SELECT COUNT(*) FROM comm)), 'emergency',
         date('2024-01-01', '+' || ((i * 40503) % 1063) || ' days'), 100000 * (1 + i % 9), 1 + i % 4, 0,
         CASE WHEN i % 33 = 0 THEN 'cancelled' ELSE 'valid' END, '2024-01-01'
  FROM n WHERE i <= $GRANTS;
INSERT INTO region_residents (district_code, year, urban, rural, updated_by, updated_at)
  SELECT code, 2025, 400000, 200000, 'bench', '2026-01-01' FROM regions WHERE level = 'district';
INSERT INTO staff_posts (district_code, post, authorised, filled, updated_by, updated_at)
  SELECT code, 'assistance', 20, 18, 'bench', '2026-01-01' FROM regions WHERE level = 'district';
ANALYZE;
"
PG_GEN="
CREATE TEMP TABLE comm (k BIGINT PRIMARY KEY, code TEXT NOT NULL);
INSERT INTO comm SELECT ROW_NUMBER() OVER (ORDER BY code) - 1, code FROM regions WHERE level = 'community';
INSERT INTO households (id, number, region_code, created_at)
  SELECT i, 'B' || lpad(i::text, 8, '0'), (SELECT code FROM comm WHERE k = i % (SELECT COUNT(*) FROM comm)), '2024-01-01'
  FROM generate_series(1::bigint, $HOUSEHOLDS) AS i;
INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, exited_on, exit_reason,
                   monthly_amount, covered_persons, approved_persons, source)
  SELECT i, CASE WHEN i % 10 = 0 THEN 'tekun' ELSE 'dibao' END,
         CASE WHEN i % 5 = 0 THEN 'exited' ELSE 'active' END,
         region_code, a, a,
         CASE WHEN i % 5 = 0 THEN to_char(a::date + ((i * 7) % 300)::int, 'YYYY-MM-DD') END,
         CASE WHEN i % 5 = 0 THEN (CASE i % 3 WHEN 0 THEN 'income_above' WHEN 1 THEN 'death' ELSE 'verification' END) END,
         50000 + (i % 7) * 10000, 1 + i % 4, 1 + i % 4, 'import'
  FROM (SELECT h.id AS i, h.region_code,
               to_char(DATE '2024-01-01' + ((h.id * 2654435761) % 1063)::int, 'YYYY-MM-DD') AS a FROM households h) AS x;
INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, amount,
                              household_size, advance, status, created_at)
  SELECT 'x', 'g' || i, '某', (SELECT code FROM comm WHERE k = i % (SELECT COUNT(*) FROM comm)), 'emergency',
         to_char(DATE '2024-01-01' + ((i * 40503) % 1063)::int, 'YYYY-MM-DD'), 100000 * (1 + i % 9), 1 + i % 4, 0,
         CASE WHEN i % 33 = 0 THEN 'cancelled' ELSE 'valid' END, '2024-01-01'
  FROM generate_series(1::bigint, $GRANTS) AS i;
SELECT setval(pg_get_serial_sequence('households', 'id'), $HOUSEHOLDS);
INSERT INTO region_residents (district_code, year, urban, rural, updated_by, updated_at)
  SELECT code, 2025, 400000, 200000, 'bench', '2026-01-01' FROM regions WHERE level = 'district';
INSERT INTO staff_posts (district_code, post, authorised, filled, updated_by, updated_at)
  SELECT code, 'assistance', 20, 18, 'bench', '2026-01-01' FROM regions WHERE level = 'district';
ANALYZE;
"
# The report's three counting queries, as the client would run them by hand.
QUERIES="
SELECT r.urban_rural, COUNT(*), SUM(COALESCE(c.approved_persons, c.covered_persons)) FROM cases c JOIN regions r ON r.code = c.region_code
 WHERE c.program = 'dibao' AND c.approved_on >= '2026-07-01' AND c.approved_on <= '2026-09-30' GROUP BY r.urban_rural;
SELECT r.urban_rural, COUNT(*), SUM(c.covered_persons) FROM cases c JOIN regions r ON r.code = c.region_code
 WHERE c.program = 'dibao' AND c.status = 'exited' AND c.exited_on >= '2026-07-01' AND c.exited_on <= '2026-09-30'
 AND c.exit_reason IN ('income_above', 'assets_above', 'verification', 'false_info', 'refusal') GROUP BY r.urban_rural;
SELECT r.urban_rural, COUNT(*), SUM(g.amount) FROM temporary_grants g JOIN regions r ON r.code = g.region_code
 WHERE g.status = 'valid' AND g.grant_date >= '2026-07-01' AND g.grant_date <= '2026-09-30' GROUP BY r.urban_rural;
"
# The balance analysis by hand: in force per district on 2026-09-30, in force at each of
# the eight quarter ends, the three flows by month over 2024Q4–2026Q3.
IN_FORCE_AT() { # day
  echo "SELECT c.program, COUNT(*), SUM(c.covered_persons) FROM cases c WHERE c.status IN ('active', 'exited')
   AND c.approved_on <= '$1' AND (c.exited_on IS NULL OR c.exited_on > '$1') GROUP BY c.program;"
}
BALANCE_QUERIES="
SELECT substr(c.region_code, 1, 6), r.urban_rural, c.program, COUNT(*), SUM(c.covered_persons)
 FROM cases c JOIN regions r ON r.code = c.region_code WHERE c.status IN ('active', 'exited')
 AND c.approved_on <= '2026-09-30' AND (c.exited_on IS NULL OR c.exited_on > '2026-09-30')
 GROUP BY substr(c.region_code, 1, 6), r.urban_rural, c.program;
$(for d in 2024-12-31 2025-03-31 2025-06-30 2025-09-30 2025-12-31 2026-03-31 2026-06-30 2026-09-30; do IN_FORCE_AT $d; done)
SELECT substr(approved_on, 1, 7), COUNT(*), SUM(approved_persons) FROM cases WHERE program = 'dibao'
 AND approved_on >= '2024-10-01' AND approved_on <= '2026-09-30' GROUP BY substr(approved_on, 1, 7);
SELECT substr(exited_on, 1, 7), COUNT(*), SUM(covered_persons) FROM cases WHERE program = 'dibao' AND status = 'exited'
 AND exited_on >= '2024-10-01' AND exited_on <= '2026-09-30'
 AND exit_reason IN ('income_above', 'assets_above', 'verification', 'false_info', 'refusal') GROUP BY substr(exited_on, 1, 7);
SELECT substr(grant_date, 1, 7), COUNT(*), SUM(amount) FROM temporary_grants WHERE status = 'valid'
 AND grant_date >= '2024-10-01' AND grant_date <= '2026-09-30' GROUP BY substr(grant_date, 1, 7);
"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f s (%.3f–%.3f)", m, a[1], a[NR]}'; }
time_runs() { # command...
  for _ in $(seq "$RUNS"); do
    local s; s=$(now); "$@" >/dev/null; echo "$(now) - $s" | bc
  done | median
}

# SQLite.
rm -f "$DATA"/report.db* "$DATA"/report.key
SQ="sqlite://$DATA/report.db"
$BIN --database-url "$SQ" --key-file "$DATA/report.key" regions import "$DATA/regions.csv" >/dev/null
echo "generating $HOUSEHOLDS households in SQLite…"
sqlite3 "$DATA/report.db" "$SQLITE_GEN"
# PostgreSQL.
psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
PG="${PG_ADMIN%/*}/$PG_DB"
$BIN --database-url "$PG" --key-file "$DATA/report.key" regions import "$DATA/regions.csv" >/dev/null
echo "generating $HOUSEHOLDS households in PostgreSQL…"
psql -q "$PG" -c "$PG_GEN" >/dev/null

report() { $BIN --database-url "$1" --key-file "$DATA/report.key" report quarterly --quarter 2026Q3 --format json; }
check=$(report "$SQ" | python3 -c 'import json,sys; f=json.load(sys.stdin)["figures"]; print(f["dibao_new_households"], f["temp_assistance_cases"])')
check_pg=$(report "$PG" | python3 -c 'import json,sys; f=json.load(sys.stdin)["figures"]; print(f["dibao_new_households"], f["temp_assistance_cases"])')
[ "$check" = "$check_pg" ] || { echo "the backends disagree: $check vs $check_pg"; exit 1; }

printf '\nquarterly report 2026Q3, %s households, %s grants (new 低保 households, grants: %s)\n' "$HOUSEHOLDS" "$GRANTS" "$check"
printf '  SQLite      minzheng report:   %s\n' "$(time_runs report "$SQ")"
printf '  SQLite      sqlite3, 3 queries: %s\n' "$(time_runs sqlite3 "$DATA/report.db" "$QUERIES")"
printf '  PostgreSQL  minzheng report:   %s\n' "$(time_runs report "$PG")"
printf '  PostgreSQL  psql, 3 queries:   %s\n' "$(time_runs psql -q "$PG" -c "$QUERIES")"

balance() { $BIN --database-url "$1" --key-file "$DATA/report.key" report balance --quarter 2026Q3; }
b_check=$(balance "$SQ" | python3 -c 'import json,sys; t=json.load(sys.stdin)["trend"]["figures"]; print(t["dibao_persons_in_force"][-1])')
b_check_pg=$(balance "$PG" | python3 -c 'import json,sys; t=json.load(sys.stdin)["trend"]["figures"]; print(t["dibao_persons_in_force"][-1])')
[ "$b_check" = "$b_check_pg" ] || { echo "the backends disagree on the balance: $b_check vs $b_check_pg"; exit 1; }
printf '\nbalance analysis 2026Q3 with the eight-quarter trend (低保 persons in force on 2026-09-30: %s)\n' "$b_check"
printf '  SQLite      minzheng report balance: %s\n' "$(time_runs balance "$SQ")"
printf '  SQLite      sqlite3, by hand:        %s\n' "$(time_runs sqlite3 "$DATA/report.db" "$BALANCE_QUERIES")"
printf '  PostgreSQL  minzheng report balance: %s\n' "$(time_runs balance "$PG")"
printf '  PostgreSQL  psql, by hand:           %s\n' "$(time_runs psql -q "$PG" -c "$BALANCE_QUERIES")"
psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB"
