#!/usr/bin/env bash
# Kills the last rank with SIGKILL mid-graph; the job must fail, say which
# rank died, and end within 10 s.  kill_rank_test.sh NP MPIEXEC "FLAGS" KILL_RANK
set -u
np=$1; mpiexec=$2; flags=$3; program=$4
start=$(date +%s%N)
out=$(timeout 60 "$mpiexec" -n "$np" $flags "$program" 2>&1); rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
elapsed="$((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000)))"
echo "$out" | tail -n 12
echo "exit=$rc elapsed=${elapsed}s"
[ $rc -ne 0 ] || { echo "FAIL: the job succeeded although a rank was killed"; exit 1; }
[ $rc -ne 124 ] || { echo "FAIL: the job hung (killed by timeout after 60 s)"; exit 1; }
(( elapsed_ms < 10000 )) || { echo "FAIL: the job took ${elapsed}s to end, more than 10 s"; exit 1; }
grep -Eqi "rank $((np - 1)).*(signal 9|killed)|killed.*rank $((np - 1))" <<<"$out" || { echo "FAIL: no message names the killed rank"; exit 1; }
echo "killed rank ended the job in ${elapsed}s"
