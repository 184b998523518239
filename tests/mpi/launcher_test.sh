#!/usr/bin/env bash
# The launcher under mpiexec -n NP: info, run (a job, and its errors), demo, a program with its own Runtime.
#   launcher_test.sh NP MPIEXEC "MPIEXEC_FLAGS" TESSERA SUM_JOB NO_ENTRY_JOB OWN_RUNTIME
set -u
np=$1; mpiexec=$2; flags=$3; tessera=$4; sum_job=$5; no_entry=$6; own_runtime=$7
run() { "$mpiexec" -n "$np" $flags "$@"; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$(run "$tessera" info 2>&1) || fail "info exited $?"
lines=$(grep -c "^rank [0-9]*/$np host=.* threads=[0-9]* worker_cpus=[0-9]* memory_limit=[0-9.]* [KMGT]*i*B spill_above=" <<<"$out")
[ "$lines" = "$np" ] || fail "info printed $lines rank lines, expected $np: $out"
grep -q "^ranks: $np$" <<<"$out" || fail "info lacks 'ranks: $np'"

n=123457
out=$(run "$tessera" run "$sum_job" $n 1000 2>&1) || fail "run exited $?: $out"
expected=$(( (n - 1) * n * (2 * n - 1) / 6 ))  # closed form of sum i*i, i < n
grep -q "^n=$n ranks=$np sum_of_squares=$expected$" <<<"$out" || fail "run printed '$out', expected sum $expected"

out=$(run "$tessera" run ./no/such/job.so 2>&1); rc=$?
[ $rc -ne 0 ] || fail "a missing job library succeeded"
grep -q "job library ./no/such/job.so does not exist" <<<"$out" || fail "missing library message: $out"
out=$(run "$tessera" run "$no_entry" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "a job without entry point succeeded"
grep -q "has no entry point 'tessera_job'" <<<"$out" || fail "missing entry point message: $out"

# Global options after the command, on every rank.
out=$(run "$tessera" info --threads 1 2>&1) || fail "info --threads 1 exited $?"
lines=$(grep -c "^rank [0-9]*/$np host=.* threads=1 " <<<"$out")
[ "$lines" = "$np" ] || fail "info --threads 1 printed $lines rank lines with threads=1: $out"

# A rank bound to fewer cores than its worker threads spreads its workers
# over the node (one rank: Open MPI's default binds it to one core); with
# TESSERA_KEEP_BINDING=1 it keeps the binding and is told so, with the fix.
if [ "$np" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  out=$(run --bind-to core "$tessera" info --threads 2 2>&1) || fail "info bound to a core exited $?"
  grep -q "threads=2 worker_cpus=$(nproc) " <<<"$out" || fail "a rank bound to a core did not spread its workers: $out"
  grep -q "is bound to" <<<"$out" && fail "binding warning although the workers spread: $out"
  out=$(TESSERA_KEEP_BINDING=1 run --bind-to core "$tessera" info --threads 2 2>&1) || fail "info keeping its binding exited $?"
  grep -q "warning: rank 0 runs 2 worker threads but is bound to 1 CPU.*--bind-to none" <<<"$out" ||
    fail "no binding warning for 2 threads kept on one core: $out"
  grep -q "threads=2 worker_cpus=1 " <<<"$out" || fail "TESSERA_KEEP_BINDING=1 did not keep the binding: $out"
  out=$(run --bind-to none "$tessera" info --threads 2 2>&1) || fail "info unbound exited $?"
  grep -q "is bound to" <<<"$out" && fail "binding warning without a binding: $out"
fi

# bench transfer needs a second rank; with one it says so.
out=$(run "$tessera" --no-progress bench transfer --bytes 64KiB --repeat 2 2>&1); rc=$?
if [ "$np" -ge 2 ]; then
  [ $rc -eq 0 ] && grep -q "^bytes=65536 MB_per_s=[0-9.]*$" <<<"$out" || fail "bench transfer: exit $rc: $out"
else
  [ $rc -ne 0 ] && grep -q "bench transfer needs two ranks" <<<"$out" || fail "bench transfer on one rank: exit $rc: $out"
fi

# An error that happened on one rank names it once ("error (rank 0): ... (rank 1)" named two).
out=$(run "$tessera" --no-progress --spill-dir /etc/hostname/spill bench spill --total 4MiB --chunk 1MiB \
      --memory-limit 1MiB 2>&1); rc=$?
line=$(grep "^tessera: error" <<<"$out" | head -1)
[ $rc -ne 0 ] || fail "a spill directory below a file succeeded"
[ "$(grep -o "rank [0-9]*" <<<"$line" | wc -l)" = 1 ] || fail "the error does not name its rank once: $line"

# A drawing that fails on rank 0 ends the demo on every rank (no rank left
# waiting), and the temporary files go.
tmp=$(dirname "$(mktemp -u)")
out=$(timeout 60 "$mpiexec" -n "$np" $flags "$tessera" --no-progress demo --files 2 --rows 3 --visualize "$tmp" 2>&1); rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "demo with a failing drawing: exit $rc: $out"
left=$(ls -d "$tmp"/tessera-demo-* 2>/dev/null)
[ -z "$left" ] || fail "the demo left $left"

# Logging: quiet by default; --log-level info names every rank's runtime, each line with rank and time.
out=$(run "$tessera" --no-progress bench tasks --n 100 2>&1) || fail "bench tasks exited $?: $out"
! grep -q "info:" <<<"$out" || fail "info lines without --log-level: $out"
out=$(run "$tessera" --log-level info --no-progress bench tasks --n 100 2>&1) || fail "--log-level info exited $?: $out"
lines=$(grep -c "^tessera \[rank [0-9]* +[0-9.]*s\] info: runtime: rank [0-9]* of $np " <<<"$out")
[ "$lines" = "$np" ] || fail "--log-level info printed $lines runtime lines, expected $np: $out"
grep -q "info: compute(): " <<<"$out" || fail "--log-level info did not log the computes: $out"
out=$(run "$tessera" --log-level loud info 2>&1); rc=$?
[ $rc -eq 2 ] || fail "--log-level loud exited $rc, expected 2"

# Settings: flag > TESSERA_* > config file > Slurm > default; `tessera info` names each one's source.
conf=$(mktemp)
printf 'threads = 1\n# a comment\nspill_dir = /tmp/tessera-conf-spill   # where to spill\nlog_level = warn\ncheckpoint_dir = /tmp/tessera-conf-ckpt\n' > "$conf"
out=$(run "$tessera" --config "$conf" info 2>&1) || fail "info --config exited $?: $out"
grep -q "^  threads = 1  (config $conf:1)$" <<<"$out" || fail "threads from the config file: $out"
grep -q "^  spill_dir = /tmp/tessera-conf-spill  (config $conf:3)$" <<<"$out" || fail "spill_dir from the config file: $out"
grep -q "^  checkpoint_dir = /tmp/tessera-conf-ckpt  (config $conf:5)$" <<<"$out" || fail "checkpoint_dir from the config file: $out"
out=$(TESSERA_CHECKPOINT_DIR=/tmp/tessera-env-ckpt run "$tessera" --config "$conf" info 2>&1) || fail "info exited $?"
grep -q "^  checkpoint_dir = /tmp/tessera-env-ckpt  (TESSERA_CHECKPOINT_DIR)$" <<<"$out" ||
  fail "TESSERA_CHECKPOINT_DIR over the config file: $out"
out=$(TESSERA_CHECKPOINT_DIR=/tmp/tessera-env-ckpt run "$tessera" --checkpoint-dir /tmp/tessera-flag-ckpt info 2>&1) ||
  fail "info --checkpoint-dir exited $?"
grep -q "^  checkpoint_dir = /tmp/tessera-flag-ckpt  (--checkpoint-dir)$" <<<"$out" ||
  fail "--checkpoint-dir over TESSERA_CHECKPOINT_DIR: $out"
out=$(run "$tessera" info 2>&1) || fail "info exited $?"
grep -q "^  checkpoint_dir = none  (default)$" <<<"$out" || fail "no checkpoint directory by default: $out"
out=$(TESSERA_THREADS=2 run "$tessera" --config "$conf" info 2>&1) || fail "info with TESSERA_THREADS exited $?"
grep -q "^  threads = 2  (TESSERA_THREADS)$" <<<"$out" || fail "TESSERA_THREADS over the config file: $out"
out=$(TESSERA_THREADS=2 TESSERA_CONFIG="$conf" run "$tessera" --threads 1 info 2>&1) || fail "info --threads exited $?"
grep -q "^  threads = 1  (--threads)$" <<<"$out" || fail "--threads over TESSERA_THREADS: $out"
grep -q "^  spill_dir = /tmp/tessera-conf-spill  (config $conf:3)$" <<<"$out" || fail "TESSERA_CONFIG: $out"
# Slurm's variables as defaults (one process: no mpiexec between Slurm's variables and the rank).
out=$(SLURM_CPUS_PER_TASK=1 SLURM_MEM_PER_CPU=700 "$tessera" info 2>&1) || fail "info under Slurm variables exited $?"
grep -q "^  threads = 1  (SLURM_CPUS_PER_TASK)$" <<<"$out" || fail "threads from SLURM_CPUS_PER_TASK: $out"
grep -q "^  memory_limit = 700.0 MiB  (SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK)$" <<<"$out" ||
  fail "memory limit from SLURM_MEM_PER_CPU: $out"
out=$(SLURM_MEM_PER_NODE=2048 "$tessera" info 2>&1) || fail "info under SLURM_MEM_PER_NODE exited $?"
grep -q "^  memory_limit = 2.0 GiB  (SLURM_MEM_PER_NODE / ranks on the node)$" <<<"$out" ||
  fail "memory limit from SLURM_MEM_PER_NODE: $out"
printf 'threads = lots\n' > "$conf"
out=$("$tessera" --config "$conf" info 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "$conf:1: threads = lots" <<<"$out" || fail "a bad config value: exit $rc: $out"
printf '\ncolour = blue\n' > "$conf"
out=$("$tessera" --config "$conf" info 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "$conf:2: unknown setting 'colour'" <<<"$out" || fail "an unknown config setting: exit $rc: $out"
rm -f "$conf"

out=$(run "$own_runtime" 2>&1) || fail "own_runtime exited $?: $out"
grep -q "^ranks=$np count=4000 " <<<"$out" || fail "own_runtime printed: $out"

if [ $failures -ne 0 ]; then echo "$failures launcher check(s) failed at $np ranks"; exit 1; fi
echo "launcher checks passed at $np ranks"
