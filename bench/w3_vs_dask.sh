#!/bin/bash
# W3 (issue 12): read_text('*.json.gz').map(json.loads).pluck('name')
# .frequencies().topk(10, by count) on the 8 gzip'd JSON-lines files of
# ../shared/bench/gen_data.py --scale medium --only json, Tessera against Dask
# and DuckDB in one run:
#   1. dask_ref.py --workload W3 (every engine: threads, processes, serial);
#   2. duckdb_ref.mjs --workload W3 --threads 2 (when its packages are installed);
#   3. bag_w3_bench (inside one process, best of 3 and first) at 1 rank (2 threads) and 2 ranks;
#   4. tessera json-topk at 2 ranks (process start included);
# then the ratios. Numbers: docs/performance.md, "W3: Bag of JSON lines (issue 12)".
#   bench/w3_vs_dask.sh [BUILD_DIR] [DATA_DIR] [PEERS_NODE_PATH]
set -uo pipefail
build=${1:-build}
data=${2:-/tmp/w3data}
peers=${3:-$HOME/.cache/tessera-peers/node_modules}
here=$(dirname "$0")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ls "$data"/*.json.gz >/dev/null 2>&1 || { echo "no $data: /usr/bin/python3 ../shared/bench/gen_data.py $data --scale medium --only json"; exit 2; }
load() { uptime | sed 's/.*load average: //'; }
echo "# $(date -u +%FT%TZ) $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
echo "# $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load $(load)"
echo "# $data: $(du -cb "$data"/*.json.gz | tail -1 | cut -f1) bytes of gzip in $(ls "$data"/*.json.gz | wc -l) files"

echo "## 1. Dask (every engine)"
dask=$(/usr/bin/python3 "$here/../../shared/bench/dask_ref.py" --data "$data" --workload W3 2>&1)
echo "$dask"
t_dask=$(awk '$1 ~ /^W3\./ && $1 != "W3.serial" && $2 ~ /^[0-9.]+$/ {print $2}' <<<"$dask" | sort -g | head -1)

echo "## 2. DuckDB (2 threads)"
t_duck=""
if [ -d "$peers" ]; then
  peer=$(NODE_PATH="$peers" node "$here/../../shared/bench/duckdb_ref.mjs" --data "$data" --workload W3 --threads 2 2>&1)
  echo "$peer"
  t_duck=$(awk '$1 ~ /^W3.duckdb/ {print $2}' <<<"$peer" | head -1)
else
  echo "(no $peers: see the header of duckdb_ref.mjs)"
fi

echo "## 3. Tessera inside one process, load $(load)"
declare -A t_first t_best
for ranks in 1 2; do
  out=$(mpiexec --oversubscribe --bind-to none -n "$ranks" "$build/bench/bag_w3_bench" "$data/*.json.gz" --repeat 3)
  echo "$out"
  t_first[$ranks]=$(sed -n 's/^w3 repeat=0 seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  t_best[$ranks]=$(sed -n 's/.*w3_summary.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$out")
done

echo "## 4. tessera json-topk, 2 ranks (process start included)"
start=$(date +%s.%N)
mpiexec --oversubscribe -n 2 "$build/launcher/tessera" --no-progress json-topk "$data/*.json.gz" --pluck name -k 10
t_cli=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
echo "json-topk: $t_cli s"

echo "## Ratios (this run; load now $(load))"
r() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a"}'; }
printf '| what | seconds | vs Dask best engine (%s s) | vs DuckDB (%s s) |\n|---|---|---|---|\n' "$t_dask" "$t_duck"
for ranks in 1 2; do
  printf '| Tessera, %s rank(s), first run | %s | %sx | %sx |\n' "$ranks" "${t_first[$ranks]}" "$(r "$t_dask" "${t_first[$ranks]}")" "$(r "$t_duck" "${t_first[$ranks]}")"
  printf '| Tessera, %s rank(s), best of 3 | %s | %sx | %sx |\n' "$ranks" "${t_best[$ranks]}" "$(r "$t_dask" "${t_best[$ranks]}")" "$(r "$t_duck" "${t_best[$ranks]}")"
done
printf '| tessera json-topk, 2 ranks, with process start | %s | %sx | %sx |\n' "$t_cli" "$(r "$t_dask" "$t_cli")" "$(r "$t_duck" "$t_cli")"
