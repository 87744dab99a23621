#!/usr/bin/env bash
# bench/s3/run.sh BUILD_DIR [SIZES_MIB] [REPS]: upload and download throughput
# of the same random files through RemoteObjects (mlpipe_s3_bench) and through
# `curl --aws-sigv4` to the same S3 endpoint, in the same run; prints a
# Markdown table of medians. The endpoint comes from MLPIPE_TEST_S3_* (run it
# under scripts/services/with_services.sh, which starts Ceph RGW).
# curl sends the same x-amz-content-sha256 (the file's real SHA-256), so the
# server verifies both uploads alike; its download is a plain GET to a file.
set -euo pipefail
BUILD=$(readlink -f "${1:?usage: run.sh BUILD_DIR [SIZES_MIB] [REPS]}")
SIZES=${2:-"1 64 256"}
REPS=${3:-5}
BENCH=$BUILD/bench/s3/mlpipe_s3_bench
: "${MLPIPE_TEST_S3_ENDPOINT:?no S3 endpoint: run under scripts/services/with_services.sh}"
E=$MLPIPE_TEST_S3_ENDPOINT B=$MLPIPE_TEST_S3_BUCKET
AK=$MLPIPE_TEST_S3_ACCESS_KEY SK=$MLPIPE_TEST_S3_SECRET_KEY
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
now() { date +%s%N; }
s3curl() { curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@"; }

echo "| size | upload: mlpipe | upload: curl | ratio | download: mlpipe | download: curl | ratio | GetObject alone | ratio | curl + openssl sha256 | ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
# The last size once more with multipart uploads (16 MiB parts, 4 in flight),
# against curl's single PUT.
MULTI=${MULTI:-1}
rows=$SIZES; ((MULTI)) && rows="$rows ${SIZES##* }m"
for row in $rows; do
  mib=${row%m}; knobs=(); label="$mib MiB"
  [[ $row == *m ]] && knobs=(env MLPIPE_S3_BENCH_THRESHOLD_MIB=1 MLPIPE_S3_BENCH_PART_MIB=16) label="$mib MiB, multipart"
  f=$T/obj-$mib; head -c $((mib << 20)) /dev/urandom >"$f"; sha=$(sha256sum "$f" | cut -d' ' -f1)
  : >"$T/ours"; : >"$T/cu"; : >"$T/cd"; : >"$T/ch"
  # Alternating, so a change in the machine's load falls on both alike.
  for ((i = 0; i < REPS; i++)); do
    "${knobs[@]}" "$BENCH" "$f" 1 >>"$T/ours"
    key=bench-curl-$$-$i
    t0=$(now); s3curl -H "x-amz-content-sha256: $sha" -T "$f" "$E/$B/$key" -o /dev/null; t1=$(now)
    s3curl -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -o "$T/got" "$E/$B/$key"; t2=$(now)
    openssl dgst -sha256 "$T/got" >/dev/null; t3=$(now)
    s3curl -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X DELETE "$E/$B/$key" -o /dev/null
    rm -f "$T/got"
    echo "$(( (t1 - t0) / 1000 ))e-6" | awk '{printf "%.6f\n", $1}' >>"$T/cu"
    echo "$(( (t2 - t1) / 1000 ))e-6" | awk '{printf "%.6f\n", $1}' >>"$T/cd"
    echo "$(( (t3 - t1) / 1000 ))e-6" | awk '{printf "%.6f\n", $1}' >>"$T/ch"
  done
  ou=$(awk '$1=="upload"{print $2}' "$T/ours" | median); od=$(awk '$1=="download"{print $2}' "$T/ours" | median)
  og=$(awk '$1=="get"{print $2}' "$T/ours" | median)
  cu=$(median <"$T/cu"); cd=$(median <"$T/cd"); ch=$(median <"$T/ch")
  awk -v label="$label" -v m="$mib" -v ou="$ou" -v cu="$cu" -v od="$od" -v cd="$cd" -v og="$og" -v ch="$ch" 'BEGIN {
    printf "| %s | %.3f s (%.0f MiB/s) | %.3f s (%.0f MiB/s) | %.2fx | %.3f s (%.0f MiB/s) | %.3f s (%.0f MiB/s) | %.2fx | %.3f s | %.2fx | %.3f s | %.2fx |\n",
      label, ou, m/ou, cu, m/cu, cu/ou, od, m/od, cd, m/cd, cd/od, og, cd/og, ch, ch/od }'
  rm -f "$f"
done
echo
echo "ratio = curl's time / mlpipe's (1.00x = as fast as curl; the target is >= 0.80x); medians of $REPS."
echo "download: RemoteObjects::Fetch (GET, SHA-256, stored in the local cache with fsync); GetObject alone: no store;"
echo "curl + openssl sha256: curl's GET, then the file hashed (the check mlpipe makes), against Fetch."
