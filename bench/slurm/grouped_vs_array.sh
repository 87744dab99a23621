#!/usr/bin/env bash
# bench/slurm/grouped_vs_array.sh MLPIPE [N] [GROUP]: N tiny steps (default 1,000)
# through a real Slurm, three ways, in one run:
#   array:   the same N commands submitted by hand as one `sbatch --array --wait`
#   grouped: `mlpipe run --executor slurm --slurm-group GROUP` (default 50)
#   alone:   `mlpipe run --executor slurm` (a job per step), only when N <= 200
# Prints each wall time and mlpipe's ratios to the array, and mlpipe's own CPU
# a step (user + system of the mlpipe process, not the jobs'). Needs a running Slurm
# (scripts/services/start-slurm.sh).
set -euo pipefail
mlpipe=$(realpath "$1")
n=${2:-1000}
group=${3:-50}
dir=$(mktemp -d /tmp/mlpipe-slurm-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

{
  echo "pipeline: tiny"
  echo "steps:"
  for ((i = 0; i < n; i++)); do
    echo "  s$i:"
    echo "    run: echo $i > \${outputs.o}"
    echo "    shell: true"
    echo "    outputs: {o: dataset}"
  done
} >pipeline.yaml

now() { date +%s.%N; }
mkdir -p array
cat >array.sh <<'SH'
#!/bin/sh
echo "$SLURM_ARRAY_TASK_ID" > "array/$SLURM_ARRAY_TASK_ID"
SH
t0=$(now)
sbatch --wait --quiet --array=0-$((n - 1)) --output=/dev/null --chdir="$dir" array.sh
t1=$(now)
array_s=$(echo "$t1 - $t0" | bc -l)
[[ $(ls array | wc -l) -eq $n ]] || { echo "array: $(ls array | wc -l) of $n outputs" >&2; exit 1; }

t0=$(now)
/usr/bin/time -f '%U %S' -o cpu.txt "$mlpipe" run pipeline.yaml --executor slurm --slurm-group "$group" >/dev/null
t1=$(now)
grouped_s=$(echo "$t1 - $t0" | bc -l)
cpu_ms=$(awk -v n="$n" '{printf "%.2f", ($1 + $2) * 1000 / n}' cpu.txt)

printf 'N=%d, %s\n' "$n" "$(sinfo -h -o '%D node(s), %c CPUs a node')"
printf 'sbatch --array by hand:        %7.2f s\n' "$array_s"
printf 'mlpipe --slurm-group %-5d     %7.2f s  (%.2fx the array; mlpipe own CPU %s ms a step)\n' "$group" \
  "$grouped_s" "$(echo "$grouped_s / $array_s" | bc -l)" "$cpu_ms"
if ((n <= 200)); then
  rm -rf .mlpipe
  t0=$(now)
  "$mlpipe" run pipeline.yaml --executor slurm >/dev/null
  t1=$(now)
  alone_s=$(echo "$t1 - $t0" | bc -l)
  printf 'mlpipe, a job per step:        %7.2f s  (%.2fx the array)\n' "$alone_s" "$(echo "$alone_s / $array_s" | bc -l)"
fi
