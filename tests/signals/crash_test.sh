#!/usr/bin/env bash
# A task that crashes its process is named on stderr, with the rank, and the
# process dies of the signal; under mpiexec the job ends, nonzero, in time.
#   crash_test.sh MPIEXEC "MPIEXEC_FLAGS" CRASH_TASK
set -u
mpiexec=$1; flags=$2; program=$3
ulimit -c 0  # no core files from the crashes on purpose
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for case in segv:SEGV:"segmentation fault" abort:ABRT:abort fpe:FPE:"arithmetic error" \
            overflow:SEGV:"segmentation fault"; do
  IFS=: read -r how signal meaning <<<"$case"
  out=$(timeout 60 "$program" "$how" 2>&1); rc=$?
  expected=$((128 + $(kill -l "$signal")))
  echo "$how: exit status $rc"
  [ $rc -eq $expected ] || { fail "$how: exit status $rc, expected $expected (death by SIG$signal)"; echo "$out" | tail -5; }
  line="tessera: rank 0 crashed with SIG$signal ($meaning) while running task ('crash', 3)"
  grep -qF "$line" <<<"$out" || { fail "$how: stderr does not say: $line"; echo "$out" | tail -5; }
done

# Two ranks, the crash on rank 1: Open MPI's launcher ends the job.
start=$(date +%s%N)
out=$(timeout 60 "$mpiexec" -n 2 $flags "$program" segv 2>&1); rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "mpiexec -n 2, segv on rank 1: exit status $rc after ${elapsed_ms} ms"
[ $rc -ne 0 ] || fail "mpiexec -n 2: the job succeeded although rank 1 crashed"
[ $rc -ne 124 ] || fail "mpiexec -n 2: the job hung (killed by timeout after 60 s)"
(( elapsed_ms < 20000 )) || fail "mpiexec -n 2: the job took ${elapsed_ms} ms to end"
line="tessera: rank 1 crashed with SIGSEGV (segmentation fault) while running task ('crash', 3)"
grep -qF "$line" <<<"$out" || { fail "mpiexec -n 2: stderr does not say: $line"; echo "$out" | tail -12; }

[ $failures -eq 0 ] || exit 1
echo "crashing tasks named, processes died of their signals"
