#!/bin/bash
# W7 (issue 11): merge of a 10M-row and a 1M-row frame on an int64 key
# (inner, every left row matches; inputs persisted in 20 and 4 partitions,
# untimed; the merge persisted, timed), Tessera against Dask, DuckDB and
# Polars in one run:
#   1. dask_ref.py --workload W7 --engine threads (and serial pandas);
#   2. duckdb_ref.mjs --workload W7 --threads 2 (when its packages are installed);
#   3. dataframe_w7_bench at 1 rank (2 threads) and 2 ranks: every repeat,
#      the first one (cold memory, as Dask's single run) and the best;
# then the ratios. Numbers: docs/performance.md, "W7: merge (issue 11)".
#   bench/w7_vs_dask.sh [BUILD_DIR] [PEERS_NODE_PATH]
set -uo pipefail
build=${1:-build}
peers=${2:-$HOME/.cache/tessera-peers/node_modules}
here=$(dirname "$0")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
load() { uptime | sed 's/.*load average: //'; }
data=$(mktemp -d)  # W7 makes its inputs in memory; dask_ref.py wants a directory all the same
trap 'rm -rf "$data"' EXIT
echo "# $(date -u +%FT%TZ) $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
echo "# $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load $(load)"

echo "## 1. Dask threads, and pandas alone"
dask=$(/usr/bin/python3 "$here/../../shared/bench/dask_ref.py" --data "$data" --workload W7 --engine threads,serial 2>&1)
echo "$dask"
t_dask=$(awk '$1 == "W7.threads" {print $2}' <<<"$dask")
t_pandas=$(awk '$1 == "W7.serial" {print $2}' <<<"$dask")

echo "## 2. DuckDB and Polars (2 threads)"
t_duck="" t_polars=""
if [ -d "$peers" ]; then
  peer=$(NODE_PATH="$peers" node "$here/../../shared/bench/duckdb_ref.mjs" --data "$data" --workload W7 --threads 2 2>&1)
  echo "$peer"
  t_duck=$(awk '$1 ~ /^W7.duckdb/ {print $2}' <<<"$peer" | head -1)
  t_polars=$(awk '$1 ~ /^W7.polars/ {print $2}' <<<"$peer" | head -1)
else
  echo "(no $peers: see the header of duckdb_ref.mjs)"
fi

echo "## 3. Tessera inside one process, load $(load)"
declare -A t_first t_best
for ranks in 1 2; do
  out=$(mpiexec --oversubscribe --bind-to none -n "$ranks" "$build/bench/dataframe_w7_bench" --repeat 4)
  echo "$out"
  t_first[$ranks]=$(sed -n 's/^w7 repeat=0 seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  t_best[$ranks]=$(sed -n 's/.*w7_summary.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$out")
done

echo "## Ratios (this run; load now $(load))"
r() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a"}'; }
printf '| what | seconds | vs Dask threads (%s s) | vs pandas (%s s) | vs DuckDB (%s s) | vs Polars (%s s) |\n|---|---|---|---|---|---|\n' \
  "$t_dask" "$t_pandas" "$t_duck" "$t_polars"
for ranks in 1 2; do
  for kind in first best; do
    if [ $kind = first ]; then t=${t_first[$ranks]}; else t=${t_best[$ranks]}; fi
    printf '| Tessera, %s rank(s), %s run | %s | %sx | %sx | %sx | %sx |\n' "$ranks" "$kind" "$t" "$(r "$t_dask" "$t")" \
      "$(r "$t_pandas" "$t")" "$(r "$t_duck" "$t")" "$(r "$t_polars" "$t")"
  done
done
