#!/usr/bin/env bash
# Futures submit+gather: tessera on 1, 2 and 4 ranks next to Dask distributed (W5), one run.
#   bash bench/futures_vs_dask.sh [build dir] [path/to/dask_ref.py]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
dask_ref=${2:-$here/../shared/bench/dask_ref.py}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for ranks in 1 2 4; do
  mpiexec -n $ranks --oversubscribe "$build/launcher/tessera" bench futures --n 10000 | tail -n 1
done
if [ -f "$dask_ref" ]; then
  data=$(mktemp -d)
  /usr/bin/python3 "$dask_ref" --data "$data" --workload W5 --engine dist-procs
  rm -rf "$data"
fi
