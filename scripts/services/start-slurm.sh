#!/usr/bin/env bash
# start-slurm.sh — install (if needed) and start a single-node Slurm cluster on
# localhost WITHOUT systemd, for mlpipe's Slurm executor tests (`make test`
# starts it before the tests and stops it after; tests/e2e/slurm_e2e_test.cc).
# Idempotent: re-running it while the cluster is up is a no-op; re-running
# after stop-slurm.sh restarts it.
#
# Env knobs:
#   SLURM_RUNDIR   where pidfiles + logs go          (default /tmp/mlpipe-slurm)
#   SLURM_PARTITION partition name                    (default debug)
#   SLURM_RESTD    1 = also start slurmrestd on a unix socket (default 0)
#   SLURM_RESTD_USER unprivileged user slurmrestd runs as  (default slurmrest)
#   SLURM_WAIT     seconds to wait for node idle      (default 60)
#   SLURM_ACCOUNTING 1 = also install/start MariaDB + slurmdbd so sacct works (default 0)
#
# Daemons started (PIDs in $SLURM_RUNDIR/*.pid):
#   munged (as user munge), [mariadbd + slurmdbd], slurmctld (root -> SlurmUser=slurm), slurmd (root),
#   slurmrestd (as $SLURM_RESTD_USER, rest_auth/local on a unix socket)
set -euo pipefail

RUNDIR=${SLURM_RUNDIR:-/tmp/mlpipe-slurm}
PART=${SLURM_PARTITION:-debug}
START_RESTD=${SLURM_RESTD:-0}
RESTD_USER=${SLURM_RESTD_USER:-slurmrest}
WAIT=${SLURM_WAIT:-60}
ACCT=${SLURM_ACCOUNTING:-0}
CONF=/etc/slurm/slurm.conf
RESTD_SOCK=$RUNDIR/restd/slurmrestd.sock
T0=$(date +%s%N)

log() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[start-slurm %d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*"; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

alive() { # alive DIR/NAME.pid -> 0 if that pid is live AND its cmdline mentions NAME (guards pid reuse)
  local f=$1 p n
  [ -s "$f" ] || return 1
  p=$(cat "$f"); n=$(basename "$f" .pid)
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == *"$n"* ]]
}

