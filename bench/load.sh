#!/usr/bin/env bash
# Load test (issue 11, item 6): wrk against `minzheng serve` holding HOUSEHOLDS households
# (default 1,000,000), on SQLite and/or PostgreSQL. Endpoints, each at 50 and 200 connections
# (wrk -t2 -d20s --latency):
#   reads   search     POST /api/v1/households/search {"name": "<surname>"}   (jiedao, a street)
#           household  GET /assistance/households/{id}, ids spread over all    (shiju, the city)
#           workbench  GET /assistance/workbench                               (jiedao)
#           report     GET /reports/quarterly?quarter=2026Q3                   (shiju, whole city)
#   writes  apply      POST /api/v1/applications, a one-person household with a new valid
#                      ID number every request (made in bench/load.lua)        (jiedao)
# Prints one table per kind: backend, endpoint, connections, requests/s, p50, p99, errors
# (HTTP >= 400 + socket errors and timeouts, as wrk counts them).
#
# The data: `minzheng demo --households 50` on an empty database (the demo city, its 202
# communities and accounts), then a roster of the remaining households over the demo city's
# communities (bench/gen_load.py), imported with `minzheng import assistance-roster` — real
# members with sealed ID numbers, so household pages decrypt as in production.
#
# Environment:
#   HOUSEHOLDS=1000000   households in the database (demo's + the roster's)
#   BACKENDS=both        sqlite | postgres | both
#   DURATION=20s         per wrk run;  CONNECTIONS="50 200";  THREADS=2;  TIMEOUT=10s (wrk's
#                        default 2 s would turn slow answers into errors without a latency)
#   BIN=path             a binary built before (else `cargo build --release`)
#   ENDPOINTS="search household workbench report apply"   which endpoints to run
#   KEEP_PG=1            keep the imported PostgreSQL database as a template (<db>_pristine) and
#                        start each later run from a copy of it (a 1,000,000-household import
#                        takes minutes); as for SQLite, every run starts from the same data. The
#                        template is rebuilt when the size or the migrations change (a stamp).
#   PORT=18473  PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres  QUARTER=2026Q3
# Generated files (CSV, SQLite files, wrk and server logs) go to bench/data/load/ (ignored);
# the SQLite database built for a size is kept there and reused (delete it after a schema or
# demo-data change).
set -euo pipefail
cd "$(dirname "$0")/.."
HOUSEHOLDS="${HOUSEHOLDS:-1000000}"
BACKENDS="${BACKENDS:-both}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-50 200}"
THREADS="${THREADS:-2}"
TIMEOUT="${TIMEOUT:-10s}"
PORT="${PORT:-18473}"
QUARTER="${QUARTER:-2026Q3}"
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
ENDPOINTS="${ENDPOINTS:-search household workbench report apply}"
KEEP_PG="${KEEP_PG:-}"
PG_DB=minzheng_bench_load
DATA=bench/data/load
BASE="http://127.0.0.1:$PORT"
# The demo accounts must change their password at first login; this one meets the policy
# (12+ characters, three classes, no username in it).
NEW_PASSWORD='Load#Bench2026wrk'
# jiedao's street is 369902001; its applications go to its first community.
COMMUNITY=369902001001
mkdir -p "$DATA"
for tool in wrk curl sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install $tool)"; exit 1; }
done
case "$BACKENDS" in
  sqlite) BACKEND_LIST="sqlite" ;;
  postgres) BACKEND_LIST="postgres" ;;
  both) BACKEND_LIST="sqlite postgres" ;;
  *) echo "BACKENDS must be sqlite, postgres or both"; exit 1 ;;
esac
if [[ "$BACKENDS" != sqlite ]]; then
  command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql-client)"; exit 1; }
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/minzheng
fi
(( HOUSEHOLDS >= 200 )) || { echo "HOUSEHOLDS must be at least 200"; exit 1; }

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

RESULTS="$DATA/results.txt"
: > "$RESULTS"

# ---------------------------------------------------------------- data

# The demo city and its accounts in an empty database; the accounts' passwords (set by the
# seed, so the same every time) are taken from what the command prints.
demo() { # url key
  "$BIN" --database-url "$1" --key-file "$2" demo --households 50 > "$DATA/demo.out"
  JIEDAO_PW=$(awk '$1 == "jiedao" && $2 == "密码" {print $3}' "$DATA/demo.out")
  SHIJU_PW=$(awk '$1 == "shiju" && $2 == "密码" {print $3}' "$DATA/demo.out")
  [ -n "$JIEDAO_PW" ] && [ -n "$SHIJU_PW" ] || { echo "no demo passwords in $DATA/demo.out"; exit 1; }
}

