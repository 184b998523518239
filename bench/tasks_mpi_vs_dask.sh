#!/usr/bin/env bash
# Distributed per-task overhead: tessera under mpirun -n 2 and -n 4 next to
# Dask distributed (dask_ref.py W4, LocalCluster of 2 processes), one run.
#   bash bench/tasks_mpi_vs_dask.sh [build dir] [path/to/dask_ref.py]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
dask_ref=${2:-$here/../shared/bench/dask_ref.py}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
for ranks in 2 4; do
  for shape in map tree; do
    mpiexec -n $ranks --oversubscribe "$build/launcher/tessera" bench tasks --shape $shape --n 100000 --repeat 3 | tail -n 1
  done
done
if [ -f "$dask_ref" ]; then
  data=$(mktemp -d)
  /usr/bin/python3 "$dask_ref" --data "$data" --workload W4 --engine dist-procs
  rm -rf "$data"
fi