wait_for() { # wait_for PIDFILE SECONDS CMD... : poll CMD every 0.1 s; give up early if the daemon died
  local pf=$1 secs=$2 i; shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "$pf" ] && ! alive "$pf"; then "$@" >/dev/null 2>&1; return $?; fi
    sleep 0.1
  done
  return 1
}
ctld_up()   { [[ "$(scontrol ping 2>/dev/null)" == *"is UP"* ]]; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
munge_ok()  { munge -n </dev/null | unmunge >/dev/null 2>&1; }

# ---------------------------------------------------------------- 1. install
need_pkgs=()
command -v munged     >/dev/null || need_pkgs+=(munge)
command -v slurmctld  >/dev/null || need_pkgs+=(slurmctld)
command -v slurmd     >/dev/null || need_pkgs+=(slurmd)
command -v sbatch     >/dev/null || need_pkgs+=(slurm-client)
if [ "$START_RESTD" = 1 ]; then command -v slurmrestd >/dev/null || need_pkgs+=(slurmrestd); fi
if [ "$ACCT" = 1 ]; then
  command -v slurmdbd >/dev/null || need_pkgs+=(slurmdbd)
  command -v mariadbd >/dev/null || need_pkgs+=(mariadb-server)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "[start-slurm] installing: ${need_pkgs[*]}"
  # keep postinst scripts from trying to start services (no init system here)
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
  apt-get install "${apt_opts[@]}" "${need_pkgs[@]}" >"/tmp/start-slurm-apt.log" 2>&1 || {
    apt-get update -q >>"/tmp/start-slurm-apt.log" 2>&1
    apt-get install "${apt_opts[@]}" "${need_pkgs[@]}" >>"/tmp/start-slurm-apt.log" 2>&1 || {
      tail -20 /tmp/start-slurm-apt.log; [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  }
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
log "packages present: $(dpkg-query -W -f='${Version}' slurmctld)"

mkdir -p "$RUNDIR"
chmod 755 "$RUNDIR"

# ------------------------------------------------------------------ 2. munge
install -d -o munge -g munge -m 0700 /etc/munge
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
fi
chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key

if alive "$RUNDIR/munged.pid"; then
  log "munged already running (pid $(cat "$RUNDIR/munged.pid"))"
else
  # setpriv execs (no fork), so $! is munged itself
  nohup setpriv --reuid=munge --regid=munge --init-groups \
      /usr/sbin/munged -F --force --log-file=/var/log/munge/munged.log \
      >"$RUNDIR/munged.out" 2>&1 &
  echo $! > "$RUNDIR/munged.pid"
  wait_for "$RUNDIR/munged.pid" 10 munge_ok || { cat "$RUNDIR/munged.out"; die "munge self-test failed"; }
  log "munged started (pid $(cat "$RUNDIR/munged.pid"))"
fi

# ------------------------------------------- 2b. accounting: MariaDB + slurmdbd
if [ "$ACCT" = 1 ]; then
  DATADIR=/var/lib/mysql
  install -d -o mysql -g root -m 0755 /run/mysqld
  install -d -o mysql -g adm -m 2750 /var/log/mysql
  if [ ! -d "$DATADIR/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$DATADIR" >"$RUNDIR/mariadb-install.log" 2>&1 || die "mariadb-install-db failed"
  fi
  if alive "$RUNDIR/mariadbd.pid"; then
    log "mariadbd already running (pid $(cat "$RUNDIR/mariadbd.pid"))"
  else
    # unix socket only: nothing listens on TCP
    nohup /usr/sbin/mariadbd --user=mysql --datadir="$DATADIR" --skip-networking \
        --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mariadbd.pid \
        --log-error=/var/log/mysql/mlpipe-error.log --innodb-buffer-pool-size=64M \
        >"$RUNDIR/mariadbd.out" 2>&1 &
    echo $! > "$RUNDIR/mariadbd.pid"
    wait_for "$RUNDIR/mariadbd.pid" "$WAIT" mariadb-admin --socket=/run/mysqld/mysqld.sock ping || { tail /var/log/mysql/mlpipe-error.log "$RUNDIR/mariadbd.out"; die "mariadbd not up"; }
    log "mariadbd started (pid $(cat "$RUNDIR/mariadbd.pid"))"
  fi
  DBPW=mlpipe-ci-local   # socket-only DB on a CI box; change for anything shared
  mariadb --socket=/run/mysqld/mysqld.sock -e "
    CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPW';
    ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPW';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" || die "DB grant failed"
  install -d -o slurm -g slurm -m 0755 /var/log/slurm
  printf '%s\n' AuthType=auth/munge DbdHost=localhost DbdAddr=127.0.0.1 DbdPort=6819 \
    SlurmUser=slurm LogFile=/var/log/slurm/slurmdbd.log PidFile="$RUNDIR/slurmdbd.daemon.pid" \
    StorageType=accounting_storage/mysql StorageHost=localhost StorageUser=slurm \
    StoragePass="$DBPW" StorageLoc=slurm_acct_db > /etc/slurm/slurmdbd.conf
  chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 600 /etc/slurm/slurmdbd.conf
  if alive "$RUNDIR/slurmdbd.pid"; then
    log "slurmdbd already running (pid $(cat "$RUNDIR/slurmdbd.pid"))"
  else
    nohup /usr/sbin/slurmdbd -D >"$RUNDIR/slurmdbd.out" 2>&1 &
    echo $! > "$RUNDIR/slurmdbd.pid"
    wait_for "$RUNDIR/slurmdbd.pid" "$WAIT" port_open 6819 || { tail "$RUNDIR/slurmdbd.out" /var/log/slurm/slurmdbd.log; die "slurmdbd not listening"; }
    log "slurmdbd started (pid $(cat "$RUNDIR/slurmdbd.pid"))"
  fi
  # sacctmgr reads slurm.conf for the dbd address, so the cluster is registered after writing it (below)
  ACCT_LINES="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819"
else
  ACCT_LINES="AccountingStorageType=accounting_storage/none"
fi

# ------------------------------------------------------------ 3. slurm.conf
HOST=$(hostname -s)
# Let slurmd tell us the real hardware (avoids node INVAL because of config > actual)
NODELINE=$(slurmd -C | head -1)                  # NodeName=vm CPUs=2 ... RealMemory=N
NODELINE="${NODELINE/NodeName=$HOST/NodeName=$HOST NodeAddr=127.0.0.1}"
install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld /var/log/slurm
install -d -m 0755 /var/spool/slurmd /etc/slurm
NEWCONF=$(cat <<EOF
# generated by start-slurm.sh — single node, localhost
ClusterName=mlpipe
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$RUNDIR/slurmctld.daemon.pid
SlurmdPidFile=$RUNDIR/slurmd.daemon.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups needed (container/VM friendly)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
SchedulerType=sched/backfill
# default batch_sched_delay=3 makes every sbatch wait up to 3 s before it is scheduled
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
# keep finished jobs visible to 'scontrol show job' / squeue -t all for 1h
MinJobAge=3600
MaxJobCount=100000
MaxArraySize=10001
# sacct needs slurmdbd (SLURM_ACCOUNTING=1); without it use scontrol/squeue -t all + jobcomp file
$ACCT_LINES
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
$NODELINE State=UNKNOWN
PartitionName=$PART Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
)
conf_changed=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$NEWCONF" ]; then
  printf '%s\n' "$NEWCONF" > "$CONF"; chmod 644 "$CONF"; conf_changed=1
fi
if [ "$ACCT" = 1 ]; then
  grep -qx mlpipe <<<"$(sacctmgr -n -P list cluster format=cluster 2>/dev/null)" \
    || sacctmgr -i add cluster mlpipe >/dev/null || die "sacctmgr add cluster failed"
  log "cluster 'mlpipe' registered in slurmdbd"
fi

# ------------------------------------------------------- 4. slurmctld/slurmd
if alive "$RUNDIR/slurmctld.pid"; then
  log "slurmctld already running (pid $(cat "$RUNDIR/slurmctld.pid"))"
  [ $conf_changed = 1 ] && { log "slurm.conf changed -> scontrol reconfigure"; scontrol reconfigure || true; }
else
  # -D: foreground, so $! is the daemon; -i: ignore state that fails to recover
  nohup /usr/sbin/slurmctld -D -i >"$RUNDIR/slurmctld.out" 2>&1 &
  echo $! > "$RUNDIR/slurmctld.pid"
  log "slurmctld started (pid $(cat "$RUNDIR/slurmctld.pid"))"
fi
wait_for "$RUNDIR/slurmctld.pid" "$WAIT" ctld_up || { tail -20 /var/log/slurm/slurmctld.log "$RUNDIR/slurmctld.out"; die "slurmctld not responding"; }
log "slurmctld responds"

if alive "$RUNDIR/slurmd.pid"; then
  log "slurmd already running (pid $(cat "$RUNDIR/slurmd.pid"))"
else
  nohup /usr/sbin/slurmd -D -N "$HOST" >"$RUNDIR/slurmd.out" 2>&1 &
  echo $! > "$RUNDIR/slurmd.pid"
  log "slurmd started (pid $(cat "$RUNDIR/slurmd.pid"))"
fi

# ------------------------------------------------------------ 5. wait idle
state=""
for i in $(seq $((WAIT*10))); do
  state=$(sinfo -h -N -n "$HOST" -o '%T' 2>/dev/null | head -1 || true)
  case "$state" in
    idle|mixed|allocated) break ;;
    down*|drain*|fail*|inval*)
      # a node left DOWN by a previous unclean stop: resume it once
      [ $((i % 20)) = 0 ] && scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 0.1
done
case "$state" in idle|mixed|allocated) ;; *)
  sinfo -N -l; tail -20 /var/log/slurm/slurmd.log; die "node $HOST not idle (state='$state')";; esac
