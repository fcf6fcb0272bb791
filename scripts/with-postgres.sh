#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1, run the given command with
# TEST_DATABASE_URL pointing at it, then stop the server and remove its files.
# Tests that stop and restart the server (tests/security/test_database_down.py) find it
# through TEST_PG_CTL, TEST_PG_DATA, TEST_PG_LOG, TEST_PG_START_OPTS and TEST_PG_USER
# (the account pg_ctl must run as; empty when it runs as the caller).
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
datadir=$(mktemp -d /tmp/portal-pg.XXXXXX)
port=${PORTAL_TEST_PG_PORT:-$((20000 + RANDOM % 20000))}
as_pg=()
pg_user=""
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$datadir"
  pg_user=postgres
  as_pg=(runuser -u postgres --)   # initdb refuses to run as root
fi
start_opts="-c listen_addresses=127.0.0.1 -p $port -k $datadir -c fsync=off -c synchronous_commit=off"
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap cleanup EXIT
"${as_pg[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -o "$start_opts" start >/dev/null
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres portal_test
export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/portal_test"
export TEST_PG_CTL="$bindir/pg_ctl" TEST_PG_DATA="$datadir/data" TEST_PG_LOG="$datadir/server.log"
export TEST_PG_START_OPTS="$start_opts" TEST_PG_USER="$pg_user"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running on 127.0.0.1:$port"
"$@"