# The roster of the households the demo did not make. The generator is deterministic, so a
# file made for the same size and the same communities is reused.
roster() { # households-already-there communities-file
  local want=$(( HOUSEHOLDS - $1 ))
  local stamp
  stamp="$want $(md5sum < "$2" | cut -c1-32)"
  if [ "$(cat "$DATA/roster.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$DATA/roster.csv" ]; then
    python3 bench/gen_load.py --households "$want" --communities "$2" --out "$DATA/roster.csv"
    echo "$stamp" > "$DATA/roster.stamp"
  fi
}

import_roster() { # url key
  echo "importing the roster ($(( $(wc -l < "$DATA/roster.csv") - 1 )) members)…"
  "$BIN" --database-url "$1" --key-file "$2" import assistance-roster "$DATA/roster.csv" \
    > "$DATA/import.out" 2> "$DATA/import.err" || { cat "$DATA/import.out" "$DATA/import.err"; exit 1; }
  tail -1 "$DATA/import.out"
}

# SQLite: the full database is built once per size into sqlite-<N>.db and copied for each run,
# since the application runs write to it (and a 1,000,000-household import takes a while).
setup_sqlite() {
  local pristine="$DATA/sqlite-$HOUSEHOLDS.db"
  if [ ! -f "$pristine" ] || [ ! -f "$pristine.key" ] || [ ! -f "$pristine.pw" ]; then
    rm -f "$pristine" "$pristine"-* "$pristine.key" "$pristine.pw"
    echo "building the SQLite database ($HOUSEHOLDS households)…"
    demo "sqlite://$pristine" "$pristine.key"
    sqlite3 "$pristine" "SELECT code FROM regions WHERE level = 'community' ORDER BY code" > "$DATA/communities.txt"
    roster "$(sqlite3 "$pristine" 'SELECT COUNT(*) FROM households')" "$DATA/communities.txt"
    import_roster "sqlite://$pristine" "$pristine.key"
    # Everything into the main file, so that a plain copy is the whole database.
    sqlite3 "$pristine" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    printf '%s\n%s\n' "$JIEDAO_PW" "$SHIJU_PW" > "$pristine.pw"
  fi
  { read -r JIEDAO_PW; read -r SHIJU_PW; } < "$pristine.pw"
  rm -f "$DATA"/run.db "$DATA"/run.db-*
  cp "$pristine" "$DATA/run.db"
  cp "$pristine.key" "$DATA/run.key"
  URL="sqlite://$DATA/run.db"
  KEY="$DATA/run.key"
  SQL() { sqlite3 "$DATA/run.db" "$1"; }
}

# PostgreSQL: a fresh database each run (dropped at the end); with KEEP_PG, a copy of the
# template kept by an earlier run of the same size.
setup_postgres() {
  URL="${PG_ADMIN%/*}/$PG_DB"
  KEY="$DATA/postgres.key"
  SQL() { psql -Atq "$URL" -c "$1"; }
  local pristine="${PG_DB}_pristine"
  # What the template was built for: the size and the schema (the migrations' contents).
  local stamp
  stamp="$HOUSEHOLDS $(find migrations -type f -name '*.sql' | sort | xargs cat | md5sum | cut -c1-32)"
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB"
  if [ -n "$KEEP_PG" ] && [ -f "$KEY" ] && [ -f "$DATA/postgres.pw" ] &&
    [ "$(cat "$DATA/postgres.stamp" 2>/dev/null)" = "$stamp" ] &&
    psql -Atq "$PG_ADMIN" -c "SELECT 1 FROM pg_database WHERE datname = '$pristine'" | grep -q 1; then
    echo "copying the kept PostgreSQL database $pristine (KEEP_PG)"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB TEMPLATE $pristine"
    { read -r JIEDAO_PW; read -r SHIJU_PW; } < "$DATA/postgres.pw"
    return
  fi
  # A kept template is replaced only by a KEEP_PG run; a plain run leaves it alone.
  if [ -n "$KEEP_PG" ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pristine"; fi
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB"
  rm -f "$KEY"
  echo "building the PostgreSQL database ($HOUSEHOLDS households)…"
  demo "$URL" "$KEY"
  SQL() { psql -Atq "$URL" -c "$1"; }
  SQL "SELECT code FROM regions WHERE level = 'community' ORDER BY code" > "$DATA/communities.txt"
  roster "$(SQL 'SELECT COUNT(*) FROM households')" "$DATA/communities.txt"
  import_roster "$URL" "$KEY"
  SQL "ANALYZE" >/dev/null
  if [ -n "$KEEP_PG" ]; then
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $pristine TEMPLATE $PG_DB"
    printf '%s\n%s\n' "$JIEDAO_PW" "$SHIJU_PW" > "$DATA/postgres.pw"
    echo "$stamp" > "$DATA/postgres.stamp"
  fi
}

# ---------------------------------------------------------------- server and sessions

start_server() { # backend
  "$BIN" --database-url "$URL" --key-file "$KEY" serve --addr "127.0.0.1:$PORT" \
    > "$DATA/server-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 120); do
    if curl -fs -o /dev/null "$BASE/login"; then return; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server stopped:"; tail -20 "$DATA/server-$1.log"; exit 1; }
    sleep 0.5
  done
  echo "the server did not answer on $BASE within 60 s"; exit 1
}

# Signs in through the JSON API and sets SESSION and CSRF. A seeded account first has to
# change its password (the answer's stage says so): done through the password form (the
# CSRF token as a header), which ends the session, so it signs in again with the new one.
login() { # username password
  local jar="$DATA/cookies-$1" answer stage
  answer=$(curl -fsS -c "$jar" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\",\"code\":\"\"}" "$BASE/api/v1/login")
  stage=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["stage"])' <<< "$answer")
  if [ "$stage" = change_password ]; then
    CSRF=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])' <<< "$answer")
    curl -fsS -o /dev/null -b "$jar" -H "X-CSRF-Token: $CSRF" \
      --data-urlencode "current=$2" --data-urlencode "new=$NEW_PASSWORD" \
      --data-urlencode "confirm=$NEW_PASSWORD" "$BASE/account/password"
    answer=$(curl -fsS -c "$jar" -H 'content-type: application/json' \
      -d "{\"username\":\"$1\",\"password\":\"$NEW_PASSWORD\",\"code\":\"\"}" "$BASE/api/v1/login")
    stage=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["stage"])' <<< "$answer")
  fi
  [ "$stage" = full ] || { echo "$1: signed in at stage '$stage', not full: $answer"; exit 1; }
  CSRF=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])' <<< "$answer")
  SESSION=$(awk '$6 == "mz_session" {print $7}' "$jar")
  [ -n "$SESSION" ] || { echo "$1: no mz_session cookie"; exit 1; }
}

