#!/bin/bash
# lib/io/hdf5's reads through the sec2 and MPI-IO drivers, on 1 and 2 ranks, in
# row blocks of several sizes, against dd on the same file in the page cache;
# then Hdf5Writer's writes. Numbers: docs/hdf5_measurements.md.
#   bench/hdf5_vs_dd.sh [BUILD_DIR] [DIR] [ROWS] [COLS]
set -euo pipefail
build=${1:-build}
dir=${2:-${TMPDIR:-/tmp}}
rows=${3:-20000}
cols=${4:-10000}
bench="$build/bench/hdf5_read_bench"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
files=("$dir/hdf5-bench-contiguous.h5" "$dir/hdf5-bench-chunked.h5" "$dir/hdf5-bench-written.h5")
trap 'rm -f "${files[@]}"' EXIT

echo "# $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
echo "# h5py writes ${rows} x ${cols} float64 ($((rows * cols * 8 / 1000000)) MB), contiguous and chunked (1000, ${cols})"
/usr/bin/python3 - "$rows" "$cols" "${files[0]}" "${files[1]}" <<'PY'
import sys, h5py, numpy as np
rows, cols = int(sys.argv[1]), int(sys.argv[2])
block = np.arange(1000 * cols, dtype=np.float64).reshape(1000, cols)
for path, chunks in ((sys.argv[3], None), (sys.argv[4], (1000, cols))):
    with h5py.File(path, "w") as f:
        d = f.create_dataset("x", (rows, cols), dtype="f8", chunks=chunks)
        for r in range(0, rows, 1000):
            d[r:r + 1000] = block[: min(1000, rows - r)]
PY

for file in "${files[0]}" "${files[1]}"; do
  echo "## $(basename "$file")"
  dd if="$file" of=/dev/null bs=16M 2>&1 | tail -1 | sed 's/^/dd (warming the page cache): /'
  dd if="$file" of=/dev/null bs=16M 2>&1 | tail -1 | sed 's/^/dd bs=16M, in cache: /'
  for driver in sec2 mpio; do
    TESSERA_HDF5_DRIVER=$driver mpiexec --oversubscribe -n 1 "$bench" open "$file" /x 200
  done
  for block in 1 10 100 1000; do
    for ranks in 1 2; do
      for driver in sec2 mpio; do
        TESSERA_HDF5_DRIVER=$driver mpiexec --oversubscribe -n "$ranks" "$bench" read "$file" /x "$block" 3 |
          sort -t= -k8 -n | tail -1  # the best of 3 passes
      done
    done
  done
done

echo "## writes (Hdf5Writer, every rank its half, blocks of 1000 rows; page cache, no fsync)"
# Twice each: disk writeback makes single runs noisy.
for layout in 0 1000; do
  for run in 1 2; do
    "$bench" write "${files[2]}" "$rows" "$cols" 1000 "$layout" --no-runtime
    for ranks in 1 2; do
      mpiexec --oversubscribe -n "$ranks" "$bench" write "${files[2]}" "$rows" "$cols" 1000 "$layout"
    done
  done
done
dd if=/dev/zero of="${files[2]}" bs=16M count=$((rows * cols * 8 / 16777216)) 2>&1 | tail -1 | sed 's/^/dd write bs=16M: /'
