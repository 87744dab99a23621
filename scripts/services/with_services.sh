#!/usr/bin/env bash
# with_services.sh CMD...: runs CMD with the services the tests use started
# from this folder's scripts (a single-node Slurm; PostgreSQL for the
# metadata store's tests, whose URL goes to MLPIPE_TEST_PG_URL), then stops
# what it started. A service that cannot start does not stop the tests: its
# tests skip, saying why (MLPIPE_SLURM_UNAVAILABLE, MLPIPE_PG_UNAVAILABLE hold
# the reason). Exit: CMD's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log=${TMPDIR:-/tmp}/mlpipe-services.log
: >"$log"

started_slurm=0
if [[ $(id -u) -ne 0 ]]; then
  export MLPIPE_SLURM_UNAVAILABLE="starting Slurm needs root"
elif sinfo -h >/dev/null 2>&1; then
  echo "services: Slurm already answers; using it" >&2
else
  t0=$(date +%s)
  if SLURM_RESTD=0 "$here/start-slurm.sh" >>"$log" 2>&1; then
    started_slurm=1
    echo "services: Slurm started in $(($(date +%s) - t0)) s" >&2
  else
    export MLPIPE_SLURM_UNAVAILABLE="scripts/services/start-slurm.sh failed: $(tail -1 "$log")"
    echo "services: $MLPIPE_SLURM_UNAVAILABLE (log: $log)" >&2
  fi
fi

# PostgreSQL: a private cluster in /tmp/mlpipe-test-pg on 127.0.0.1:5433
# (start-pg.sh; about 0.7 s the first time, with initdb, 0.15 s after).
# The tests make a schema each and drop it, so one database serves them all.
started_pg=0
pg_port=${PGPORT:-5433} pg_user=${PG_USER:-mlpipe} pg_pass=${PG_PASS:-mlpipe} pg_db=${PG_DB:-mlpipe}
pg_url="postgresql://$pg_user:$pg_pass@127.0.0.1:$pg_port/$pg_db"
if [[ -n ${MLPIPE_TEST_PG_URL:-} ]]; then
  echo "services: MLPIPE_TEST_PG_URL is set; using that database" >&2
elif [[ $(id -u) -ne 0 ]]; then
  export MLPIPE_PG_UNAVAILABLE="starting PostgreSQL needs root (or set MLPIPE_TEST_PG_URL)"
elif PGPASSWORD=$pg_pass psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d "$pg_db" -Atc 'SELECT 1' >/dev/null 2>&1; then
  echo "services: PostgreSQL already answers on 127.0.0.1:$pg_port; using it" >&2
  export MLPIPE_TEST_PG_URL=$pg_url
else
  t0=$(date +%s%N)
  if "$here/start-pg.sh" >>"$log" 2>&1; then
    started_pg=1
    export MLPIPE_TEST_PG_URL=$pg_url
    echo "services: PostgreSQL started in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
  else
    export MLPIPE_PG_UNAVAILABLE="scripts/services/start-pg.sh failed: $(tail -1 "$log")"
    echo "services: $MLPIPE_PG_UNAVAILABLE (log: $log)" >&2
  fi
fi

"$@"
rc=$?

if ((started_slurm)); then "$here/stop-slurm.sh" >>"$log" 2>&1 || echo "services: stop-slurm.sh failed (log: $log)" >&2; fi
if ((started_pg)); then "$here/stop-pg.sh" >>"$log" 2>&1 || echo "services: stop-pg.sh failed (log: $log)" >&2; fi
exit $rc
