#!/bin/bash
# W1 (issue 11): read_csv('2015-*-*.csv').groupby(user_id).value.mean() on the
# 12 CSV files of ../shared/bench/gen_data.py --scale medium --only csv
# (1.5 GB), Tessera against Dask, DuckDB and Polars in one run:
#   1. dask_ref.py --workload W1 --engine threads;
#   2. duckdb_ref.mjs --workload W1 --threads 2 (when its packages are installed, see its header);
#   3. dataframe_w1_bench (inside one process, best of 3) at 1 and 2 ranks;
#   4. tessera csv-groupby at 2 ranks (process start included);
# then the ratios. Numbers: docs/performance.md, "W1: DataFrame from CSV (issue 11)".
#   bench/w1_vs_dask.sh [BUILD_DIR] [DATA_DIR] [PEERS_NODE_PATH]
set -uo pipefail
build=${1:-build}
data=${2:-/tmp/w1data}
peers=${3:-$HOME/.cache/tessera-peers/node_modules}
here=$(dirname "$0")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -f "$data/2015-01-01.csv" ] || { echo "no $data: /usr/bin/python3 ../shared/bench/gen_data.py $data --scale medium --only csv"; exit 2; }
load() { uptime | sed 's/.*load average: //'; }
echo "# $(date -u +%FT%TZ) $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
echo "# $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load $(load)"
echo "# $data: $(du -sb "$data" | cut -f1) bytes in $(ls "$data"/2015-*.csv | wc -l) files"

echo "## 1. Dask threads"
dask=$(/usr/bin/python3 "$here/../../shared/bench/dask_ref.py" --data "$data" --workload W1 --engine threads 2>&1)
echo "$dask"
t_dask=$(awk '$1 == "W1.threads" {print $2}' <<<"$dask")

echo "## 2. DuckDB and Polars (2 threads)"
t_duck="" t_polars=""
if [ -d "$peers" ]; then
  peer=$(NODE_PATH="$peers" node "$here/../../shared/bench/duckdb_ref.mjs" --data "$data" --workload W1 --threads 2 2>&1)
  echo "$peer"
  t_duck=$(awk '$1 ~ /^W1.duckdb/ {print $2}' <<<"$peer" | head -1)
  t_polars=$(awk '$1 ~ /^W1.polars/ {print $2}' <<<"$peer" | head -1)
else
  echo "(no $peers: see the header of duckdb_ref.mjs)"
fi

echo "## 3. Tessera inside one process (best of 3), load $(load)"
declare -A t_proc
for ranks in 1 2; do
  # --bind-to none: Open MPI would bind a lone rank to one core, and its two threads would share it.
  out=$(mpiexec --oversubscribe --bind-to none -n "$ranks" "$build/bench/dataframe_w1_bench" "$data/2015-*-*.csv" --repeat 3)
  echo "$out"
  t_proc[$ranks]=$(sed -n 's/.*w1_summary.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$out")
done

echo "## 4. tessera csv-groupby, 2 ranks (process start included)"
start=$(date +%s.%N)
mpiexec --oversubscribe -n 2 "$build/launcher/tessera" --no-progress csv-groupby "$data/2015-*-*.csv" --by user_id --agg value:mean >/dev/null
t_cli=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
echo "csv-groupby: $t_cli s"

echo "## Ratios (this run; load now $(load))"
r() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a"}'; }
mb=$(du -sb "$data" | awk '{print $1 / 1e6}')
printf '| what | seconds | MB/s | vs Dask threads (%s s) | vs DuckDB (%s s) | vs Polars (%s s) |\n|---|---|---|---|---|---|\n' "$t_dask" "$t_duck" "$t_polars"
for ranks in 1 2; do
  t=${t_proc[$ranks]}
  printf '| Tessera, %s rank(s), in one process | %s | %.0f | %sx | %sx | %sx |\n' "$ranks" "$t" "$(awk -v m="$mb" -v t="$t" 'BEGIN {print m / t}')" \
    "$(r "$t_dask" "$t")" "$(r "$t_duck" "$t")" "$(r "$t_polars" "$t")"
done
printf '| tessera csv-groupby, 2 ranks, with process start | %s | | %sx | %sx | %sx |\n' "$t_cli" "$(r "$t_dask" "$t_cli")" \
  "$(r "$t_duck" "$t_cli")" "$(r "$t_polars" "$t_cli")"
