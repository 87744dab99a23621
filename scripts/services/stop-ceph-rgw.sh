#!/usr/bin/env bash
# stop-ceph-rgw.sh [--purge] — stop rgw, osd, mon started by start-ceph-rgw.sh (by recorded PID).
# In order, one at a time: TERM to all three at once makes the OSD wait ~6 s for the gone monitor.
# --purge deletes $CEPH_DIR (all objects) so the next start creates a fresh cluster.
set -uo pipefail
DIR=${CEPH_DIR:-/tmp/mlpipe-test-ceph}
for d in rgw:radosgw osd:ceph-osd mon:ceph-mon; do
  n=${d%%:*} pat=${d#*:} f=$DIR/pids/${d%%:*}.pid
  [ -s "$f" ] || continue; p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null && [[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == *"$pat"* ]]; then
    t0=$(date +%s%N); kill -TERM "$p"
    for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && { echo "[stop-ceph] $n ignored TERM -> KILL"; kill -KILL "$p"; }
    echo "[stop-ceph] stopped $n (pid $p) in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  fi
  rm -f "$f"
done
[ "${1:-}" = --purge ] && { rm -rf "$DIR"; echo "[stop-ceph] purged $DIR"; }
exit 0
