#!/usr/bin/env bash
# Per-task overhead of Tessera's local schedulers next to Dask's, in one run.
#   bash bench/tasks_vs_dask.sh [path/to/tessera] [path/to/dask_ref.py]
# Tessera: `tessera bench tasks` (map, chain, tree; 1e5 and 1e6 tasks; sync and threads).
# Dask: dask_ref.py W4 (a 50k-leaf delayed tree, ~100k tasks; sync and threads).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tessera=${1:-$here/build/launcher/tessera}
dask_ref=${2:-$here/../shared/bench/dask_ref.py}

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
for n in 100000 1000000; do
  for shape in map chain tree; do
    for scheduler in sync threads; do
      "$tessera" bench tasks --shape $shape --n $n --scheduler $scheduler --repeat 3 | tail -n 1
    done
  done
done
if [ -f "$dask_ref" ]; then
  data=$(mktemp -d)
  /usr/bin/python3 "$dask_ref" --data "$data" --workload W4 --engine sync,threads
  rm -rf "$data"
else
  echo "# dask_ref.py not found at $dask_ref: Dask not measured"
fi