log "node $HOST is $state"

# ------------------------------------------------------------ 6. slurmrestd
if [ "$START_RESTD" = 1 ]; then
  id "$RESTD_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RESTD_USER"
  if alive "$RUNDIR/slurmrestd.pid"; then
    log "slurmrestd already running (pid $(cat "$RUNDIR/slurmrestd.pid"))"
  else
    install -d -o "$RESTD_USER" -g "$RESTD_USER" -m 0755 "$(dirname "$RESTD_SOCK")"
    rm -f "$RESTD_SOCK"
    # the dbv0.0.x plugins are fatal without slurmdbd ("slurm not configured with slurmdbd")
    RESTD_PLUGINS=openapi/v0.0.38
    grep -q '^AccountingStorageType=accounting_storage/slurmdbd' "$CONF" \
      && RESTD_PLUGINS=openapi/v0.0.38,openapi/dbv0.0.38
    # slurmrestd refuses root/SlurmUser; rest_auth/local = peer uid of the unix socket,
    # so only processes running as $RESTD_USER may call it (jobs run as that user).
    nohup setpriv --reuid="$RESTD_USER" --regid="$RESTD_USER" --init-groups \
        /usr/sbin/slurmrestd -a rest_auth/local -s "$RESTD_PLUGINS" "unix:$RESTD_SOCK" \
        >"$RUNDIR/slurmrestd.out" 2>&1 &
    echo $! > "$RUNDIR/slurmrestd.pid"
    wait_for "$RUNDIR/slurmrestd.pid" 10 test -S "$RESTD_SOCK" || { cat "$RUNDIR/slurmrestd.out"; die "slurmrestd did not create $RESTD_SOCK"; }
    log "slurmrestd started (pid $(cat "$RUNDIR/slurmrestd.pid")) on unix:$RESTD_SOCK as $RESTD_USER"
  fi
fi

log "ready: $(sinfo -h -o '%P %a %D %T %C')  (pids in $RUNDIR)"
