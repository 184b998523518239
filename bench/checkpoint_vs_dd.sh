#!/usr/bin/env bash
# What a checkpoint costs a persist(), next to what the disk does (issue 14):
# dd writing the same bytes (random, fdatasync) into the same directory, then
# bench/checkpoint_bench (plain persist, checkpoint written, read back from
# disk and from cache), REPEAT times, alternating, since this disk is noisy.
#   bench/checkpoint_vs_dd.sh [BUILD_DIR] [RANKS] [REPEAT] [DIR]
set -euo pipefail
build=${1:-build}; ranks=${2:-2}; repeat=${3:-3}; dir=${4:-${TMPDIR:-/tmp}/tessera-ckpt-bench}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TESSERA_PROGRESS=0
bytes=$((16384 * 16384 * 8))
random=$(mktemp /dev/shm/tessera-ckpt-random.XXXXXX)
trap 'rm -f "$random" "$dir.dd"' EXIT
head -c $bytes /dev/urandom > "$random"
for r in $(seq 1 "$repeat"); do
  start=$(date +%s%N)
  dd if="$random" of="$dir.dd" bs=32M conv=fdatasync status=none
  ns=$(($(date +%s%N) - start))
  rm -f "$dir.dd"
  awk -v b=$bytes -v ns=$ns 'BEGIN { printf "mode=dd_write gb=%.3f seconds=%.3f gbps=%.2f\n", b / 1e9, ns / 1e9, b / ns }'
  mpiexec --oversubscribe -n "$ranks" "$build/bench/checkpoint_bench" "$dir"
done
