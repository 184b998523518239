#!/usr/bin/env bash
# A memory limit bounds a rank's real memory: `tessera bench spill` under
# --memory-limit 64MiB, spilling four times that per rank, keeps each rank's
# peak RSS (VmHWM, printed by the bench) within the bound docs/design.md
# states: the limit + 48 MiB + two chunks (with two worker threads).
#   spill_rss_test.sh TESSERA [LAUNCH...]     e.g. LAUNCH = mpiexec -n 2 --oversubscribe
set -u
tessera=$1; shift
launch=("$@")
ranks=1
if [ ${#launch[@]} -gt 0 ]; then ranks=$(sed -n 's/.*-n \([0-9]*\).*/\1/p' <<<"${launch[*]}"); fi
failures=0
limit_mib=64
for chunk_kib in 64 16384; do
  total_mib=$((4 * limit_mib * ranks))
  out=$("${launch[@]}" "$tessera" --threads 2 --no-progress --memory-limit ${limit_mib}MiB \
        bench spill --total ${total_mib}MiB --chunk ${chunk_kib}KiB 2>&1)
  rc=$?
  rss=$(grep -o "peak_rss_bytes=[0-9]*" <<<"$out" | cut -d= -f2)
  spilled=$(grep -o "spilled_bytes=[0-9]*" <<<"$out" | tail -1 | cut -d= -f2)
  bound=$(( (limit_mib + 48) * 1048576 + 2 * chunk_kib * 1024 ))
  if [ $rc -ne 0 ] || [ -z "$rss" ]; then
    echo "FAIL: ${chunk_kib} KiB chunks: exit $rc"; echo "$out" | tail -5; failures=$((failures + 1)); continue
  fi
  echo "chunk ${chunk_kib} KiB, $ranks rank(s): peak RSS $((rss >> 20)) MiB, bound $((bound >> 20)) MiB, spilled $((spilled >> 20)) MiB"
  if [ "$spilled" -lt $((2 * limit_mib * 1048576)) ]; then
    echo "FAIL: ${chunk_kib} KiB chunks spilled only $spilled bytes: the run did not test spilling"
    failures=$((failures + 1))
  fi
  if [ "$rss" -gt "$bound" ]; then
    echo "FAIL: ${chunk_kib} KiB chunks: a rank's peak RSS $rss bytes is above limit + 48 MiB + 2 chunks = $bound"
    failures=$((failures + 1))
  fi
done
if [ $failures -ne 0 ]; then echo "$failures RSS check(s) failed"; exit 1; fi
echo "RSS within the bound"
