#!/usr/bin/env bash
# with_services.sh CMD...: runs CMD with the services the tests use started
# from this folder's scripts (today: a single-node Slurm), then stops what it
# started. A service that cannot start does not stop the tests: its tests
# skip, saying why (MLPIPE_SLURM_UNAVAILABLE holds the reason). Exit: CMD's.
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

"$@"
rc=$?

if ((started_slurm)); then "$here/stop-slurm.sh" >>"$log" 2>&1 || echo "services: stop-slurm.sh failed (log: $log)" >&2; fi
exit $rc