# ---------------------------------------------------------------- runs

# The session and CSRF token of the account an endpoint runs as.
as() { # endpoint
  case "$1" in
    household | report) SESSION=$SHIJU_SESSION; CSRF=$SHIJU_CSRF ;;
    *) SESSION=$JIEDAO_SESSION; CSRF=$JIEDAO_CSRF ;;
  esac
}

RUN=0
wrk_env() { # endpoint
  as "$1"
  export LOAD_ENDPOINT="$1" LOAD_SESSION="$SESSION" LOAD_CSRF="$CSRF" LOAD_MIN_ID="$MIN_ID" \
    LOAD_MAX_ID="$MAX_ID" LOAD_QUARTER="$QUARTER" LOAD_COMMUNITY="$COMMUNITY" LOAD_RUN="$RUN"
}

# One request of each kind with curl before any wrk run: a wrong body or route shows here
# with its answer, rather than as a column of errors.
probe() { # endpoint
  as "$1"
  local code
  case "$1" in
    search) code=$(curl -s -o "$DATA/probe.out" -w '%{http_code}' -b "mz_session=$SESSION" \
      -H "X-CSRF-Token: $CSRF" -H 'content-type: application/json' -d '{"name":"王"}' \
      "$BASE/api/v1/households/search") ;;
    household) code=$(curl -s -o "$DATA/probe.out" -w '%{http_code}' -b "mz_session=$SESSION" \
      "$BASE/assistance/households/$MAX_ID") ;;
    workbench) code=$(curl -s -o "$DATA/probe.out" -w '%{http_code}' -b "mz_session=$SESSION" \
      "$BASE/assistance/workbench") ;;
    report) code=$(curl -s -o "$DATA/probe.out" -w '%{http_code}' -b "mz_session=$SESSION" \
      "$BASE/reports/quarterly?quarter=$QUARTER") ;;
    apply) # an ID number of its own (address 361999: neither the roster's nor load.lua's)
      local id
      id=$(python3 -c 'import sys; sys.path.insert(0, "bench"); from gen_roster import id_number; import datetime; print(id_number("361999", datetime.date(1980, 1, 1), 1))')
      code=$(curl -s -o "$DATA/probe.out" -w '%{http_code}' -b "mz_session=$SESSION" \
        -H "X-CSRF-Token: $CSRF" -H 'content-type: application/json' \
        -d "{\"community\":\"$COMMUNITY\",\"program\":\"dibao\",\"m0_name\":\"赵探测\",\"m0_id\":\"$id\",\"m0_relation\":\"本人\",\"m0_hukou\":\"urban\",\"m0_work\":\"full\",\"phone\":\"13800138000\",\"reason\":\"负载测试：家庭收入低\",\"declaration\":\"1\",\"consent\":\"1\"}" \
        "$BASE/api/v1/applications") ;;
  esac
  if [ "$code" != 200 ]; then
    echo "probe $1 answered $code:"; head -c 2000 "$DATA/probe.out"; echo; exit 1
  fi
}

