#!/usr/bin/env bash
# Hashing throughput on a 1 GiB file: mlpipe's store (OpenSSL EVP SHA-256,
# SHA-NI where the CPU has it) vs `openssl dgst -sha256` vs coreutils
# `sha256sum`, in one run, best of 3, file in the page cache.
set -euo pipefail
BUILD=$(readlink -f "$1")
MLPIPE="$BUILD/src/mlpipe/cli/mlpipe"
OUT=$(cd "$(dirname "$0")/.." && pwd)/out/hashing
rm -rf "$OUT"; mkdir -p "$OUT/data"
head -c $((1024 * 1024 * 1024)) /dev/urandom > "$OUT/data/big.bin"
cat > "$OUT/pipeline.yaml" <<'YAML'
pipeline: hashbench
steps:
  read:
    run: "true"
    inputs: {big: data/big.bin}
YAML
cat "$OUT/data/big.bin" > /dev/null
best() {  # best wall seconds of 3 runs of "$@"
  local b=999
  for _ in 1 2 3; do
    local t0=$(date +%s.%N); "$@" > /dev/null; local t1=$(date +%s.%N)
    b=$(python3 -c "print(min($b, $t1 - $t0))")
  done
  echo "$b"
}
mlp() { rm -rf "$OUT/.mlpipe"; (cd "$OUT" && MLPIPE_HOME="$OUT/.mlpipe" "$MLPIPE" status pipeline.yaml); }
T_OSSL=$(best openssl dgst -sha256 "$OUT/data/big.bin")
T_SUM=$(best sha256sum "$OUT/data/big.bin")
T_ML=$(best mlp)
python3 - "$T_ML" "$T_OSSL" "$T_SUM" <<'PY'
import sys
ml, ossl, s = map(float, sys.argv[1:])
gib = 1.0737
print("| tool | 1 GiB | GB/s | vs openssl |")
print("|---|---|---|---|")
for name, t in (("mlpipe (status: hash a new 1 GiB source)", ml), ("openssl dgst -sha256", ossl), ("sha256sum", s)):
    print("| %s | %.3f s | %.2f | %.2fx |" % (name, t, gib / t, ossl / t))
PY
rm -rf "$OUT"
