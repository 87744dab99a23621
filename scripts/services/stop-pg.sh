#!/usr/bin/env bash
# stop-pg.sh [--purge] — fast shutdown of the cluster started by start-pg.sh
set -uo pipefail
PGDIR=${PGDIR:-/tmp/mlpipe-test-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ -s "$PGDIR/data/postmaster.pid" ]; then
  runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop && echo "[stop-pg] stopped pid $(cat "$PGDIR/postgres.pid" 2>/dev/null)"
fi
rm -f "$PGDIR/postgres.pid"
[ "${1:-}" = --purge ] && rm -rf "$PGDIR" && echo "[stop-pg] purged $PGDIR"
exit 0
