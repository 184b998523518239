#!/usr/bin/env bash
# Nothing left on disk: SIGTERM (Slurm's time limit, scancel) and SIGINT
# (Ctrl-C) remove a rank's spill directory and still end the process with
# the signal; a directory that a dead process of this host left is removed
# by the next run that spills there, and nobody else's is touched.
#   spill_signal_test.sh TESSERA MPIEXEC "MPIEXEC_FLAGS"
set -u
set -m  # job control: background jobs keep SIGINT instead of ignoring it
tessera=$1; mpiexec=$2; flags=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/spill-signal.XXXXXX")
host=$(hostname)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# A run that spills for many seconds: 2 GiB through a 64 MiB budget.
spill=(--no-progress bench spill --total 2GiB --chunk 16MiB --memory-limit 64MiB)

# Waits until DIR holds at least N spill directories with their spill file
# (a rank makes the directory, then the file) (60 s at most).
wait_for_spill() {
  local dir=$1 n=$2
  for _ in $(seq 600); do
    (( $(find "$dir" -mindepth 2 -maxdepth 2 -path '*/tessera-spill-*/spill' | wc -l) >= n )) && return 0
    sleep 0.1
  done
  return 1
}

for signal in TERM INT; do
  dir=$work/one-$signal
  mkdir -p "$dir"
  "$tessera" --spill-dir "$dir" "${spill[@]}" >"$dir.log" 2>&1 &
  pid=$!
  wait_for_spill "$dir" 1 || { fail "SIG$signal: no spill directory appeared"; kill -KILL $pid; continue; }
  [ -f "$dir/tessera-spill-$host-$pid-r0/spill" ] || fail "SIG$signal: not the expected spill file: $(ls "$dir")"
  kill -"$signal" $pid
  wait $pid; rc=$?
  expected=$((128 + $(kill -l "$signal")))
  echo "SIG$signal: exit status $rc"
  [ $rc -eq $expected ] || fail "SIG$signal: exit status $rc, expected $expected (killed by the signal)"
  left=$(ls -A "$dir")
  [ -z "$left" ] || fail "SIG$signal left $left in the spill directory"
done

# Under mpiexec: SIGTERM to the launcher reaches both ranks.
dir=$work/mpi
mkdir -p "$dir"
"$mpiexec" -n 2 $flags "$tessera" --spill-dir "$dir" "${spill[@]}" >"$dir.log" 2>&1 &
pid=$!
if wait_for_spill "$dir" 2; then
  kill -TERM $pid
  # A launcher that does not end in 60 s fails the test rather than hanging it.
  for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -KILL $pid 2>/dev/null
  wait $pid; rc=$?
  echo "mpiexec -n 2, SIGTERM: exit status $rc"
  [ $rc -ne 0 ] || fail "mpiexec -n 2: the job succeeded although it was sent SIGTERM"
  left=$(ls -A "$dir")
  [ -z "$left" ] || fail "mpiexec -n 2, SIGTERM left $left"
else
  fail "mpiexec -n 2: the ranks did not both spill"; kill -KILL $pid; cat "$dir.log"
fi

# Stale directories: only this host's dead processes' go.
dir=$work/stale
mkdir -p "$dir"
dead=$(sh -c 'echo $$')  # a pid whose process has ended
for entry in "$host-$dead-r0" "$host-$$-r0" "other-host.example-$dead-r0" "$host-$dead-r0-not-ours"; do
  mkdir -p "$dir/tessera-spill-$entry" && echo old >"$dir/tessera-spill-$entry/spill"
done
"$tessera" --spill-dir "$dir" --no-progress bench spill --total 256MiB --chunk 16MiB --memory-limit 64MiB >"$dir.log" 2>&1 \
  || { fail "the run over stale directories failed"; cat "$dir.log"; }
grep -q "spilled_bytes=[1-9]" "$dir.log" || fail "the run over stale directories did not spill"
[ ! -e "$dir/tessera-spill-$host-$dead-r0" ] || fail "the dead process's directory is still there"
for entry in "$host-$$-r0" "other-host.example-$dead-r0" "$host-$dead-r0-not-ours"; do
  [ -f "$dir/tessera-spill-$entry/spill" ] || fail "tessera-spill-$entry (not stale) was removed"
done
echo "after the stale run: $(ls "$dir" | tr '\n' ' ')"

rm -rf "$work"
[ $failures -eq 0 ] || exit 1
echo "spill directories removed on SIGTERM and SIGINT, stale ones cleaned"
