#!/usr/bin/env bash
# with_services.sh CMD...: runs CMD with the services the tests use started
# from this folder's scripts (a single-node Slurm; PostgreSQL for the
# metadata store's tests, whose URL goes to MLPIPE_TEST_PG_URL; Ceph RGW, an
# S3 endpoint, whose address goes to MLPIPE_TEST_S3_*), then stops what it
# started. A service that cannot start does not stop the tests: its tests
# skip, saying why (MLPIPE_SLURM_UNAVAILABLE, MLPIPE_PG_UNAVAILABLE and
# MLPIPE_S3_UNAVAILABLE hold the reasons). Exit: CMD's.
#
# Several at once (two test runs on one machine) share the services: each
# registers under $state/users, and the last one to end stops what any of
# them started (recorded under $state/started), so no run loses its
# services under it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${TMPDIR:-/tmp}/mlpipe-services.d
mkdir -p "$state/users" "$state/started"
log=$state/$$.log
: >"$log"
# The users that are still alive, after removing those that are not.
live_users() {
  local f n=0
  for f in "$state"/users/*; do
    [[ -e $f ]] || continue
    if kill -0 "${f##*/}" 2>/dev/null; then n=$((n + 1)); else rm -f "$f"; fi
  done
  echo "$n"
}
# Runs "$@" holding the lock (in a subshell: no service started later
# inherits the lock's file).
locked() { (flock 9 && "$@") 9>"$state/lock"; }
# Starting is one at a time: a second run waits, then finds the services up.
exec 9>"$state/lock"
flock 9
touch "$state/users/$$"

started_slurm=0
if [[ $(id -u) -ne 0 ]]; then
  export MLPIPE_SLURM_UNAVAILABLE="starting Slurm needs root"
elif sinfo -h >/dev/null 2>&1; then
  echo "services: Slurm already answers; using it" >&2
else
  t0=$(date +%s)
  if SLURM_RESTD=0 "$here/start-slurm.sh" >>"$log" 2>&1 9>&-; then
    started_slurm=1
    touch "$state/started/slurm"
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
  if "$here/start-pg.sh" >>"$log" 2>&1 9>&-; then
    started_pg=1
    touch "$state/started/pg"
    export MLPIPE_TEST_PG_URL=$pg_url
    echo "services: PostgreSQL started in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
  else
    export MLPIPE_PG_UNAVAILABLE="scripts/services/start-pg.sh failed: $(tail -1 "$log")"
    echo "services: $MLPIPE_PG_UNAVAILABLE (log: $log)" >&2
  fi
fi
# ---- Ceph RGW (S3): the remote object store's tests (src/mlpipe/store/s3_client_test.cc).
# BlueStore in a kept folder: a warm start takes ~6 s, a fresh MemStore cluster ~13 s (MemStore
# cannot restart); the tests remove their own objects (each under its own key prefix).
started_ceph=0
start_ceph() {
  local port=${S3_PORT:-7480} ak=${S3_ACCESS_KEY:-mlpipeaccesskey} sk=${S3_SECRET_KEY:-mlpipesecretkey1234567890}
  local bucket=mlpipe-test endpoint t0 code
  endpoint=http://127.0.0.1:$port
  if [[ $(id -u) -ne 0 ]]; then
    export MLPIPE_S3_UNAVAILABLE="starting Ceph RGW needs root"; return
  fi
  if curl -sf -o /dev/null "$endpoint/"; then
    echo "services: an S3 endpoint already answers on $endpoint; using it" >&2
  else
    t0=$(date +%s)
    # The kept folder grows (BlueStore does not give freed blocks back to the file system, and
    # the logs): past 3 GiB, start a fresh cluster rather than fill the disk the build needs.
    local dir=${CEPH_DIR:-/tmp/mlpipe-test-ceph} kib
    kib=$(du -sk "$dir" 2>/dev/null | cut -f1)
    if ((${kib:-0} > 3 * 1024 * 1024)); then
      echo "services: $dir holds $((kib / 1024)) MiB; purging it" >&2
      CEPH_DIR=$dir "$here/stop-ceph-rgw.sh" --purge >>"$log" 2>&1 9>&-
    fi
    if ! CEPH_DIR=$dir "$here/start-ceph-rgw.sh" >>"$log" 2>&1 9>&-; then
      export MLPIPE_S3_UNAVAILABLE="scripts/services/start-ceph-rgw.sh failed: $(tail -1 "$log")"
      echo "services: $MLPIPE_S3_UNAVAILABLE (log: $log)" >&2; return
    fi
    started_ceph=1
    touch "$state/started/ceph"
    echo "services: Ceph RGW started in $(($(date +%s) - t0)) s" >&2
  fi
  code=$(curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user "$ak:$sk" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT "$endpoint/$bucket" 2>>"$log")
  if [[ $code != 200 && $code != 409 ]]; then
    export MLPIPE_S3_UNAVAILABLE="creating the bucket $bucket on $endpoint answered HTTP $code"
    echo "services: $MLPIPE_S3_UNAVAILABLE" >&2; return
  fi
  export MLPIPE_TEST_S3_ENDPOINT=$endpoint MLPIPE_TEST_S3_BUCKET=$bucket
  export MLPIPE_TEST_S3_ACCESS_KEY=$ak MLPIPE_TEST_S3_SECRET_KEY=$sk
}
start_ceph
flock -u 9
exec 9>&-

"$@"
rc=$?

# The last user stops what was started for the users (this one or an
# earlier one that ended while others ran).
finish() {
  rm -f "$state/users/$$"
  if [[ $(live_users) -ne 0 ]]; then
    if ((started_slurm || started_pg || started_ceph)); then
      echo "services: left running for the other test runs that use them" >&2
    fi
    return 0
  fi
  local name script
  for name in ceph:stop-ceph-rgw.sh slurm:stop-slurm.sh pg:stop-pg.sh; do
    script=${name#*:} name=${name%%:*}
    [[ -e $state/started/$name ]] || continue
    rm -f "$state/started/$name"
    CEPH_DIR=${CEPH_DIR:-/tmp/mlpipe-test-ceph} "$here/$script" >>"$log" 2>&1 ||
      echo "services: $script failed (log: $log)" >&2
  done
}
locked finish
# The log is kept when a service failed to start or stop (the messages above name it).
grep -q 'failed' "$log" 2>/dev/null || rm -f "$log"
exit $rc
