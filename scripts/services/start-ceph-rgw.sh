#!/usr/bin/env bash
# start-ceph-rgw.sh — single-node Ceph (1 mon, 1 OSD) + RADOS Gateway (S3 API) on
# 127.0.0.1:7480, no systemd, no cephadm.  Everything lives under $CEPH_DIR; nothing in
# /etc/ceph is touched (all commands get -c $CEPH_DIR/ceph.conf).
# scripts/services/with_services.sh runs it for the tests (BlueStore in a kept folder: warm starts).
# Idempotent: a running cluster is left alone; a stopped one is restarted with its data.
#
#   CEPH_DIR       (default /tmp/mlpipe-test-ceph)
#   CEPH_STORE     bluestore (default; 10 GiB sparse file) | memstore (RAM: lost on stop, so it cannot restart; stop with --purge)
#   S3_PORT        (default 7480)
#   S3_ACCESS_KEY / S3_SECRET_KEY  credentials of the S3 user 'mlpipe'
set -euo pipefail
DIR=${CEPH_DIR:-/tmp/mlpipe-test-ceph}
STORE=${CEPH_STORE:-bluestore}
PORT=${S3_PORT:-7480}
AK=${S3_ACCESS_KEY:-mlpipeaccesskey}
SK=${S3_SECRET_KEY:-mlpipesecretkey1234567890}
CONF=$DIR/ceph.conf
T0=$(date +%s%N)
log() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[start-ceph %d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*"; }
die() { log "ERROR: $*"; exit 1; }
alive() { local f=$DIR/pids/$1.pid p; [ -s "$f" ] || return 1; p=$(cat "$f")
  kill -0 "$p" 2>/dev/null && [[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == *"$2"* ]]; }
# By the clock, not by tries: one `ceph -s` against a dead monitor takes its 10 s connect timeout.
wait_for() { local name=$1 end=$((SECONDS + $2)); shift 2
  while ((SECONDS < end)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
C() { ceph -c "$CONF" --connect-timeout 10 "$@"; }

# ---- install
need=(); command -v ceph-mon >/dev/null || need+=(ceph-mon); command -v ceph-osd >/dev/null || need+=(ceph-osd)
command -v radosgw >/dev/null || need+=(radosgw); command -v ceph >/dev/null || need+=(ceph-common)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${need[@]}" \
    >/tmp/start-ceph-apt.log 2>&1 || { apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${need[@]}" >>/tmp/start-ceph-apt.log 2>&1; }
fi
log "ceph $(ceph --version | awk '{print $3}')"
mkdir -p "$DIR"/{pids,log,run,rgw}

# ---- config + keys (first run only)
if [ ! -f "$CONF" ]; then
  FSID=$(cat /proc/sys/kernel/random/uuid)
  cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[mon]
mon data = $DIR/mon.\$id
mon allow pool delete = true
[osd]
osd data = $DIR/osd.\$id
keyring = $DIR/osd.\$id/keyring
osd objectstore = $STORE
bluestore block size = 10737418240
memstore device bytes = 2147483648
osd memory target = 1073741824
[client.rgw.a]
keyring = $DIR/rgw/keyring
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
# Deleted objects' data is reclaimed within seconds, not the default two hours: tests and benchmarks
# write and delete GiBs, which would otherwise fill the 10 GiB OSD.
rgw gc obj min wait = 0
rgw gc processor period = 10
EOF
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$DIR/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
      --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:3300]' "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" || die "mon mkfs"
  log "created cluster $FSID"
fi

# ---- mon
if alive mon "ceph-mon"; then log "mon already running"; else
  nohup ceph-mon -c "$CONF" -i a -f >"$DIR/log/mon.out" 2>&1 & echo $! > "$DIR/pids/mon.pid"
  wait_for mon 30 C -s || { tail "$DIR/log/mon.out"; die "mon not answering"; }
  log "mon started (pid $(cat "$DIR/pids/mon.pid"))"
fi

# ---- osd.0
if [ ! -f "$DIR/osd.0/keyring" ]; then
  UUID=$(cat /proc/sys/kernel/random/uuid); KEY=$(ceph-authtool --gen-print-key)
  ID=$(echo "{\"cephx_secret\": \"$KEY\"}" | C osd new "$UUID" -i -)
  [ "$ID" = 0 ] || die "expected osd id 0, got $ID"
  mkdir -p "$DIR/osd.0"
  ceph-authtool --create-keyring "$DIR/osd.0/keyring" --name osd.0 --add-key "$KEY" >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$UUID" >"$DIR/log/osd-mkfs.out" 2>&1 || { tail "$DIR/log/osd-mkfs.out"; die "osd mkfs"; }
  log "osd.0 created ($STORE)"
fi
if alive osd "ceph-osd"; then log "osd already running"; else
  nohup ceph-osd -c "$CONF" -i 0 -f >"$DIR/log/osd.out" 2>&1 & echo $! > "$DIR/pids/osd.pid"
  osd_up() { [[ "$(C osd stat 2>/dev/null)" == *"1 up"*"1 in"* ]]; }
  wait_for osd 60 osd_up || { tail "$DIR/log/osd.out"; die "osd not up"; }
  log "osd started (pid $(cat "$DIR/pids/osd.pid"))"
fi

# ---- rgw
[ -f "$DIR/rgw/keyring" ] || C auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$DIR/rgw/keyring"
if alive rgw "radosgw"; then log "rgw already running"; else
  nohup radosgw -c "$CONF" -n client.rgw.a -f >"$DIR/log/rgw.out" 2>&1 & echo $! > "$DIR/pids/rgw.pid"
  wait_for rgw 90 curl -sf "http://127.0.0.1:$PORT/" || { tail "$DIR/log/rgw.out" "$DIR/log/client.rgw.a.log"; die "rgw not answering"; }
  log "rgw started (pid $(cat "$DIR/pids/rgw.pid")) on http://127.0.0.1:$PORT"
fi

# ---- S3 user
if ! radosgw-admin -c "$CONF" user info --uid=mlpipe >/dev/null 2>&1; then
  radosgw-admin -c "$CONF" user create --uid=mlpipe --display-name=mlpipe \
      --access-key="$AK" --secret-key="$SK" >/dev/null || die "user create"
  log "S3 user mlpipe created"
fi
log "ready: S3 endpoint http://127.0.0.1:$PORT  access=$AK  ($(C health 2>/dev/null))"
