#!/usr/bin/env bash
# A compute() that rank 0 reaches late or never: the waiting ranks must say
# which call they wait in and for whom, and with a timeout the job must end.
#   collective_wait_test.sh NP MPIEXEC "FLAGS" PROGRAM
set -u
ulimit -c 0  # three ranks dumping core at once is not what is tested
np=$1; mpiexec=$2; flags=$3; program=$4
fail() { echo "FAIL: $*"; exit 1; }
hung() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }  # timeout's TERM, or its KILL after -k

# Late: warnings after 0.3 s, then the call completes and the job succeeds.
out=$(TESSERA_COLLECTIVE_WARN=0.3 timeout -k 5 40 "$mpiexec" -n "$np" $flags "$program" late 2>&1); rc=$?
echo "$out" | tail -n 8
[ $rc -eq 0 ] || fail "the late job failed (exit $rc)"
for r in $(seq 1 $((np - 1))); do
  grep -q "rank $r has waited .* in compute() (collective call #2 of this rank) for the other ranks; not arrived: ranks\? 0\b" \
    <<<"$out" || fail "rank $r did not say it waits for rank 0 in compute() #2"
  grep -q "rank $r computed 2" <<<"$out" || fail "rank $r did not finish the late compute"
done

# Missing: rank 0 never comes; TESSERA_COLLECTIVE_TIMEOUT ends the job with the same message.
start=$(date +%s)
out=$(TESSERA_COLLECTIVE_WARN=0.3 TESSERA_COLLECTIVE_TIMEOUT=2 timeout -k 5 40 "$mpiexec" -n "$np" $flags "$program" missing 2>&1); rc=$?
elapsed=$(( $(date +%s) - start ))
echo "$out" | tail -n 8
hung $rc && fail "the job hung until the test's timeout"
[ $rc -ne 0 ] || fail "the job succeeded although rank 0 never reached the compute"
(( elapsed < 30 )) || fail "the job took ${elapsed}s to end"
grep -q "not arrived: ranks\? 0\b.*; ending the job (TESSERA_COLLECTIVE_TIMEOUT)" <<<"$out" || fail "no timeout message names rank 0"

# Departed: rank 0 ends its Runtime without the call; the others fail at once naming it.
start=$(date +%s)
out=$(timeout -k 5 40 "$mpiexec" -n "$np" $flags "$program" departed 2>&1); rc=$?
elapsed2=$(( $(date +%s) - start ))
echo "$out" | tail -n 8
hung $rc && fail "the departed job hung until the test's timeout"
[ $rc -ne 0 ] || fail "the job succeeded although rank 0 left before the compute"
(( elapsed2 < 20 )) || fail "the departed job took ${elapsed2}s to end"
grep -q "waits in compute() (its collective call #2) for rank 0, which has ended its Runtime after 1 such calls" \
  <<<"$out" || fail "no rank said rank 0 had left"
echo "ok: warnings name the call and the missing rank; the timeout ended the job in ${elapsed}s; a rank that left ended it in ${elapsed2}s"
