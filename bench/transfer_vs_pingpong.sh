#!/usr/bin/env bash
# Chunk transfer through the runtime next to a raw MPI ping-pong, same sizes, same run.
#   bash bench/transfer_vs_pingpong.sh [build dir]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { mpiexec -n 2 --oversubscribe "$@" | tail -n 1; }
for bytes in 1048576 8388608 67108864; do
  raw=$(run "$build/bench/mpi_pingpong" --bytes $bytes --repeat 20)
  ours=$(run "$build/launcher/tessera" bench transfer --bytes $bytes --repeat 20)
  raw_mb=$(sed 's/.*MB_per_s=//' <<<"$raw"); ours_mb=$(sed 's/.*MB_per_s=//' <<<"$ours")
  echo "$ours pingpong_MB_per_s=$raw_mb ratio=$(/usr/bin/python3 -c "print(f'{$ours_mb / $raw_mb:.2f}')")"
done
