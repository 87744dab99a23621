#!/usr/bin/env bash
# start-pg.sh — private PostgreSQL cluster without systemd (initdb + pg_ctl as user postgres).
# Idempotent. Env: PGDIR (/tmp/mlpipe-test-pg), PGPORT (5433), PG_USER/PG_PASS/PG_DB (mlpipe).
# Prints the libpq URI at the end, its password masked (the caller knows PG_PASS).
# Stop: stop-pg.sh (pg_ctl stop -m fast; uses the recorded PID). with_services.sh runs both for the tests.
set -euo pipefail
PGDIR=${PGDIR:-/tmp/mlpipe-test-pg}; PORT=${PGPORT:-5433}
U=${PG_USER:-mlpipe}; PW=${PG_PASS:-mlpipe}; DB=${PG_DB:-mlpipe}
T0=$(date +%s%N)
log() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[start-pg %d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*"; }
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  log "installing postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends postgresql >/tmp/start-pg-apt.log 2>&1 \
   || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends postgresql >>/tmp/start-pg-apt.log 2>&1; }
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
AS="runuser -u postgres --"
install -d -o postgres -g postgres -m 0700 "$PGDIR" "$PGDIR/data"
install -d -o postgres -g postgres -m 0755 "$PGDIR/run"
if [ ! -s "$PGDIR/data/PG_VERSION" ]; then
  $AS "$BIN/initdb" -D "$PGDIR/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$PGDIR/initdb.log" 2>&1 || { cat "$PGDIR/initdb.log"; exit 1; }
  cat >> "$PGDIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGDIR/run'
fsync = off                 # CI only: throw-away cluster
synchronous_commit = off
full_page_writes = off
CONF
  log "initdb done ($($BIN/postgres --version))"
fi
if $AS "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
  log "already running (pid $(head -1 "$PGDIR/data/postmaster.pid"))"
else
  $AS "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 start >/dev/null
  log "started (pid $(head -1 "$PGDIR/data/postmaster.pid"))"
fi
head -1 "$PGDIR/data/postmaster.pid" > "$PGDIR/postgres.pid"
P="$AS $BIN/psql -h $PGDIR/run -p $PORT -U postgres -v ON_ERROR_STOP=1 -qAt"
$P -c "SELECT 1 FROM pg_roles WHERE rolname='$U'" | grep -q 1 || $P -c "CREATE ROLE \"$U\" LOGIN PASSWORD '$PW'"
$P -c "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 || $P -c "CREATE DATABASE \"$DB\" OWNER \"$U\""
log "ready: postgresql://$U:***@127.0.0.1:$PORT/$DB"
