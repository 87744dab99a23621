#!/usr/bin/env bash
# The metadata cost per step of a 1,000-step fan-out, PostgreSQL vs SQLite,
# one writer and four at once (docs/benchmarks.md, "Metadata on PostgreSQL").
#   bench/pg/run.sh BUILD_DIR      (a Release build with -DMLPIPE_BENCH=ON)
# Starts the test cluster (scripts/services/start-pg.sh) if nothing answers on
# 127.0.0.1:5433; writes into a schema of its own, dropped and made afresh
# before each PostgreSQL case, and a SQLite file in a temporary folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: bench/pg/run.sh BUILD_DIR}
bench=$build/bench/pg/mlpipe_pg_metadata_bench
cmake --build "$build" -j2 --target mlpipe_pg_metadata_bench >/dev/null
user=${PG_USER:-mlpipe} pass=${PG_PASS:-mlpipe} db=${PG_DB:-mlpipe} port=${PGPORT:-5433}
psql_() { PGPASSWORD=$pass psql -q -h 127.0.0.1 -p "$port" -U "$user" -d "$db" "$@"; }
if ! psql_ -Atc 'SELECT 1' >/dev/null 2>&1; then "$here/../../scripts/services/start-pg.sh" >/dev/null; fi
url="postgresql://$user:$pass@127.0.0.1:$port/$db?options=-csearch_path%3Dmlpipe_bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql_ -c "DROP SCHEMA IF EXISTS mlpipe_bench CASCADE" 2>/dev/null || true' EXIT
fresh() { psql_ -c "DROP SCHEMA IF EXISTS mlpipe_bench CASCADE; CREATE SCHEMA mlpipe_bench" 2>/dev/null; rm -f "$tmp"/m.db*; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg), $(psql_ -Atc 'SHOW server_version') (fsync off, as start-pg.sh sets it)"
for args in "" "--writers 4" "--writers 4 --same-names"; do
  fresh
  echo "## SQLite file $args"
  "$bench" "$tmp/m.db" $args
  echo "## PostgreSQL $args"
  "$bench" "$url" $args
done