# Requests still in flight when wrk stops go on in the server (a slow page at 200
# connections leaves a queue behind): wait until the server's CPU time stops growing (under
# 10 % of a core over half a second, at most a minute) so that they do not weigh on the next run.
settle() {
  local prev cur
  prev=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
  for _ in $(seq 120); do
    sleep 0.5
    cur=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    (( cur - prev < 5 )) && return
    prev=$cur
  done
}

run_wrk() { # backend kind endpoint connections
  settle
  RUN=$(( RUN + 1 ))
  wrk_env "$3"
  local log="$DATA/wrk-$1-$3-$4.log"
  wrk -t"$THREADS" -c"$4" -d"$DURATION" --timeout "$TIMEOUT" --latency -s bench/load.lua "$BASE" > "$log" 2>&1
  local line
  line=$(grep '^LOADRESULT' "$log") || { echo "wrk failed:"; cat "$log"; exit 1; }
  # A session that ended during the run would turn pages into redirects to /login (3xx, not
  # counted as errors by wrk): check that it is still alive.
  local me
  me=$(curl -s -o /dev/null -w '%{http_code}' -b "mz_session=$SESSION" "$BASE/api/v1/me")
  [ "$me" = 200 ] || { echo "the session ended during $3 at $4 connections (/api/v1/me: $me)"; exit 1; }
  read -r _ rps p50 p99 errors requests <<< "$line"
  echo "$2 $1 $3 $4 $rps $p50 $p99 $errors $requests" >> "$RESULTS"
  printf '  %-9s %-10s c=%-4s %9s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$1" "$3" "$4" "$rps" "$p50" "$p99" "$errors"
}

for backend in $BACKEND_LIST; do
  "setup_$backend"
  read -r MIN_ID MAX_ID TOTAL <<< "$(SQL 'SELECT MIN(id), MAX(id), COUNT(*) FROM households' | tr '|' ' ')"
  start_server "$backend"
  # Signed in after the data is loaded, so the sessions are fresh (30 min idle limit, touched
  # by every request anyway) when the runs start.
  login jiedao "$JIEDAO_PW"; JIEDAO_SESSION=$SESSION; JIEDAO_CSRF=$CSRF
  login shiju "$SHIJU_PW"; SHIJU_SESSION=$SESSION; SHIJU_CSRF=$CSRF
  echo "$backend: $TOTAL households (ids $MIN_ID–$MAX_ID), server $BASE, $DURATION per run"
  # The application's probe first: it writes, which makes the next report request compute
  # the report again; probing the report after it leaves the report runs a warm cache.
  for e in apply search household workbench report; do
    [[ " $ENDPOINTS " == *" $e "* ]] || continue
    probe "$e"
  done
  # Reads first: the application runs add cases to jiedao's workbench.
  for e in search household workbench report; do
    [[ " $ENDPOINTS " == *" $e "* ]] || continue
    for c in $CONNECTIONS; do run_wrk "$backend" read "$e" "$c"; done
  done
  if [[ " $ENDPOINTS " == *" apply "* ]]; then
    for c in $CONNECTIONS; do run_wrk "$backend" write apply "$c"; done
  fi
  # Every answered application is a stored case: the applicants load.lua made (a request
  # still in flight when wrk stops is stored but not counted, so there may be a few more).
  stored=$(SQL "SELECT COUNT(*) FROM members WHERE name = '赵负载'")
  answered=$(awk -v b="$backend" '$1 == "write" && $2 == b {n += $9} END {print n + 0}' "$RESULTS")
  echo "  applications stored: $stored (answered during the runs: $answered)"
  (( stored >= answered )) || { echo "fewer applications stored than answered"; exit 1; }
  stop_server
  if [ "$backend" = postgres ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB"; fi
done

# "requests" is how many answers wrk counted; a run in which not one request was answered
# (a page slower than DURATION at that many connections) shows "-" rather than zeros.
table() { # kind title
  printf '\n%s — %s households, wrk -t%s, %s per run, timeout %s, %s\n' "$2" "$HOUSEHOLDS" "$THREADS" "$DURATION" "$TIMEOUT" "$BIN"
  printf '%-10s %-10s %11s %11s %10s %10s %8s %9s\n' backend endpoint connections requests/s "p50 ms" "p99 ms" errors requests
  awk -v k="$1" '$1 == k {
    if ($9 == 0) { $6 = "-"; $7 = "-" }
    printf "%-10s %-10s %11s %11s %10s %10s %8s %9s\n", $2, $3, $4, $5, $6, $7, $8, $9 }
    $1 == k && $9 == 0 {none = 1}
    END {if (none) print "(-: no request answered within the run; a longer DURATION is needed to measure it)"}' "$RESULTS"
}
table read "reads"
table write "writes (applications, one new case each)"
